"""What an editing gesture does, as steps of the core's checked edits (studio.core.edits).

Each function takes the open edit (a core EditTx): every step is applied at once, so the next one is
checked against the timeline as it now stands, and the whole gesture is journaled as one undo step
or, if any step is refused, not at all. The rules live here, below both front ends, so the app's
drags and `studio project move/trim/remove` agree: a clip with picture and sound lands as a linked
pair (see docs/decisions.md) whose halves move, trim and go together, a drop lands at the first free
place, and a new project starts with the default tracks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from studio.core import edits
from studio.core.clips import Clip
from studio.core.errors import EditRejected
from studio.core.placement import placement_of
from studio.core.timecode import ZERO, format_clock
from studio.core.timeline import AUDIO, VIDEO, Item, Timeline, new_id

if TYPE_CHECKING:
    from studio.core.project import EditTx

ClipLookup = Callable[[str], Clip | None]
UI_META = "studio.ui"
"""Item metadata namespace of the editor: {"link": id} ties a clip's picture to its sound."""


def link_of(item: Item) -> str | None:
    meta = item.metadata.get(UI_META) if isinstance(item.metadata, dict) else None
    link = meta.get("link") if isinstance(meta, dict) else None
    return link if isinstance(link, str) else None


def linked_items(tl: Timeline, item_id: str) -> list[Item]:
    """The item and those placed with it (its picture or sound), the item first."""
    item = edits.get_item(tl, item_id)
    link = link_of(item)
    partners = [i for i in tl.items.values() if i.id != item.id and link is not None and link_of(i) == link]
    return [item, *partners]


def _set_link(tx: EditTx, item_ids: Iterable[str], link: str) -> None:
    for item_id in item_ids:
        meta = tx.timeline.items[item_id].metadata.get(UI_META)
        value = {**(meta if isinstance(meta, dict) else {}), "link": link}
        tx.do(edits.set_item_metadata(tx.timeline, item_id, UI_META, value))


def free_start(tl: Timeline, track_id: str, at: Fraction, duration: Fraction) -> Fraction:
    """The earliest start >= at where `duration` fits on the track without covering an item."""
    start = max(ZERO, at)
    placement = placement_of(tl)
    while True:
        covered = placement.overlapping(track_id, start, start + duration)
        if not covered:
            return start
        start = max(i.end for i in covered)


def default_tracks(tx: EditTx) -> None:
    """V1, V2, A1 and A2 for a new project, made in the app or by `studio project new`."""
    for kind in (VIDEO, VIDEO, AUDIO, AUDIO):
        tx.do(edits.add_track(tx.timeline, kind))


def _unlocked(tl: Timeline, kind: str, preferred: str) -> str | None:
    track = tl.tracks.get(preferred)
    if track is not None and track.kind == kind and not track.locked:
        return track.id
    return next((t.id for t in tl.ordered_tracks(kind) if not t.locked), None)


def landing_tracks(tl: Timeline, clip: Clip, track_id: str) -> list[str]:
    """The tracks a clip dropped on `track_id` lands on: its picture on a video track (that one, when it
    is an unlocked video track, else the lowest unlocked one) and its sound likewise on an audio track."""
    video = _unlocked(tl, VIDEO, track_id) if clip.has_video else None
    audio = _unlocked(tl, AUDIO, track_id) if clip.has_audio else None
    if (clip.has_video and video is None) or (not clip.has_video and audio is None):
        kind = "a video" if clip.has_video else "an audio"
        raise EditRejected(f"add {kind} track (unlocked) to place {clip.title}")
    return [t for t in (video, audio) if t is not None]


def place_clip(
    tx: EditTx,
    clip: Clip,
    track_id: str,
    at: Fraction,
    *,
    source_in: Fraction | None = None,
    source_out: Fraction | None = None,
    exact: bool = False,
) -> list[str]:
    """Put a clip on the timeline at the first free place at or after `at` (exactly at `at` with `exact`,
    refused if that would overlap); returns the new item ids.

    A clip with picture and sound lands as two linked items at the same time and with the same in and
    out points: picture on a video track (the one dropped on, when it is one), sound on an audio track.
    The picture's id comes first. Without `source_in`/`source_out` the whole clip is placed.
    """
    tl = tx.timeline
    tracks = landing_tracks(tl, clip, track_id)
    s_in = ZERO if source_in is None else source_in
    if source_out is not None:
        s_out = source_out
    elif clip.duration and clip.kind != "image":
        s_out = clip.duration
    else:
        s_out = s_in + edits.STILL_DEFAULT_DURATION
    length = s_out - s_in
    start = at if exact else max(ZERO, at)
    while not exact:
        fitted = max(free_start(tl, t, start, length) for t in tracks)
        if fitted == start:
            break
        start = fitted
    ids = []
    for track in tracks:
        item_id = new_id()
        tx.do(edits.insert_item(tl, clip, track, at=start, source_in=s_in, source_out=s_out, item_id=item_id))
        ids.append(item_id)
    if len(ids) > 1:
        _set_link(tx, ids, new_id())
    return ids


def add_title(tx: EditTx, track_id: str, at: Fraction, text: str) -> str:
    """A title card at the first free place at or after `at`; returns its id."""
    item_id = new_id()
    start = free_start(tx.timeline, track_id, at, edits.STILL_DEFAULT_DURATION)
    tx.do(edits.add_title(tx.timeline, track_id, text, at=start, item_id=item_id))
    return item_id


def move(tx: EditTx, item_ids: list[str], delta: Fraction, track_for: dict[str, str]) -> None:
    """Move items by `delta`, each onto track_for[id] (or its own track).

    Items go one by one, leading edge first (the rightmost first when moving right), so an item
    never lands on where another moving item still is.
    """
    tl = tx.timeline
    items = [edits.get_item(tl, i) for i in item_ids]
    for item in items:
        if item.start + delta < 0:
            raise EditRejected(f"items cannot start before 0:00 (moving by {format_clock(delta)})")
    for item in sorted(items, key=lambda i: i.start, reverse=delta > 0):
        tx.do(edits.move_item(tl, item.id, at=item.start + delta, track_ref=track_for.get(item.id)))


def trim(tx: EditTx, item_id: str, edge: str, t: Fraction, clip_lookup: ClipLookup) -> None:
    """Drag an item's start or end edge to timeline time `t`; items linked to it whose edge is at the
    same place follow."""
    tl = tx.timeline
    grabbed = edits.get_item(tl, item_id)
    old_edge = grabbed.start if edge == "start" else grabbed.end
    for item in linked_items(tl, item_id):
        if (item.start if edge == "start" else item.end) == old_edge:
            _trim_one(tx, item, edge, t, clip_lookup)


def _trim_one(tx: EditTx, item: Item, edge: str, t: Fraction, clip_lookup: ClipLookup) -> None:
    clip = clip_lookup(item.clip) if item.clip else None
    if edge == "end":
        tx.do(edits.trim_item(tx.timeline, item.id, source_out=item.source_in + t - item.start, clip=clip))
    else:
        tx.do(edits.trim_item(tx.timeline, item.id, source_in=item.source_in + t - item.start, clip=clip))


def split(tx: EditTx, item_ids: Iterable[str], at: Fraction) -> list[str]:
    """Cut every given item that spans `at`; returns the new right-hand parts. Right parts of a
    linked pair are linked to each other (not to the left parts)."""
    tl = tx.timeline
    spanning = [i for i in (edits.get_item(tl, iid) for iid in item_ids) if i.start < at < i.end]
    if not spanning:
        raise EditRejected(f"nothing to split at {format_clock(at)}: no selected item spans the playhead")
    right: dict[str | None, list[str]] = {}
    for item in spanning:
        part = new_id()
        tx.do(edits.split_item(tl, item.id, at, new_id_=part))
        right.setdefault(link_of(item), []).append(part)
    for link, parts in right.items():
        if link is not None:
            _set_link(tx, parts, new_id())
    return [p for parts in right.values() for p in parts]


def delete(tx: EditTx, item_ids: Iterable[str], *, ripple: bool = False) -> None:
    """Remove items; with ripple, later items on each item's track close the gap."""
    for item_id in item_ids:
        tx.do((edits.ripple_remove if ripple else edits.remove_item)(tx.timeline, item_id))


def paste(
    tx: EditTx,
    copied: list[dict[str, Any]],
    at: Fraction,
    fallback_track: str | None,
    clip_lookup: ClipLookup,
) -> list[str]:
    """Insert copies of items so the earliest lands at `at` (or the next free place), each on its own
    track when it still exists, else on `fallback_track`. Copies of a linked pair are linked anew."""
    if not copied:
        raise EditRejected("nothing copied to paste")
    sources = [Item.from_dict(d) for d in copied]
    earliest = min(i.start for i in sources)
    groups: dict[str, list[Item]] = {}
    for source in sources:
        groups.setdefault(link_of(source) or source.id, []).append(source)
    placed_at: dict[str, Fraction] = {}
    for group in groups.values():
        first = min(i.start for i in group)
        start = _group_start(tx.timeline, group, at + (first - earliest), fallback_track)
        for source in group:
            placed_at[source.id] = start + (source.start - first)
    links: dict[str, str] = {}
    placed = []
    for source in sorted(sources, key=lambda i: i.start):
        tl = tx.timeline
        track_id = _paste_track(tl, source, fallback_track)
        start = placed_at[source.id]
        item_id = new_id()
        if source.kind == "title":
            tx.do(
                edits.add_title(
                    tl, track_id, source.text, at=start, duration=source.duration, item_id=item_id
                )
            )
        else:
            clip = clip_lookup(source.clip or "")
            if clip is None:
                raise EditRejected(f"clip {(source.clip or '')[:12]} is not in the library: pull it first")
            tx.do(
                edits.insert_item(
                    tl, clip, track_id, at=start, source_in=source.source_in, source_out=source.source_out,
                    item_id=item_id,
                )
            )  # fmt: skip
        set_item_fields(tx, item_id, gain_db=source.gain_db, fade_in=source.fade_in, fade_out=source.fade_out,
                        muted=source.muted)  # fmt: skip
        link = link_of(source)
        if link is not None:
            _set_link(tx, [item_id], links.setdefault(link, new_id()))
        placed.append(item_id)
    return placed


def _paste_track(tl: Timeline, source: Item, fallback_track: str | None) -> str:
    track_id = source.track if source.track in tl.tracks else fallback_track
    if track_id is None or track_id not in tl.tracks:
        raise EditRejected("the copied items' track is gone: select an item on a track to paste on")
    return track_id


def _group_start(tl: Timeline, group: list[Item], at: Fraction, fallback_track: str | None) -> Fraction:
    """The earliest start >= at where every item of a linked group fits on its track, keeping their
    offsets: a picture and its sound stay in sync, as a drop from the library places them."""
    first = min(i.start for i in group)
    start = max(ZERO, at)
    while True:
        fitted = max(
            free_start(tl, _paste_track(tl, i, fallback_track), start + (i.start - first), i.duration)
            - (i.start - first)
            for i in group
        )
        if fitted == start:
            return start
        start = fitted


def set_item_fields(tx: EditTx, item_id: str, **changes: Any) -> None:
    """The inspector's fields, each through its core edit: gain_db, fade_in/fade_out, muted, text."""
    unknown = set(changes) - {"gain_db", "fade_in", "fade_out", "muted", "text"}
    if unknown:
        raise EditRejected(f"items have no editable field {', '.join(sorted(unknown))}")
    tl = tx.timeline
    if "gain_db" in changes:
        tx.do(edits.set_gain(tl, item_id, changes["gain_db"]))
    if "fade_in" in changes or "fade_out" in changes:
        tx.do(edits.set_fades(tl, item_id, fade_in=changes.get("fade_in"), fade_out=changes.get("fade_out")))
    if "muted" in changes:
        tx.do(edits.set_item_muted(tl, item_id, bool(changes["muted"])))
    if "text" in changes:
        tx.do(edits.set_text(tl, item_id, str(changes["text"])))
