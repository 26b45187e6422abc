"""Track edits: add (named V1, A2 ... by kind), rename, mute, lock, remove (only when empty)."""

from __future__ import annotations

from studio.core.edits.lookup import TRACK_PREFIX, check_unlocked, find_track, items_on
from studio.core.errors import EditRejected
from studio.core.fractional_index import key_between
from studio.core.ops import Op, insert, remove, set_fields
from studio.core.timeline import AUDIO, TRACK_KINDS, TRACK_NAME_RE, VIDEO, Timeline, Track, new_id


def next_track_name(timeline: Timeline, kind: str) -> str:
    """The first free V<n> / A<n> name for a new track of `kind`."""
    used = {t.name for t in timeline.tracks.values()}
    n = 1
    while f"{TRACK_PREFIX[kind]}{n}" in used:
        n += 1
    return f"{TRACK_PREFIX[kind]}{n}"


def track_kind_for_name(name: str) -> str | None:
    """video for V<n>, audio for A<n>, None for other names."""
    m = TRACK_NAME_RE.match(name)
    if not m:
        return None
    return VIDEO if m.group(1) == "V" else AUDIO


def add_track(
    timeline: Timeline, kind: str, name: str | None = None, *, track_id: str | None = None
) -> list[Op]:
    """A new track on top of the others (video tracks higher up cover lower ones)."""
    if kind not in TRACK_KINDS:
        raise EditRejected(f"a track is video or audio, not {kind!r}")
    name = next_track_name(timeline, kind) if name is None else name.strip()
    if not name:
        raise EditRejected("a track needs a name")
    if any(t.name == name for t in timeline.tracks.values()):
        raise EditRejected(f"there is already a track named {name}")
    top = max((t.order for t in timeline.tracks.values()), default=None)
    track = Track(id=track_id or new_id(), kind=kind, name=name, order=key_between(top, None))
    return [insert(track)]


def rename_track(timeline: Timeline, track_ref: str, name: str) -> list[Op]:
    track = find_track(timeline, track_ref)
    name = name.strip()
    if not name:
        raise EditRejected("a track needs a name")
    if name == track.name:
        return []
    if any(t.name == name for t in timeline.tracks.values()):
        raise EditRejected(f"there is already a track named {name}")
    return [set_fields(track, name=name)]


def set_track_muted(timeline: Timeline, track_ref: str, muted: bool) -> list[Op]:
    track = find_track(timeline, track_ref)
    return [] if track.muted == muted else [set_fields(track, muted=muted)]


def set_track_locked(timeline: Timeline, track_ref: str, locked: bool) -> list[Op]:
    track = find_track(timeline, track_ref)
    return [] if track.locked == locked else [set_fields(track, locked=locked)]


def remove_track(timeline: Timeline, track_ref: str) -> list[Op]:
    """Remove a track and, first (in the same undo step), every item on it."""
    track = find_track(timeline, track_ref)
    check_unlocked(track)
    doomed = sorted(items_on(timeline, track.id), key=lambda i: (i.start, i.id))
    return [*(remove(i) for i in doomed), remove(track)]
