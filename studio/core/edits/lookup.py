"""Finding tracks, items and markers by reference, and the checks every edit makes (unlocked track,
free place, valid time); times as the messages print them."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from studio.core.errors import EditRejected, NotFound
from studio.core.placement import placement_of
from studio.core.timeline import AUDIO, VIDEO, Item, Marker, Timeline, Track

STILL_DEFAULT_DURATION = Fraction(5)
"""Length given to a still image or a title when no out point is given."""


TRACK_PREFIX = {VIDEO: "V", AUDIO: "A"}


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


def secs(t: Fraction) -> str:
    return f"{format_seconds(t)} s"


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


def describe(timeline: Timeline, item: Item) -> str:
    track = timeline.tracks.get(item.track)
    where = f" on {track.name}" if track else ""
    return f"item {item.id[:8]} ({secs(item.start)} to {secs(item.end)}{where})"


def check_unlocked(track: Track) -> None:
    if track.locked:
        raise EditRejected(f"track {track.name} is locked: unlock it first")


def track_of(timeline: Timeline, item: Item) -> Track:
    track = timeline.tracks.get(item.track)
    if track is None:
        raise NotFound(f"item {item.id[:8]} is on a track that no longer exists")
    return track


def check_free(
    timeline: Timeline, track: Track, start: Fraction, end: Fraction, what: str, ignore: Iterable[str] = ()
) -> None:
    skip = set(ignore)
    for other in placement_of(timeline).overlapping(track.id, start, end):
        if other.id not in skip:
            raise EditRejected(
                f"{what} ({secs(start)} to {secs(end)}) would overlap {describe(timeline, other)}"
            )


def check_time(value: Fraction, what: str) -> None:
    if value < 0:
        raise EditRejected(f"{what} must not be negative (got {secs(value)})")


def editable_item(timeline: Timeline, item_id: str) -> Item:
    item = get_item(timeline, item_id)
    check_unlocked(track_of(timeline, item))
    return item
