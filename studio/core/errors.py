"""Errors users can act on: each message names what was wrong (the file, the item, the field)."""

from __future__ import annotations


class StudioError(Exception):
    """Base for expected failures; the CLI prints the message on one line and exits with exit_code."""

    exit_code = 2


class NotFound(StudioError):
    """A project, clip, item or track that does not exist."""


class InvalidInput(StudioError):
    """Malformed user input: times, names, project or timeline files.

    `field` names the input at fault by the service's own parameter name, and `detail` says what is
    wrong with it without naming it, so each front end can point at its own control for it (the CLI
    names its flag: studio.cli.wording); the message itself names the input in plain words."""

    def __init__(self, message: str, *, field: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.detail = message if detail is None else detail


class EditRejected(StudioError):
    """An edit that would break the timeline (overlap, locked track, out of the clip's range)."""


class MediaError(StudioError):
    """Unreadable, corrupt or unsupported media, or an ffmpeg failure."""


class Cancelled(StudioError):
    """The user cancelled long work."""

    exit_code = 130
