"""Markers of an imported timeline: placed on the timeline, clamped to the clip they hang on (the file's
place kept for the way back), with the name, comment, colour and metadata other tools gave them."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from studio.core.errors import InvalidInput
from studio.core.timecode import ZERO, from_json, to_json
from studio.core.timeline import Marker, new_id
from studio.services.otio.common import (
    FOREIGN,
    MARKER_TEXT,
    foreign_metadata,
    marker_note,
    seconds,
    studio_metadata,
    typed_get,
)


class MarkerReader:
    """Collects the markers met while walking the file into `markers`, with ids unique in the timeline."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self.warn = warn
        self.markers: list[Marker] = []
        self.marker_ids: set[str] = set()

    def take_markers(
        self, markers: Any, offset: Fraction, lo: Fraction, hi: Fraction | None, where: str
    ) -> None:
        for marker in markers:
            t = seconds(marker.marked_range.start_time)
            placed = offset + (t - lo)
            if t < lo or (hi is not None and t > hi):
                self.warn(f"marker {marker.name!r} on {where} lies outside it; placed at its edge")
                t = lo if t < lo else hi if hi is not None else t
            self.add_marker(marker, offset + (t - lo), placed)

    def add_marker(self, marker: Any, at: Fraction, placed: Fraction) -> None:
        """Add a marker at `at`; `placed` is where the file put it (outside its clip, it is moved to the
        clip's edge, and the file's place is kept in its metadata for the way back)."""
        studio = studio_metadata(marker.metadata)
        mid = studio.get("marker_id")
        if not isinstance(mid, str) or not mid or mid in self.marker_ids:
            mid = new_id()
        self.marker_ids.add(mid)
        # Our own notes are the marker's name; other tools split a note into name and comment (and our
        # export writes such a marker back that way).
        note = marker.name if studio and not marker.comment else marker_note(marker.name, marker.comment)
        author = typed_get(studio, "author", str, "")
        done = typed_get(studio, "done", bool, False)
        metadata: dict[str, Any] = dict(typed_get(studio, "metadata", dict, {}))
        kept = typed_get(metadata, MARKER_TEXT, dict, {})
        if "at" in kept and kept.get("placed") == to_json(placed):
            try:  # our own export of a marker another file placed outside its clip: back to the edge
                at = from_json(kept["at"])
            except ValueError:
                pass
        text: dict[str, Any] = {}
        if not studio and marker.comment:
            text.update(name=marker.name, comment=marker.comment)
        at = max(at, ZERO)
        if placed != at:
            text.update(at=to_json(at), placed=to_json(placed))
        if text:
            metadata[MARKER_TEXT] = {**typed_get(metadata, MARKER_TEXT, dict, {}), **text}
        foreign = foreign_metadata(marker.metadata)
        if foreign:
            metadata[FOREIGN] = foreign
        colour = typed_get(studio, "colour", str, marker.color) if studio else str(marker.color or "")
        duration = seconds(marker.marked_range.duration)
        where = f"marker {marker.name!r}"
        try:
            colour = Marker.decode_field("colour", colour)
        except InvalidInput as exc:
            self.warn(f"{where}: its colour is not kept ({exc})")
            colour = ""
        if duration < 0:
            self.warn(f"{where}: its negative length is not kept")
            duration = ZERO
        self.markers.append(Marker(mid, at, note, author, done, duration, colour, metadata))
