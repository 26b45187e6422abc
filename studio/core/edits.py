"""Edit operations: pure functions (timeline, arguments) -> list of primitive ops.

Each function checks the edit against the timeline and raises EditRejected or NotFound with a
message naming what is wrong; it never changes the timeline. The project session applies the
returned ops and journals them as one undo step. Times are exact Fractions of a second;
`in`/`out` are points in the clip (source), `at` is a point on the timeline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from studio.core.clips import Clip
from studio.core.errors import EditRejected, NotFound
from studio.core.fractional_index import key_between
from studio.core.ops import Op, insert, remove, set_fields, set_settings
from studio.core.placement import placement_of
from studio.core.timecode import ZERO
from studio.core.timeline import (
    AUDIO,
    TRACK_KINDS,
    TRACK_NAME_RE,
    VIDEO,
    Conflict,
    Entity,
    Item,
    Marker,
    Timeline,
    Track,
    decode_setting,
    new_id,
)

STILL_DEFAULT_DURATION = Fraction(5)
"""Length given to a still image or a title when no out point is given."""

_PREFIX = {VIDEO: "V", AUDIO: "A"}


def format_seconds(t: Fraction) -> str:
    """Exact and readable: "1.5" when t is a short decimal, else "1001/30000"."""
    if t.denominator == 1:
        return str(t.numerator)
    den = t.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    digits = max(twos, fives)
    if den != 1 or digits > 9:
        return f"{t.numerator}/{t.denominator}"
    scaled = t * 10**digits
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled.numerator), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}"


def _s(t: Fraction) -> str:
    return f"{format_seconds(t)} s"


# --- lookups ------------------------------------------------------------------------------------


def find_track(timeline: Timeline, ref: str) -> Track:
    """A track by name (V1, A2 ...) or id."""
    track = timeline.track_by_name(ref)
    if track is None:
        names = ", ".join(t.name for t in timeline.ordered_tracks()) or "none"
        raise NotFound(f"no track {ref!r} in this project (tracks: {names})")
    return track


def get_item(timeline: Timeline, item_id: str) -> Item:
    item = timeline.items.get(item_id)
    if item is None:
        raise NotFound(f"no item {item_id!r} in this project")
    return item


def find_item(timeline: Timeline, ref: str) -> Item:
    """An item by id or unique id prefix."""
    ref = ref.strip().lower()
    if ref in timeline.items:
        return timeline.items[ref]
    matches = [i for i in timeline.items.values() if ref and i.id.startswith(ref)]
    if not matches:
        raise NotFound(f"no item {ref!r} in this project")
    if len(matches) > 1:
        ids = ", ".join(sorted(i.id[:12] for i in matches)[:5])
        raise NotFound(f"item prefix {ref!r} is ambiguous ({ids}...): give more of the id")
    return matches[0]


def get_marker(timeline: Timeline, marker_id: str) -> Marker:
    marker = timeline.markers.get(marker_id)
    if marker is None:
        raise NotFound(f"no marker {marker_id!r} in this project")
    return marker


def items_on(timeline: Timeline, track_id: str) -> Iterable[Item]:
    return (i for i in timeline.items.values() if i.track == track_id)


def track_end(timeline: Timeline, track_id: str) -> Fraction:
    """Where the last item on a track ends (0 for an empty track)."""
    return placement_of(timeline).end_of(track_id)


def _describe(timeline: Timeline, item: Item) -> str:
    track = timeline.tracks.get(item.track)
    where = f" on {track.name}" if track else ""
    return f"item {item.id[:8]} ({_s(item.start)} to {_s(item.end)}{where})"


def _check_unlocked(track: Track) -> None:
    if track.locked:
        raise EditRejected(f"track {track.name} is locked: unlock it first")


def _track_of(timeline: Timeline, item: Item) -> Track:
    track = timeline.tracks.get(item.track)
    if track is None:
        raise NotFound(f"item {item.id[:8]} is on a track that no longer exists")
    return track


def _check_free(
    timeline: Timeline, track: Track, start: Fraction, end: Fraction, what: str, ignore: Iterable[str] = ()
) -> None:
    skip = set(ignore)
    for other in placement_of(timeline).overlapping(track.id, start, end):
        if other.id not in skip:
            raise EditRejected(
                f"{what} ({_s(start)} to {_s(end)}) would overlap {_describe(timeline, other)}"
            )


def _check_time(value: Fraction, what: str) -> None:
    if value < 0:
        raise EditRejected(f"{what} must not be negative (got {_s(value)})")


# --- tracks -------------------------------------------------------------------------------------


def next_track_name(timeline: Timeline, kind: str) -> str:
    """The first free V<n> / A<n> name for a new track of `kind`."""
    used = {t.name for t in timeline.tracks.values()}
    n = 1
    while f"{_PREFIX[kind]}{n}" in used:
        n += 1
    return f"{_PREFIX[kind]}{n}"


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
    _check_unlocked(track)
    doomed = sorted(items_on(timeline, track.id), key=lambda i: (i.start, i.id))
    return [*(remove(i) for i in doomed), remove(track)]


# --- items --------------------------------------------------------------------------------------


def _check_clip_fits_track(clip: Clip, track: Track) -> None:
    title = clip.title or clip.id[:12]
    if track.kind == VIDEO and clip.kind == "audio":
        raise EditRejected(f"clip {title!r} is sound only: put it on an audio track (A1, A2 ...)")
    if track.kind == AUDIO:
        if clip.kind in ("image", "title"):
            raise EditRejected(f"clip {title!r} is a {clip.kind} with no sound: put it on a video track")
        if clip.kind == "video" and not clip.has_audio:
            raise EditRejected(f"clip {title!r} has no sound to put on audio track {track.name}")


def _source_range(
    clip: Clip, source_in: Fraction | None, source_out: Fraction | None
) -> tuple[Fraction, Fraction]:
    title = clip.title or clip.id[:12]
    s_in = ZERO if source_in is None else source_in
    _check_time(s_in, "the in point")
    if source_out is not None:
        s_out = source_out
    elif clip.duration is not None and clip.kind not in ("image", "title"):
        s_out = clip.duration
    elif clip.kind in ("image", "title"):
        s_out = s_in + STILL_DEFAULT_DURATION
    else:
        raise EditRejected(f"the length of clip {title!r} is unknown: give an out point")
    if s_out <= s_in:
        raise EditRejected(f"the out point ({_s(s_out)}) must be after the in point ({_s(s_in)})")
    if clip.duration is not None and clip.kind not in ("image", "title") and s_out > clip.duration:
        raise EditRejected(
            f"the out point ({_s(s_out)}) is past the end of clip {title!r} ({_s(clip.duration)} long)"
        )
    return s_in, s_out


def insert_item(
    timeline: Timeline,
    clip: Clip,
    track_ref: str,
    *,
    at: Fraction | None = None,
    source_in: Fraction | None = None,
    source_out: Fraction | None = None,
    item_id: str | None = None,
) -> list[Op]:
    """Place part of a clip on a track, at `at` (default: the end of the track).

    A video clip on an audio track means its sound; sound-only clips go on audio tracks and
    pictures (video, image, title) on video tracks.
    """
    track = find_track(timeline, track_ref)
    _check_unlocked(track)
    _check_clip_fits_track(clip, track)
    s_in, s_out = _source_range(clip, source_in, source_out)
    start = track_end(timeline, track.id) if at is None else at
    _check_time(start, "the position")
    duration = s_out - s_in
    _check_free(timeline, track, start, start + duration, f"clip {clip.title or clip.id[:12]!r}")
    item = Item(
        id=item_id or new_id(), track=track.id, start=start, duration=duration, source_in=s_in, clip=clip.id
    )
    return [insert(item)]


def add_title(
    timeline: Timeline,
    track_ref: str,
    text: str,
    *,
    at: Fraction | None = None,
    duration: Fraction = STILL_DEFAULT_DURATION,
    item_id: str | None = None,
) -> list[Op]:
    """A title card (text over picture) on a video track."""
    track = find_track(timeline, track_ref)
    _check_unlocked(track)
    if track.kind != VIDEO:
        raise EditRejected(f"a title goes on a video track, not on audio track {track.name}")
    if duration <= 0:
        raise EditRejected(f"a title needs a positive duration (got {_s(duration)})")
    start = track_end(timeline, track.id) if at is None else at
    _check_time(start, "the position")
    _check_free(timeline, track, start, start + duration, "the title")
    item = Item(
        id=item_id or new_id(), track=track.id, start=start, duration=duration, kind="title", text=text
    )
    return [insert(item)]


def move_item(
    timeline: Timeline, item_id: str, *, at: Fraction | None = None, track_ref: str | None = None
) -> list[Op]:
    """Move an item in time and/or to another track of the same kind (one field update)."""
    item = get_item(timeline, item_id)
    source = _track_of(timeline, item)
    _check_unlocked(source)
    target = source if track_ref is None else find_track(timeline, track_ref)
    if target.kind != source.kind:
        raise EditRejected(
            f"cannot move {_describe(timeline, item)} from {source.kind} track {source.name} "
            f"to {target.kind} track {target.name}: add the clip there instead"
        )
    _check_unlocked(target)
    start = item.start if at is None else at
    _check_time(start, "the position")
    _check_free(timeline, target, start, start + item.duration, f"item {item.id[:8]}", ignore=[item.id])
    changes: dict[str, Any] = {}
    if start != item.start:
        changes["start"] = start
    if target.id != item.track:
        changes["track"] = target.id
    return [set_fields(item, **changes)] if changes else []


def _fitted_fades(item: Item, duration: Fraction) -> dict[str, Fraction]:
    """Fades shortened so that fade in + fade out still fit in `duration`."""
    fade_in = min(item.fade_in, duration)
    fade_out = min(item.fade_out, duration - fade_in)
    out: dict[str, Fraction] = {}
    if fade_in != item.fade_in:
        out["fade_in"] = fade_in
    if fade_out != item.fade_out:
        out["fade_out"] = fade_out
    return out


def _is_still(item: Item, clip: Clip | None) -> bool:
    """Titles and still images show the same picture at every source time, so they have no source limit."""
    return item.kind == "title" or (clip is not None and clip.kind in ("image", "title"))


def trim_item(
    timeline: Timeline,
    item_id: str,
    *,
    source_in: Fraction | None = None,
    source_out: Fraction | None = None,
    clip_duration: Fraction | None = None,
    clip: Clip | None = None,
) -> list[Op]:
    """Change an item's in and/or out point in its clip.

    Moving the in point moves the item's start by the same amount, so the rest of the item stays
    where it is on the timeline (as when dragging its left edge). `clip` is the item's clip when
    known: a video or audio clip bounds the out point by its duration (as `clip_duration` does),
    while titles and still images have no source limit, so an in point before 0 lengthens them at
    the head (their stored in point stays at 0 or more). Video and audio in points stay >= 0.
    """
    item = get_item(timeline, item_id)
    track = _track_of(timeline, item)
    _check_unlocked(track)
    if clip is not None and clip.id != item.clip:
        raise EditRejected(f"clip {clip.id[:12]} is not the clip of {_describe(timeline, item)}")
    still = _is_still(item, clip)
    if clip is not None and not still and clip.duration is not None:
        clip_duration = clip.duration if clip_duration is None else min(clip_duration, clip.duration)
    new_in = item.source_in if source_in is None else source_in
    new_out = item.source_out if source_out is None else source_out
    if not still:
        _check_time(new_in, "the in point")
    if new_out <= new_in:
        raise EditRejected(f"the out point ({_s(new_out)}) must be after the in point ({_s(new_in)})")
    if clip_duration is not None and not still and new_out > clip_duration:
        raise EditRejected(
            f"the out point ({_s(new_out)}) is past the end of the clip ({_s(clip_duration)} long)"
        )
    start = item.start + (new_in - item.source_in)
    if start < 0:
        raise EditRejected(
            f"an in point of {_s(new_in)} would start {_describe(timeline, item)} before the timeline's start"
        )
    duration = new_out - new_in
    stored_in = max(ZERO, new_in)
    _check_free(timeline, track, start, start + duration, f"item {item.id[:8]}", ignore=[item.id])
    changes: dict[str, Any] = {}
    if start != item.start:
        changes["start"] = start
    if stored_in != item.source_in:
        changes["source_in"] = stored_in
    if duration != item.duration:
        changes["duration"] = duration
    changes.update(_fitted_fades(item, duration))
    return [set_fields(item, **changes)] if changes else []


def split_item(timeline: Timeline, item_id: str, at: Fraction, *, new_id_: str | None = None) -> list[Op]:
    """Cut an item in two at timeline time `at`; the right part is a new item.

    The fade in stays with the left part and the fade out goes with the right part.
    """
    item = get_item(timeline, item_id)
    _check_unlocked(_track_of(timeline, item))
    if not item.start < at < item.end:
        raise EditRejected(f"{_s(at)} is not inside {_describe(timeline, item)}: nothing to split")
    left = at - item.start
    right = item.end - at
    left_changes: dict[str, Any] = {"duration": left}
    if item.fade_in > left:
        left_changes["fade_in"] = left
    if item.fade_out:
        left_changes["fade_out"] = ZERO
    part = Item(
        id=new_id_ or new_id(),
        track=item.track,
        start=at,
        duration=right,
        source_in=item.source_in + left,
        clip=item.clip,
        kind=item.kind,
        text=item.text,
        gain_db=item.gain_db,
        fade_in=ZERO,
        fade_out=min(item.fade_out, right),
        muted=item.muted,
        metadata=dict(item.metadata),
    )
    return [set_fields(item, **left_changes), insert(part)]


def remove_item(timeline: Timeline, item_id: str) -> list[Op]:
    item = get_item(timeline, item_id)
    _check_unlocked(_track_of(timeline, item))
    return [remove(item)]


def ripple_remove(timeline: Timeline, item_id: str) -> list[Op]:
    """Remove an item and pull everything after it on the same track left to close the gap."""
    item = get_item(timeline, item_id)
    _check_unlocked(_track_of(timeline, item))
    later = placement_of(timeline).starting_from(item.track, item.end)
    return [remove(item), *(set_fields(i, start=i.start - item.duration) for i in later)]


def _editable_item(timeline: Timeline, item_id: str) -> Item:
    item = get_item(timeline, item_id)
    _check_unlocked(_track_of(timeline, item))
    return item


def set_gain(timeline: Timeline, item_id: str, gain_db: float) -> list[Op]:
    item = _editable_item(timeline, item_id)
    gain = float(gain_db)
    if not -100.0 <= gain <= 40.0:
        raise EditRejected(f"gain must be between -100 and 40 dB (got {gain_db})")
    return [] if gain == item.gain_db else [set_fields(item, gain_db=gain)]


def set_fades(
    timeline: Timeline, item_id: str, *, fade_in: Fraction | None = None, fade_out: Fraction | None = None
) -> list[Op]:
    item = _editable_item(timeline, item_id)
    new_in = item.fade_in if fade_in is None else fade_in
    new_out = item.fade_out if fade_out is None else fade_out
    _check_time(new_in, "the fade in")
    _check_time(new_out, "the fade out")
    if new_in + new_out > item.duration:
        raise EditRejected(
            f"fades of {_s(new_in)} and {_s(new_out)} do not fit in {_describe(timeline, item)}"
        )
    changes: dict[str, Any] = {}
    if new_in != item.fade_in:
        changes["fade_in"] = new_in
    if new_out != item.fade_out:
        changes["fade_out"] = new_out
    return [set_fields(item, **changes)] if changes else []


def set_item_muted(timeline: Timeline, item_id: str, muted: bool) -> list[Op]:
    item = _editable_item(timeline, item_id)
    return [] if item.muted == muted else [set_fields(item, muted=muted)]


def set_text(timeline: Timeline, item_id: str, text: str) -> list[Op]:
    item = _editable_item(timeline, item_id)
    if item.kind != "title":
        raise EditRejected(f"{_describe(timeline, item)} is a clip, not a title: it has no text")
    return [] if item.text == text else [set_fields(item, text=text)]


METADATA_NAMESPACE_RE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$")
"""Item metadata is namespaced by dotted lowercase names ("studio.ui", "studio.credits", "otio")."""


def _check_json(value: Any, where: str) -> Any:
    """A deep copy of `value` if it is plain JSON: objects with text keys, lists, text, numbers, null."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EditRejected(f"{where} is {value}: metadata numbers must be finite")
        return value
    if isinstance(value, list):
        return [_check_json(v, f"{where}[{n}]") for n, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise EditRejected(f"{where} has a key {k!r}: metadata keys must be text")
            out[k] = _check_json(v, f"{where}[{k!r}]")
        return out
    raise EditRejected(f"{where} is a {type(value).__name__}: metadata holds only JSON values")


def set_item_metadata(
    timeline: Timeline, item_id: str, namespace: str, value: dict[str, Any] | None
) -> list[Op]:
    """Set (or, with None, remove) one namespace of an item's metadata, leaving the others as they are.

    Metadata syncs, undoes and is saved like any field, so it must be plain JSON under a dotted
    lowercase namespace; tools keep their own data in their own namespace.
    """
    item = _editable_item(timeline, item_id)
    if not isinstance(namespace, str) or not METADATA_NAMESPACE_RE.match(namespace):
        raise EditRejected(
            f"item metadata namespace {namespace!r} is not a dotted lowercase name such as 'studio.ui'"
        )
    metadata = dict(item.metadata)
    if value is None:
        if namespace not in metadata:
            return []
        del metadata[namespace]
    else:
        if not isinstance(value, dict):
            raise EditRejected(
                f"item metadata {namespace!r} must be an object (a dict), not a {type(value).__name__}"
            )
        checked = _check_json(value, f"item metadata {namespace!r}")
        if metadata.get(namespace) == checked:
            return []
        metadata[namespace] = checked
    return [set_fields(item, metadata=metadata)]


# --- markers ------------------------------------------------------------------------------------


def add_marker(
    timeline: Timeline, at: Fraction, note: str = "", *, author: str = "", marker_id: str | None = None
) -> list[Op]:
    _check_time(at, "a marker's position")
    return [insert(Marker(id=marker_id or new_id(), at=at, note=note, author=author))]


def edit_marker(
    timeline: Timeline,
    marker_id: str,
    *,
    at: Fraction | None = None,
    note: str | None = None,
    done: bool | None = None,
) -> list[Op]:
    marker = get_marker(timeline, marker_id)
    changes: dict[str, Any] = {}
    if at is not None and at != marker.at:
        _check_time(at, "a marker's position")
        changes["at"] = at
    if note is not None and note != marker.note:
        changes["note"] = note
    if done is not None and done != marker.done:
        changes["done"] = done
    return [set_fields(marker, **changes)] if changes else []


def remove_marker(timeline: Timeline, marker_id: str) -> list[Op]:
    return [remove(get_marker(timeline, marker_id))]


# --- conflicts ----------------------------------------------------------------------------------


def _resolve_only(conflict: Conflict) -> Op:
    resolves = [conflict.to_dict()]
    return {"op": "set", "entity": "timeline", "id": "", "new": {}, "old": {}, "resolves": resolves}


def resolve_conflict(timeline: Timeline, conflict_id: str, choice: int | None = None) -> list[Op]:
    """Settle a conflict.

    A field conflict lists candidate values, the one in effect first: `choice` picks one by
    index (None keeps the value in effect). A "deleted" conflict (an entity edited by one person
    and deleted by another, kept alive): None or 0 keeps it, 1 completes the deletion.
    """
    conflict = timeline.conflicts.get(conflict_id)
    if conflict is None:
        raise NotFound(f"no conflict {conflict_id!r} in this project")
    if conflict.kind == "deleted":
        if choice in (None, 0):
            return [_resolve_only(conflict)]
        if choice != 1:
            raise EditRejected(
                f"conflict {conflict_id}: choose 0 to keep the {conflict.entity} or 1 to delete it"
            )
        if conflict.entity == "track":
            ops = remove_track(timeline, conflict.target)
        else:
            entity = timeline.collection(conflict.entity).get(conflict.target)
            ops = [] if entity is None else [remove(entity)]
        return [*ops, _resolve_only(conflict)] if ops else [_resolve_only(conflict)]
    index = 0 if choice is None else choice
    if not 0 <= index < len(conflict.values):
        raise EditRejected(
            f"conflict {conflict_id} has {len(conflict.values)} values: "
            f"choose 0 to {len(conflict.values) - 1}"
        )
    if index == 0:
        return [_resolve_only(conflict)]
    value = conflict.values[index]
    if conflict.entity == "timeline":
        assert conflict.field is not None
        op = set_settings(timeline, **{conflict.field: decode_setting(conflict.field, value)})
    else:
        entity = timeline.collection(conflict.entity).get(conflict.target)
        if entity is None:
            raise NotFound(f"conflict {conflict_id}: its {conflict.entity} no longer exists")
        op = set_fields(entity, **_decoded_changes(entity, conflict.field, value))
    op["resolves"] = [conflict.to_dict()]
    return [op]


def _decoded_changes(entity: Entity, field: str | None, value: Any) -> dict[str, Any]:
    cls = type(entity)
    if field is not None:
        return {field: cls.decode_field(field, value)}
    if not isinstance(value, dict):
        raise EditRejected(f"conflict value for {cls.ENTITY} {entity.id} is not a whole record")
    return {k: cls.decode_field(k, v) for k, v in value.items() if k != "id" and k in cls.FIELDS}
