"""What a gesture on the timeline means as core ops: move, trim, split, delete, ripple, paste, tracks.

Pure functions of a Timeline returning lists of ops (studio.core.ops), so every change the editor makes
goes through the project's journal, undo history and sync like any other edit. An edit that would break
the timeline (overlap, locked track, beyond the clip's media) raises EditRejected naming the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from studio.core import ops
from studio.core.errors import EditRejected, NotFound
from studio.core.fractional_index import key_between
from studio.core.timecode import ZERO, format_clock
from studio.core.timeline import AUDIO, VIDEO, Item, Timeline, Track, new_id

Op = dict[str, Any]
ClipLength = Callable[[str], Fraction | None]
"""Length of a clip's media (None for stills and unknown clips, which may be stretched)."""


def _item(tl: Timeline, item_id: str) -> Item:
    item = tl.items.get(item_id)
    if item is None:
        raise NotFound(f"no item {item_id} on the timeline")
    return item


def _check_unlocked(tl: Timeline, track_id: str) -> Track:
    track = tl.tracks.get(track_id)
    if track is None:
        raise NotFound(f"no track {track_id}")
    if track.locked:
        raise EditRejected(f"track {track.name} is locked")
    return track


def _free(tl: Timeline, track_id: str, start: Fraction, end: Fraction, ignore: set[str]) -> bool:
    return not any(
        i.start < end and start < i.end
        for i in tl.items.values()
        if i.track == track_id and i.id not in ignore
    )


def first_free_start(tl: Timeline, track_id: str, at: Fraction, duration: Fraction) -> Fraction:
    """The earliest start >= at where `duration` fits on the track without covering another item."""
    start = max(ZERO, at)
    for item in tl.items_on(track_id):
        if item.end <= start:
            continue
        if item.start >= start + duration:
            break
        start = item.end
    return start


def place_clip(
    tl: Timeline,
    clip_id: str,
    track_id: str,
    at: Fraction,
    duration: Fraction,
    source_in: Fraction = ZERO,
) -> tuple[list[Op], str]:
    """Insert a clip item at the first free place at or after `at`; returns the ops and the new item id."""
    _check_unlocked(tl, track_id)
    if duration <= 0:
        raise EditRejected("a clip on the timeline needs a length above zero")
    start = first_free_start(tl, track_id, at, duration)
    item = Item(
        id=new_id(), track=track_id, start=start, duration=duration, source_in=source_in, clip=clip_id
    )
    return [ops.insert(item)], item.id


def place_linked(
    tl: Timeline, clip_id: str, video_track: str, audio_track: str, at: Fraction, duration: Fraction
) -> tuple[list[Op], list[str]]:
    """A clip's picture on a video track and its sound on an audio track, side by side and linked.

    Video tracks carry picture only (the render and the credits agree), so a clip with sound is placed
    as two items sharing a link in their "studio.ui" metadata; the editor selects and moves them together.
    """
    _check_unlocked(tl, video_track)
    _check_unlocked(tl, audio_track)
    start = max(ZERO, at)
    while True:
        fitted = max(
            first_free_start(tl, video_track, start, duration),
            first_free_start(tl, audio_track, start, duration),
        )
        if fitted == start:
            break
        start = fitted
    link = new_id()
    out: list[Op] = []
    ids: list[str] = []
    for track_id in (video_track, audio_track):
        item = Item(
            id=new_id(),
            track=track_id,
            start=start,
            duration=duration,
            clip=clip_id,
            metadata={"studio.ui": {"link": link}},
        )
        out.append(ops.insert(item))
        ids.append(item.id)
    return out, ids


def add_title(
    tl: Timeline, track_id: str, at: Fraction, text: str, duration: Fraction = Fraction(4)
) -> list[Op]:
    track = _check_unlocked(tl, track_id)
    if track.kind != VIDEO:
        raise EditRejected("titles go on video tracks")
    start = first_free_start(tl, track_id, at, duration)
    item = Item(id=new_id(), track=track_id, start=start, duration=duration, kind="title", text=text)
    return [ops.insert(item)]


def move(tl: Timeline, item_ids: Iterable[str], delta: Fraction, track_for: dict[str, str]) -> list[Op]:
    """Move items by `delta` seconds, each onto track_for[id] (or its own); rejected on any overlap."""
    ids = list(item_ids)
    moving = {i: _item(tl, i) for i in ids}
    targets: dict[str, tuple[str, Fraction]] = {}
    for iid, item in moving.items():
        track_id = track_for.get(iid, item.track)
        _check_unlocked(tl, item.track)
        target = _check_unlocked(tl, track_id)
        source = tl.tracks[item.track]
        if target.kind != source.kind:
            raise EditRejected(f"a {source.kind} item cannot go on {target.kind} track {target.name}")
        start = item.start + delta
        if start < 0:
            raise EditRejected("items cannot start before 0:00")
        targets[iid] = (track_id, start)
    for iid, (track_id, start) in targets.items():
        end = start + moving[iid].duration
        if not _free(tl, track_id, start, end, set(ids)):
            raise EditRejected(f"{tl.tracks[track_id].name} already has an item at {format_clock(start)}")
        for other, (other_track, other_start) in targets.items():
            o = moving[other]
            if (
                other != iid
                and other_track == track_id
                and other_start < end
                and start < other_start + o.duration
            ):
                raise EditRejected("moved items would cover each other")
    out: list[Op] = []
    for iid, (track_id, start) in targets.items():
        item = moving[iid]
        changes: dict[str, Any] = {}
        if start != item.start:
            changes["start"] = start
        if track_id != item.track:
            changes["track"] = track_id
        if changes:
            out.append(ops.set_fields(item, **changes))
    return out


def trim_start(tl: Timeline, item_id: str, new_start: Fraction, clip_length: ClipLength) -> list[Op]:
    """Move the item's left edge to `new_start`, keeping its right edge where it is."""
    item = _item(tl, item_id)
    _check_unlocked(tl, item.track)
    delta = new_start - item.start
    source_in = item.source_in + delta
    duration = item.duration - delta
    if duration <= 0:
        raise EditRejected("trimming would leave nothing of the item")
    if new_start < 0:
        raise EditRejected("items cannot start before 0:00")
    if item.kind == "clip" and source_in < 0:
        raise EditRejected("the clip's media starts there: nothing more to reveal")
    if not _free(tl, item.track, new_start, item.end, {item.id}):
        raise EditRejected("the item would cover its neighbour")
    changes: dict[str, Any] = {"start": new_start, "duration": duration}
    if item.kind == "clip":
        changes["source_in"] = source_in
    changes["fade_in"] = min(item.fade_in, duration)
    return [ops.set_fields(item, **changes)]


def trim_end(tl: Timeline, item_id: str, new_end: Fraction, clip_length: ClipLength) -> list[Op]:
    """Move the item's right edge to `new_end`."""
    item = _item(tl, item_id)
    _check_unlocked(tl, item.track)
    duration = new_end - item.start
    if duration <= 0:
        raise EditRejected("trimming would leave nothing of the item")
    length = clip_length(item.clip) if item.kind == "clip" and item.clip else None
    if length is not None and item.source_in + duration > length:
        raise EditRejected("the clip's media ends there: nothing more to reveal")
    if not _free(tl, item.track, item.start, new_end, {item.id}):
        raise EditRejected("the item would cover its neighbour")
    return [ops.set_fields(item, duration=duration, fade_out=min(item.fade_out, duration))]


def split(tl: Timeline, item_ids: Iterable[str], at: Fraction) -> list[Op]:
    """Cut each item that spans `at` in two; the right part is a new item continuing the same media."""
    out: list[Op] = []
    for iid in item_ids:
        item = _item(tl, iid)
        if not item.start < at < item.end:
            continue
        _check_unlocked(tl, item.track)
        left = at - item.start
        right = Item.from_dict(item.to_dict())
        right.id = new_id()
        right.start = at
        right.duration = item.duration - left
        right.source_in = item.source_in + left if item.kind == "clip" else item.source_in
        right.fade_in = ZERO
        right.fade_out = min(item.fade_out, right.duration)
        out.append(ops.set_fields(item, duration=left, fade_out=ZERO, fade_in=min(item.fade_in, left)))
        out.append(ops.insert(right))
    if not out:
        raise EditRejected(f"nothing to split at {format_clock(at)}: no selected item spans the playhead")
    return out


def delete(tl: Timeline, item_ids: Iterable[str]) -> list[Op]:
    out = []
    for iid in item_ids:
        item = _item(tl, iid)
        _check_unlocked(tl, item.track)
        out.append(ops.remove(item))
    return out


def ripple_delete(tl: Timeline, item_ids: Iterable[str]) -> list[Op]:
    """Delete items and close each gap: later items on the same track move left by what was removed."""
    removed = [_item(tl, i) for i in item_ids]
    out = delete(tl, [i.id for i in removed])
    gone = {i.id for i in removed}
    shifts: dict[str, Fraction] = {}
    for r in removed:
        for later in tl.items_on(r.track):
            if later.id not in gone and later.start >= r.end:
                shifts[later.id] = shifts.get(later.id, ZERO) + r.duration
    for iid, shift in sorted(shifts.items(), key=lambda kv: tl.items[kv[0]].start):
        item = tl.items[iid]
        out.append(ops.set_fields(item, start=item.start - shift))
    return out


def paste(tl: Timeline, copied: list[dict[str, Any]], at: Fraction, fallback_track: str | None) -> list[Op]:
    """Insert copies of items so the earliest lands at `at`, each on its own track (or a matching one)."""
    if not copied:
        raise EditRejected("nothing copied to paste")
    earliest = min(Item.from_dict(d).start for d in copied)
    out: list[Op] = []
    scratch = tl.snapshot()
    for data in copied:
        item = Item.from_dict(data)
        track_id = item.track if item.track in scratch.tracks else fallback_track
        if track_id is None or track_id not in scratch.tracks:
            raise EditRejected("the copied items' track is gone: select a track to paste on")
        _check_unlocked(scratch, track_id)
        item.id = new_id()
        item.track = track_id
        item.start = first_free_start(scratch, track_id, at + (item.start - earliest), item.duration)
        op = ops.insert(item)
        ops.apply(scratch, op)
        out.append(op)
    return out


def set_item(tl: Timeline, item_id: str, **changes: Any) -> list[Op]:
    item = _item(tl, item_id)
    _check_unlocked(tl, item.track)
    if "fade_in" in changes or "fade_out" in changes:
        fin = changes.get("fade_in", item.fade_in)
        fout = changes.get("fade_out", item.fade_out)
        if fin + fout > item.duration:
            raise EditRejected("fades in and out together cannot be longer than the item")
    op = ops.set_fields(item, **changes)
    return [] if ops.is_noop(op) else [op]


def add_track(tl: Timeline, kind: str, name: str | None = None) -> list[Op]:
    """A new track above (video) or below (audio) the others of its kind, named V<n> or A<n>."""
    same = tl.ordered_tracks(kind)
    prefix = "V" if kind == VIDEO else "A"
    if name is None:
        used = {t.name for t in tl.tracks.values()}
        n = len(same) + 1
        while f"{prefix}{n}" in used:
            n += 1
        name = f"{prefix}{n}"
    # Order keys only rank tracks of one kind against each other, so a new track goes after every key.
    everything = tl.ordered_tracks()
    order = key_between(everything[-1].order if everything else None, None)
    return [ops.insert(Track(id=new_id(), kind=kind, name=name, order=order))]


def remove_track(tl: Timeline, track_id: str) -> list[Op]:
    """Remove a track and everything on it (one undoable step)."""
    track = _check_unlocked(tl, track_id)
    out = [ops.remove(i) for i in tl.items_on(track_id)]
    out.append(ops.remove(track))
    return out


def set_track(tl: Timeline, track_id: str, **changes: Any) -> list[Op]:
    track = tl.tracks.get(track_id)
    if track is None:
        raise NotFound(f"no track {track_id}")
    op = ops.set_fields(track, **changes)
    return [] if ops.is_noop(op) else [op]


def default_tracks() -> list[Op]:
    """V1, V2, A1, A2 for a new project."""
    scratch = Timeline()
    out: list[Op] = []
    for kind in (VIDEO, VIDEO, AUDIO, AUDIO):
        (op,) = add_track(scratch, kind)
        ops.apply(scratch, op)
        out.append(op)
    return out
