"""Publishing while the server cannot be reached: the publish waits in the sync outbox.

A publish made offline does locally what an online publish does before it talks to the server (the clip
joins the public space under this account and its record is queued as a pending change), so the next
successful sync uploads the clip's media and pushes its record like any other local change: nothing is
lost, and nothing has to be clicked again. Online, publishing goes straight to the server as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.errors import NotFound
from studio.core.store import Store
from studio.protocol.ids import PUBLIC_SPACE
from studio.services.local_store import opened as opened_store

if TYPE_CHECKING:
    from studio.sync.state import Shadow

# The sync client (requests and its dependencies) is imported by the calls that publish, not with this
# module: the app's library loader asks queued_publishes() while the window starts.


def _can_push_public(username: str) -> Any:
    """The sync engine's rule for the public space, without a server: a record nobody holds there yet,
    or one this account owns."""

    def can_push(space: str, _kind: str, _record_id: str, shadow: Shadow | None) -> bool:
        return space != PUBLIC_SPACE or shadow is None or shadow.owner in ("", username)

    return can_push


def queue_publish(ref: str, *, store: Store | None = None) -> dict[str, Any]:
    """Mark a library clip for the public space and queue its record for the next sync (no network).

    The same checks as an online publish apply first (credits, licence, media here), so a clip that
    could never be published is refused now rather than at the next sync.
    """
    from studio.core.library import find_clip
    from studio.core.paths import media_path
    from studio.services import sync as sync_service
    from studio.sync import records
    from studio.sync.outbox import queue_record

    login = sync_service.current_login()
    with opened_store(store) as opened:
        clip = find_clip(opened, ref)
        sync_service.check_publishable(clip)
        if not media_path(clip.id).is_file():
            raise NotFound(f"the media of clip {clip.title!r} is not in the library here: pull it first")
        with opened.write() as conn:
            username = login.account.username
            records.claim_published_clip(conn, clip.id, username, PUBLIC_SPACE, adopt_pulled=False)
            records.set_home_space(conn, "clip", clip.id, PUBLIC_SPACE)
            queue_record(
                conn,
                "clip",
                clip.id,
                None,
                _can_push_public(username),
                extra_spaces=[PUBLIC_SPACE],
            )
    return {"clip": clip.id, "title": clip.title, "space": PUBLIC_SPACE, "queued": True}


def publish_or_queue(
    ref: str,
    *,
    store: Store | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Publish a library clip now, or, when the server cannot be reached, queue it for the next sync.

    The result carries `queued` (and, when queued, `reason`: why the server could not be reached).
    Any other failure (refused, not logged in, bad clip) is raised as before.
    """
    from studio.services import sync as sync_service
    from studio.sync.client import OfflineError

    try:
        published = sync_service.publish_clip(ref, store=store, progress=progress, cancel=cancel)
    except OfflineError as exc:
        reason = str(exc).split(": ", 1)[0]  # the client's sentence, without the transport's details
        return {**queue_publish(ref, store=store), "reason": reason}
    return {**published, "queued": False}


def queued_publishes(store: Store) -> set[str]:
    """Clips made here that wait to be published: in the public space, with no record on the server
    yet (the server's copy, the shadow, arrives with the push that publishes them)."""
    from studio.sync import state

    with store.read() as conn:
        return state.unshadowed_local_clips(conn, PUBLIC_SPACE)


def publish_export_or_queue(
    path: Path | str,
    *,
    store: Store | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Publish a finished export as a new clip now, or, when the server cannot be reached, queue it: the
    export is in the library either way (its embedded credits and sources came with the import)."""
    from studio.core.library import get_record
    from studio.media.hashing import sha256_file
    from studio.services import sync as sync_service
    from studio.sync.client import OfflineError

    try:
        published = sync_service.publish_export(path, store=store, progress=progress, cancel=cancel)
    except OfflineError as exc:
        clip_id = sha256_file(Path(path))
        with opened_store(store) as opened:
            lineage = list(get_record(opened, clip_id).clip.lineage)
            queued = queue_publish(clip_id, store=opened)
        return {**queued, "lineage": lineage, "reason": str(exc).split(": ", 1)[0]}
    return {**published, "queued": False}
