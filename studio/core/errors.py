"""Errors users can act on: each message names what was wrong (the file, the item, the field)."""

from __future__ import annotations


class StudioError(Exception):
    """Base for expected failures; the CLI prints the message on one line and exits with exit_code."""

    exit_code = 2


class NotFound(StudioError):
    """A project, clip, item or track that does not exist."""


class InvalidInput(StudioError):
    """Malformed user input: times, names, project or timeline files."""


class EditRejected(StudioError):
    """An edit that would break the timeline (overlap, locked track, out of the clip's range)."""


class MediaError(StudioError):
    """Unreadable, corrupt or unsupported media, or an ffmpeg failure."""


class Cancelled(StudioError):
    """The user cancelled long work."""

    exit_code = 130
