"""The library as the front ends show it: every clip with where it stands.

Apart from studio.services.library (which imports the media probe, hashing and tag readers for
imports) so that listing the library, which the app does at start on a worker, imports only the
store's side."""

from __future__ import annotations

from dataclasses import dataclass

from studio.core.clips import Clip
from studio.core.library import ClipRecord, list_clips
from studio.core.store import Store
from studio.protocol.ids import PUBLIC_SPACE

LibraryState = str
"""Where a clip stands: "local" (made here), "published" (made here, in the public space), "queued"
(published while the server could not be reached; goes up with the next sync), "remote" (only its
record is here: pull it for the media)."""


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    clip: Clip
    state: LibraryState


def list_library(store: Store) -> list[LibraryEntry]:
    """Every local clip, by title, with its state."""
    from studio.services.publish_queue import queued_publishes

    queued = queued_publishes(store)

    def state(record: ClipRecord) -> LibraryState:
        if not record.media_present:
            return "remote"
        if record.clip.id in queued:
            return "queued"
        return "published" if record.space == PUBLIC_SPACE and record.origin == "local" else "local"

    return [LibraryEntry(record.clip, state(record)) for record in list_clips(store)]
