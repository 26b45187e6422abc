"""The timeline model: tracks, items, markers and unresolved conflicts, all with stable ids.

Entities are small mutable dataclasses changed only through ops (studio.core.ops). Every field
has a JSON codec so ops, the journal, project files and sync share one exact encoding.
A snapshot (`Timeline.snapshot()`) is an independent value, so export can render it while
the user keeps editing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from fractions import Fraction
from typing import Any, ClassVar

from studio.core.errors import InvalidInput
from studio.core.fractional_index import validate_key
from studio.core.timecode import ZERO, from_json, to_json

VIDEO = "video"
AUDIO = "audio"
TRACK_KINDS = (VIDEO, AUDIO)
ITEM_KINDS = ("clip", "title")


def new_id() -> str:
    return uuid.uuid4().hex


# --- field codecs -------------------------------------------------------------------------------

Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]


def _check(kind: type | tuple[type, ...], label: str) -> Callable[[Any], Any]:
    def decode(v: Any) -> Any:
        if isinstance(v, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise ValueError(f"expected {label}, got {v!r}")
        if not isinstance(v, kind):
            raise ValueError(f"expected {label}, got {v!r}")
        return v

    return decode


def _identity(v: Any) -> Any:
    return v


def _time_nonneg(v: Any) -> Fraction:
    t = from_json(v)
    if t < 0:
        raise ValueError(f"negative time: {v!r}")
    return t


def _gain(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"expected a gain in dB, got {v!r}")
    g = float(v)
    if not -100.0 <= g <= 40.0:
        raise ValueError(f"gain out of range (-100..40 dB): {v!r}")
    return g


def _positive_int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise ValueError(f"expected a positive integer, got {v!r}")
    return v


def _positive_time(v: Any) -> Fraction:
    t = from_json(v)
    if t <= 0:
        raise ValueError(f"expected a positive rate, got {v!r}")
    return t


def _one_of(options: tuple[str, ...]) -> Callable[[Any], Any]:
    def decode(v: Any) -> Any:
        if v not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {v!r}")
        return v

    return decode


def _str_list(v: Any) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ValueError(f"expected a list of names, got {v!r}")
    return list(v)


def _colour(v: Any) -> str:
    if not isinstance(v, str) or len(v) > 64 or any(not c.isprintable() for c in v):
        raise ValueError(f"expected a colour name (up to 64 printable characters), got {v!r}")
    return v


def _order_key(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError(f"expected an order key, got {v!r}")
    return validate_key(v)


TIME: Codec = (to_json, from_json)
TIME_NONNEG: Codec = (to_json, _time_nonneg)
STR: Codec = (_identity, _check(str, "text"))
OPT_STR: Codec = (_identity, _check((str, type(None)), "text or null"))
BOOL: Codec = (_identity, _check(bool, "true/false"))
DICT: Codec = (_identity, _check(dict, "an object"))


def _encode_value(codec: Codec, v: Any) -> Any:
    return codec[0](v)


class Entity:
    """Shared JSON encoding for the model's records; FIELDS maps attribute -> (encode, decode)."""

    FIELDS: ClassVar[dict[str, Codec]]
    ENTITY: ClassVar[str]
    id: str

    def to_dict(self) -> dict[str, Any]:
        return {name: codec[0](getattr(self, name)) for name, codec in self.FIELDS.items()}

    @classmethod
    def decode_field(cls, name: str, value: Any) -> Any:
        codec = cls.FIELDS.get(name)
        if codec is None or name == "id":
            raise InvalidInput(f"{cls.ENTITY} has no settable field {name!r}")
        try:
            return codec[1](value)
        except ValueError as exc:
            raise InvalidInput(f"{cls.ENTITY} field {name!r}: {exc}") from None

    @classmethod
    def encode_field(cls, name: str, value: Any) -> Any:
        return cls.FIELDS[name][0](value)

    @classmethod
    def from_dict(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise InvalidInput(f"{cls.ENTITY}: expected an object, got {type(data).__name__}")
        unknown = set(data) - set(cls.FIELDS)
        if unknown:
            raise InvalidInput(f"{cls.ENTITY}: unknown field(s) {', '.join(sorted(unknown))}")
        if not isinstance(data.get("id"), str) or not data["id"]:
            raise InvalidInput(f"{cls.ENTITY}: missing id")
        kwargs: dict[str, Any] = {"id": data["id"]}
        for name, codec in cls.FIELDS.items():
            if name == "id" or name not in data:
                continue
            try:
                kwargs[name] = codec[1](data[name])
            except ValueError as exc:
                raise InvalidInput(f"{cls.ENTITY} field {name!r}: {exc}") from None
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise InvalidInput(f"{cls.ENTITY} {data['id']}: {exc}") from None

    def copy(self) -> Any:
        return type(self).from_dict(self.to_dict())


TRACK_NAME_RE = re.compile(r"^([VA])([1-9][0-9]*)$")
"""Default track names: V1, V2 ... for video, A1, A2 ... for audio."""


@dataclass(slots=True, eq=True)
class Track(Entity):
    """A video or audio track; higher video tracks (larger order keys) cover lower ones."""

    id: str
    kind: str
    name: str
    order: str
    muted: bool = False
    locked: bool = False
    metadata: dict[str, Any] = dc_field(default_factory=dict)

    ENTITY: ClassVar[str] = "track"
    FIELDS: ClassVar[dict[str, Codec]] = {
        "id": STR,
        "kind": (_identity, _one_of(TRACK_KINDS)),
        "name": STR,
        "order": (_identity, _order_key),
        "muted": BOOL,
        "locked": BOOL,
        "metadata": DICT,
    }


@dataclass(slots=True, eq=True)
class Item(Entity):
    """A piece of a clip (or a title card) placed on a track.

    `start` is the position on the timeline, `source_in` the offset into the clip,
    `duration` the length on both.
    """

    id: str
    track: str
    start: Fraction
    duration: Fraction
    source_in: Fraction = ZERO
    clip: str | None = None
    kind: str = "clip"
    text: str = ""
    gain_db: float = 0.0
    fade_in: Fraction = ZERO
    fade_out: Fraction = ZERO
    muted: bool = False
    metadata: dict[str, Any] = dc_field(default_factory=dict)

    ENTITY: ClassVar[str] = "item"
    FIELDS: ClassVar[dict[str, Codec]] = {
        "id": STR,
        "track": STR,
        "start": TIME_NONNEG,
        "duration": (to_json, _positive_time),
        "source_in": TIME_NONNEG,
        "clip": OPT_STR,
        "kind": (_identity, _one_of(ITEM_KINDS)),
        "text": STR,
        "gain_db": (_identity, _gain),
        "fade_in": TIME_NONNEG,
        "fade_out": TIME_NONNEG,
        "muted": BOOL,
        "metadata": DICT,
    }

    @property
    def end(self) -> Fraction:
        return self.start + self.duration

    @property
    def source_out(self) -> Fraction:
        return self.source_in + self.duration


@dataclass(slots=True, eq=True)
class Marker(Entity):
    """A note at a point (or over a stretch) of the timeline, shared with collaborators for review.

    `colour` is a marker colour name as editors exchange them (OpenTimelineIO's RED, GREEN, ...);
    empty means the studio's own: red while open, green when done. `metadata` is namespaced like an
    item's (another editor's marker metadata is kept there for the way back).
    """

    id: str
    at: Fraction
    note: str = ""
    author: str = ""
    done: bool = False
    duration: Fraction = ZERO
    colour: str = ""
    metadata: dict[str, Any] = dc_field(default_factory=dict)

    ENTITY: ClassVar[str] = "marker"
    FIELDS: ClassVar[dict[str, Codec]] = {
        "id": STR,
        "at": TIME_NONNEG,
        "note": STR,
        "author": STR,
        "done": BOOL,
        "duration": TIME_NONNEG,
        "colour": (_identity, _colour),
        "metadata": DICT,
    }


@dataclass(slots=True, eq=True)
class Conflict(Entity):
    """Something a merge could not decide alone, kept until a person resolves it.

    kind "field": two concurrent values for one field (`values` holds both encoded values,
    the first is the one in effect); kind "deleted": an entity edited by one person and
    deleted by another, kept alive. Items placed over each other are found by
    `Timeline.overlaps()` rather than stored.
    """

    id: str
    kind: str
    entity: str
    target: str
    field: str | None = None
    values: list[Any] = dc_field(default_factory=list)

    ENTITY: ClassVar[str] = "conflict"
    FIELDS: ClassVar[dict[str, Codec]] = {
        "id": STR,
        "kind": (_identity, _one_of(("field", "deleted"))),
        "entity": (_identity, _one_of(("timeline", "track", "item", "marker"))),
        "target": STR,
        "field": OPT_STR,
        "values": (_identity, _check(list, "a list")),
    }


ENTITY_TYPES: dict[str, type[Entity]] = {"track": Track, "item": Item, "marker": Marker}

# Timeline-level settings, set with ops on entity "timeline".
SETTINGS: dict[str, Codec] = {
    "name": STR,
    "width": (_identity, _positive_int),
    "height": (_identity, _positive_int),
    "fps": (to_json, _positive_time),
    "sample_rate": (_identity, _positive_int),
    "editors": (_identity, _str_list),
    "metadata": DICT,
    "start_time": TIME_NONNEG,
}
DEFAULT_SETTINGS: dict[str, Any] = {
    "name": "",
    "width": 1280,
    "height": 720,
    "fps": Fraction(30),
    "sample_rate": 48000,
    "editors": [],
    "metadata": {},
    "start_time": ZERO,
}
"""`start_time` is the time the timeline's first frame is labelled with (OpenTimelineIO's
global_start_time; a timeline starting at timecode 01:00:00:00 has 3600). Positions stay 0-based."""


def decode_setting(name: str, value: Any) -> Any:
    codec = SETTINGS.get(name)
    if codec is None:
        raise InvalidInput(f"timeline has no setting {name!r}")
    try:
        return codec[1](value)
    except ValueError as exc:
        raise InvalidInput(f"timeline setting {name!r}: {exc}") from None


@dataclass(eq=False)
class Timeline:
    """The whole editable state of a project."""

    settings: dict[str, Any] = dc_field(default_factory=lambda: dict(DEFAULT_SETTINGS))
    tracks: dict[str, Track] = dc_field(default_factory=dict)
    items: dict[str, Item] = dc_field(default_factory=dict)
    markers: dict[str, Marker] = dc_field(default_factory=dict)
    conflicts: dict[str, Conflict] = dc_field(default_factory=dict)
    # Last known state of removed entities, so a concurrent edit can bring one back (not part of equality).
    tombstones: dict[tuple[str, str], dict[str, Any]] = dc_field(default_factory=dict)
    # Op ids whose set put a field's current value in place: two people who set the same value
    # concurrently are both listed, so an undo of one keeps the other's (not part of equality).
    writers: dict[tuple[str, str], dict[str, tuple[str, ...]]] = dc_field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timeline):
            return NotImplemented
        return (
            self.settings == other.settings
            and self.tracks == other.tracks
            and self.items == other.items
            and self.markers == other.markers
            and self.conflicts == other.conflicts
        )

    # -- settings ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.settings["name"])

    @property
    def fps(self) -> Fraction:
        value: Fraction = self.settings["fps"]
        return value

    @property
    def width(self) -> int:
        return int(self.settings["width"])

    @property
    def height(self) -> int:
        return int(self.settings["height"])

    @property
    def sample_rate(self) -> int:
        return int(self.settings["sample_rate"])

    @property
    def editors(self) -> list[str]:
        return list(self.settings["editors"])

    @property
    def start_time(self) -> Fraction:
        value: Fraction = self.settings["start_time"]
        return value

    # -- queries ----------------------------------------------------------------------------------
    def collection(self, entity: str) -> dict[str, Any]:
        if entity == "track":
            return self.tracks
        if entity == "item":
            return self.items
        if entity == "marker":
            return self.markers
        raise InvalidInput(f"unknown entity kind {entity!r}")

    def ordered_tracks(self, kind: str | None = None) -> list[Track]:
        """Tracks bottom to top (lowest order key first), optionally of one kind."""
        tracks = [t for t in self.tracks.values() if kind is None or t.kind == kind]
        return sorted(tracks, key=lambda t: (t.order, t.id))

    def track_by_name(self, name: str) -> Track | None:
        for t in self.ordered_tracks():
            if t.name == name:
                return t
        return self.tracks.get(name)

    def items_on(self, track_id: str) -> list[Item]:
        return sorted((i for i in self.items.values() if i.track == track_id), key=lambda i: (i.start, i.id))

    def iter_items(self) -> Iterator[Item]:
        return iter(sorted(self.items.values(), key=lambda i: (i.start, i.id)))

    @property
    def duration(self) -> Fraction:
        return max((i.end for i in self.items.values()), default=ZERO)

    def overlaps(self) -> list[tuple[Item, Item]]:
        """Pairs of items on one track that cover the same time (after concurrent inserts)."""
        pairs: list[tuple[Item, Item]] = []
        for track in self.ordered_tracks():
            latest: Item | None = None
            for item in self.items_on(track.id):
                if latest is not None and item.start < latest.end:
                    pairs.append((latest, item))
                if latest is None or item.end > latest.end:
                    latest = item
        return pairs

    def clip_ids(self) -> set[str]:
        return {i.clip for i in self.items.values() if i.clip}

    # -- values -----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": {k: SETTINGS[k][0](v) for k, v in self.settings.items()},
            "tracks": [t.to_dict() for t in self.ordered_tracks()],
            "items": [i.to_dict() for i in self.iter_items()],
            "markers": [m.to_dict() for m in sorted(self.markers.values(), key=lambda m: (m.at, m.id))],
            "conflicts": [c.to_dict() for c in sorted(self.conflicts.values(), key=lambda c: c.id)],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Timeline:
        if not isinstance(data, dict):
            raise InvalidInput("timeline: expected an object")
        tl = cls()
        settings = data.get("settings", {})
        if not isinstance(settings, dict):
            raise InvalidInput("timeline settings: expected an object")
        for k, v in settings.items():
            tl.settings[k] = decode_setting(k, v)
        for key, kind in (("tracks", Track), ("items", Item), ("markers", Marker), ("conflicts", Conflict)):
            rows = data.get(key, [])
            if not isinstance(rows, list):
                raise InvalidInput(f"timeline {key}: expected a list")
            target = getattr(tl, key)
            for row in rows:
                entity = kind.from_dict(row)
                if entity.id in target:
                    raise InvalidInput(f"timeline {key}: duplicate id {entity.id}")
                target[entity.id] = entity
        for item in tl.items.values():
            if item.track not in tl.tracks:
                raise InvalidInput(f"item {item.id} is on unknown track {item.track}")
        return tl

    def snapshot(self) -> Timeline:
        """An independent copy: later edits to self do not reach it."""
        return Timeline(
            settings={
                k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                for k, v in self.settings.items()
            },
            tracks={k: v.copy() for k, v in self.tracks.items()},
            items={k: v.copy() for k, v in self.items.items()},
            markers={k: v.copy() for k, v in self.markers.items()},
            conflicts={k: v.copy() for k, v in self.conflicts.items()},
            tombstones=dict(self.tombstones),
            writers={k: dict(v) for k, v in self.writers.items()},
        )
