"""Where items sit on each track, sorted by start, so edit checks cost O(log n) instead of O(n).

Checking an edit for overlaps by scanning every item costs milliseconds on a 10,000-item
timeline (exact Fraction comparisons are slow). A Placement keeps each track's items sorted
by (float(start), start, id) and answers "what overlaps [start, end)" with two bisections and
an exact check of the few candidates. Floats only narrow the search; every answer is exact.

Whoever applies ops to a timeline that has an attached Placement calls refresh(item_id) after
each op touching an item (the project session does). Timelines without one get a fresh,
throw-away Placement per query.
"""

from __future__ import annotations

import math
import weakref
from bisect import bisect_left, insort
from collections.abc import Iterator
from fractions import Fraction

from studio.core.timecode import ZERO
from studio.core.timeline import Item, Timeline

_Key = tuple[float, Fraction, str]


class _Lane:
    """One track's items sorted by start; max_duration only grows (a safe search bound)."""

    __slots__ = ("keys", "max_duration")

    def __init__(self) -> None:
        self.keys: list[_Key] = []
        self.max_duration = ZERO

    def add(self, key: _Key, duration: Fraction) -> None:
        insort(self.keys, key)
        if duration > self.max_duration:
            self.max_duration = duration

    def discard(self, key: _Key) -> None:
        i = bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            del self.keys[i]


def _key(item: Item) -> _Key:
    return (float(item.start), item.start, item.id)


def _below(t: Fraction) -> tuple[float]:
    """A bisection probe sorting before every key whose start is >= t."""
    return (math.nextafter(float(t), -math.inf),)


def _above(t: Fraction) -> tuple[float]:
    """A bisection probe sorting after every key whose start is <= t."""
    return (math.nextafter(float(t), math.inf),)


class Placement:
    """Per-track sorted item positions of one timeline, built lazily per track."""

    def __init__(self, timeline: Timeline) -> None:
        self._timeline = timeline
        self._lanes: dict[str, _Lane] = {}
        self._where: dict[str, tuple[str, _Key]] = {}

    def _lane(self, track_id: str) -> _Lane:
        lane = self._lanes.get(track_id)
        if lane is None:
            lane = _Lane()
            items = [i for i in self._timeline.items.values() if i.track == track_id]
            lane.keys = sorted(_key(i) for i in items)
            lane.max_duration = max((i.duration for i in items), default=ZERO)
            for key in lane.keys:
                self._where[key[2]] = (track_id, key)
            self._lanes[track_id] = lane
        return lane

    def refresh(self, item_id: str) -> None:
        """Bring one item's entry up to date after an op inserted, moved, trimmed or removed it."""
        old = self._where.pop(item_id, None)
        if old is not None:
            self._lanes[old[0]].discard(old[1])
        item = self._timeline.items.get(item_id)
        if item is None:
            return
        lane = self._lanes.get(item.track)
        if lane is not None:
            key = _key(item)
            lane.add(key, item.duration)
            self._where[item_id] = (item.track, key)

    def _between(self, track_id: str, low: Fraction, high: Fraction) -> Iterator[Item]:
        """Items whose start lies in [low, high] (plus a few near it, filtered by the caller)."""
        lane = self._lane(track_id)
        lo = bisect_left(lane.keys, _below(low))
        hi = bisect_left(lane.keys, _above(high))
        items = self._timeline.items
        for key in lane.keys[lo:hi]:
            item = items.get(key[2])
            if item is not None:
                yield item

    def overlapping(self, track_id: str, start: Fraction, end: Fraction) -> list[Item]:
        """Items on the track covering some of [start, end), by start."""
        lane = self._lane(track_id)
        candidates = self._between(track_id, start - lane.max_duration, end)
        return [i for i in candidates if i.start < end and start < i.end]

    def end_of(self, track_id: str) -> Fraction:
        """Where the last item on the track ends (0 when empty)."""
        lane = self._lane(track_id)
        if not lane.keys:
            return ZERO
        last_start = lane.keys[-1][1]
        tail = self._between(track_id, last_start - lane.max_duration, last_start)
        return max((i.end for i in tail), default=ZERO)

    def starting_from(self, track_id: str, t: Fraction) -> list[Item]:
        """Items on the track starting at or after t, by start."""
        lane = self._lane(track_id)
        items = self._timeline.items
        lo = bisect_left(lane.keys, _below(t))
        found = (items.get(k[2]) for k in lane.keys[lo:])
        return [i for i in found if i is not None and i.start >= t]


# Timeline defines __eq__ and so is unhashable: entries are keyed by identity and hold both sides
# weakly, so an attached Placement lives as long as its owner (the session) keeps it.
_ATTACHED: dict[int, tuple[weakref.ref[Timeline], weakref.ref[Placement]]] = {}


def attach(timeline: Timeline) -> Placement:
    """Give `timeline` a lasting Placement; the caller keeps it and refresh()es it after every item op."""
    placement = Placement(timeline)
    key = id(timeline)

    def forget(_ref: object) -> None:
        entry = _ATTACHED.get(key)
        if entry is not None and (entry[0]() is None or entry[1]() is None):
            del _ATTACHED[key]

    _ATTACHED[key] = (weakref.ref(timeline, forget), weakref.ref(placement, forget))
    return placement


def placement_of(timeline: Timeline) -> Placement:
    """The attached Placement, or a fresh one for a timeline nobody keeps indexed."""
    entry = _ATTACHED.get(id(timeline))
    if entry is not None and entry[0]() is timeline:
        placement = entry[1]()
        if placement is not None:
            return placement
    return Placement(timeline)
