"""What reading and writing .otio share: our metadata keys, the imported result, exact times, metadata."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from studio.core.clips import Clip
from studio.core.timeline import Timeline

STUDIO = "studio"


FOREIGN = "otio_metadata"
"""Metadata key (of an item, a track, a marker, or the timeline's `metadata` setting) holding what
another tool wrote in the metadata of the clip, track, marker or timeline imported into it (fcp_xml,
Resolve_OTIO, cmx_3600 ...): written back where it was on export."""


MARKER_TEXT = "otio"
"""Marker metadata key holding the name and comment another tool gave an imported marker (the note
joins them): written back as they were while the note is unchanged."""


MEDIA = "otio_media"
"""Item metadata key holding the media an imported clip named (target_url, available_range start and
duration): written back on export, so offline media keeps its URL and source times their origin."""


TITLE_GENERATOR = "studio.title"


OTIO_SCHEMA_TAG = "studio.otio/1"


@dataclass
class ImportedTimeline:
    """An imported .otio: the timeline, the clips its items use, the clip ids whose media was not
    found (in first-use order; their Clip keeps the path the file named, if any) and what could not
    be carried over, as sentences for the user."""

    timeline: Timeline
    clips: dict[str, Clip]
    offline: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def load_otio() -> Any:
    import opentimelineio

    return opentimelineio


def own_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """A metadata dict without what other tools wrote (that goes back to their own keys)."""
    return {k: v for k, v in metadata.items() if k != FOREIGN}


def put_foreign(target: Any, metadata: dict[str, Any]) -> None:
    """Write other tools' metadata kept under FOREIGN back to the OTIO object's own metadata."""
    foreign = metadata.get(FOREIGN)
    if isinstance(foreign, dict):
        for key, value in foreign.items():
            if key != STUDIO:
                target[key] = value


def foreign_metadata(metadata: Any) -> dict[str, Any]:
    """Other tools' part of an OTIO object's metadata, as plain JSON values."""
    return {k: v for k, v in plain(metadata).items() if k != STUDIO} if metadata is not None else {}


def marker_note(name: str, comment: str) -> str:
    """The note of a marker another tool wrote: its name and comment."""
    return " — ".join(p for p in (name, comment) if p)


def rate_of(rate: float) -> Fraction:
    """A frame rate as the fraction it stands for: 23.976023976023978 -> 24000/1001, 25.0 -> 25."""
    if float(rate).is_integer():
        return Fraction(int(rate))
    near = Fraction(rate).limit_denominator(1001)
    if abs(float(near) - rate) <= 1e-12 * abs(rate):
        return near
    return Fraction(repr(float(rate)))


def seconds(rt: Any) -> Fraction:
    value = float(rt.value)
    exact_value = Fraction(int(value)) if value.is_integer() else Fraction(repr(value))
    return exact_value / rate_of(rt.rate)


def plain(value: Any) -> Any:
    """OTIO's metadata containers as plain JSON values."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [plain(v) for v in value]
    return str(value)


def studio_metadata(metadata: Any) -> dict[str, Any]:
    value = plain(metadata.get(STUDIO)) if metadata is not None else None
    return value if isinstance(value, dict) else {}


def typed_get(meta: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    """meta[key] when it has the expected type, else the default (metadata from other tools varies)."""
    value = meta.get(key)
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    return default


def schema_label(obj: Any) -> str:
    """An object's schema name, naming the original one for schemas the library does not know."""
    if obj.is_unknown_schema:
        return f"{obj.original_schema_name}.{obj.original_schema_version} (a schema it does not know)"
    return str(obj.schema_name())
