"""Item edits: insert a clip or a title, move, trim, split, remove (with or without closing the gap), gain,
fades, mute and title text."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from studio.core.clips import Clip
from studio.core.edits.lookup import (
    STILL_DEFAULT_DURATION,
    check_free,
    check_time,
    check_unlocked,
    describe,
    editable_item,
    find_track,
    get_item,
    secs,
    track_end,
    track_of,
)
from studio.core.errors import EditRejected
from studio.core.ops import Op, insert, remove, set_fields
from studio.core.placement import placement_of
from studio.core.timecode import ZERO
from studio.core.timeline import AUDIO, VIDEO, Item, Timeline, Track, new_id


def check_clip_fits_track(clip: Clip, track: Track) -> None:
    """Refuse a clip on a track of a kind it has nothing for (sound on a video track, a still on an audio
    one)."""
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
    check_time(s_in, "the in point")
    if source_out is not None:
        s_out = source_out
    elif clip.duration is not None and clip.kind not in ("image", "title"):
        s_out = clip.duration
    elif clip.kind in ("image", "title"):
        s_out = s_in + STILL_DEFAULT_DURATION
    else:
        raise EditRejected(f"the length of clip {title!r} is unknown: give an out point")
    if s_out <= s_in:
        raise EditRejected(f"the out point ({secs(s_out)}) must be after the in point ({secs(s_in)})")
    if clip.duration is not None and clip.kind not in ("image", "title") and s_out > clip.duration:
        raise EditRejected(
            f"the out point ({secs(s_out)}) is past the end of clip {title!r} ({secs(clip.duration)} long)"
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
    check_unlocked(track)
    check_clip_fits_track(clip, track)
    s_in, s_out = _source_range(clip, source_in, source_out)
    start = track_end(timeline, track.id) if at is None else at
    check_time(start, "the position")
    duration = s_out - s_in
    check_free(timeline, track, start, start + duration, f"clip {clip.title or clip.id[:12]!r}")
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
    check_unlocked(track)
    if track.kind != VIDEO:
        raise EditRejected(f"a title goes on a video track, not on audio track {track.name}")
    if duration <= 0:
        raise EditRejected(f"a title needs a positive duration (got {secs(duration)})")
    start = track_end(timeline, track.id) if at is None else at
    check_time(start, "the position")
    check_free(timeline, track, start, start + duration, "the title")
    item = Item(
        id=item_id or new_id(), track=track.id, start=start, duration=duration, kind="title", text=text
    )
    return [insert(item)]


def move_item(
    timeline: Timeline, item_id: str, *, at: Fraction | None = None, track_ref: str | None = None
) -> list[Op]:
    """Move an item in time and/or to another track of the same kind (one field update)."""
    item = get_item(timeline, item_id)
    source = track_of(timeline, item)
    check_unlocked(source)
    target = source if track_ref is None else find_track(timeline, track_ref)
    if target.kind != source.kind:
        raise EditRejected(
            f"cannot move {describe(timeline, item)} from {source.kind} track {source.name} "
            f"to {target.kind} track {target.name}: add the clip there instead"
        )
    check_unlocked(target)
    start = item.start if at is None else at
    check_time(start, "the position")
    check_free(timeline, target, start, start + item.duration, f"item {item.id[:8]}", ignore=[item.id])
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
    track = track_of(timeline, item)
    check_unlocked(track)
    if clip is not None and clip.id != item.clip:
        raise EditRejected(f"clip {clip.id[:12]} is not the clip of {describe(timeline, item)}")
    still = _is_still(item, clip)
    if clip is not None and not still and clip.duration is not None:
        clip_duration = clip.duration if clip_duration is None else min(clip_duration, clip.duration)
    new_in = item.source_in if source_in is None else source_in
    new_out = item.source_out if source_out is None else source_out
    if not still:
        check_time(new_in, "the in point")
    if new_out <= new_in:
        raise EditRejected(f"the out point ({secs(new_out)}) must be after the in point ({secs(new_in)})")
    if clip_duration is not None and not still and new_out > clip_duration:
        raise EditRejected(
            f"the out point ({secs(new_out)}) is past the end of the clip ({secs(clip_duration)} long)"
        )
    start = item.start + (new_in - item.source_in)
    if start < 0:
        raise EditRejected(
            f"an in point of {secs(new_in)} would start {describe(timeline, item)} "
            "before the timeline's start"
        )
    duration = new_out - new_in
    stored_in = max(ZERO, new_in)
    check_free(timeline, track, start, start + duration, f"item {item.id[:8]}", ignore=[item.id])
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
    check_unlocked(track_of(timeline, item))
    if not item.start < at < item.end:
        raise EditRejected(f"{secs(at)} is not inside {describe(timeline, item)}: nothing to split")
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
    check_unlocked(track_of(timeline, item))
    return [remove(item)]


def ripple_remove(timeline: Timeline, item_id: str) -> list[Op]:
    """Remove an item and pull everything after it on the same track left to close the gap."""
    item = get_item(timeline, item_id)
    check_unlocked(track_of(timeline, item))
    later = placement_of(timeline).starting_from(item.track, item.end)
    return [remove(item), *(set_fields(i, start=i.start - item.duration) for i in later)]


def set_gain(timeline: Timeline, item_id: str, gain_db: float) -> list[Op]:
    item = editable_item(timeline, item_id)
    gain = float(gain_db)
    if not -100.0 <= gain <= 40.0:
        raise EditRejected(f"gain must be between -100 and 40 dB (got {gain_db})")
    return [] if gain == item.gain_db else [set_fields(item, gain_db=gain)]


def set_fades(
    timeline: Timeline, item_id: str, *, fade_in: Fraction | None = None, fade_out: Fraction | None = None
) -> list[Op]:
    item = editable_item(timeline, item_id)
    new_in = item.fade_in if fade_in is None else fade_in
    new_out = item.fade_out if fade_out is None else fade_out
    check_time(new_in, "the fade in")
    check_time(new_out, "the fade out")
    if new_in + new_out > item.duration:
        raise EditRejected(
            f"fades of {secs(new_in)} and {secs(new_out)} do not fit in {describe(timeline, item)}"
        )
    changes: dict[str, Any] = {}
    if new_in != item.fade_in:
        changes["fade_in"] = new_in
    if new_out != item.fade_out:
        changes["fade_out"] = new_out
    return [set_fields(item, **changes)] if changes else []


def set_item_muted(timeline: Timeline, item_id: str, muted: bool) -> list[Op]:
    item = editable_item(timeline, item_id)
    return [] if item.muted == muted else [set_fields(item, muted=muted)]


def set_text(timeline: Timeline, item_id: str, text: str) -> list[Op]:
    item = editable_item(timeline, item_id)
    if item.kind != "title":
        raise EditRejected(f"{describe(timeline, item)} is a clip, not a title: it has no text")
    return [] if item.text == text else [set_fields(item, text=text)]
