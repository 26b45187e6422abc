"""Import: walking an OTIO timeline's tracks, nested tracks and stacks into lanes of items, then tracks.

Nested tracks are flattened into the track holding them; the extra layers of a nested stack become lanes,
and lanes become tracks just above their own. Clips go to ClipReader, markers to MarkerReader.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.errors import InvalidInput
from studio.core.fractional_index import keys_after, validate_key
from studio.core.timecode import ZERO, to_json
from studio.core.timeline import AUDIO, VIDEO, Item, Timeline, Track, decode_setting, new_id
from studio.services.otio.clips import ClipReader
from studio.services.otio.common import (
    FOREIGN,
    MEDIA,
    TITLE_GENERATOR,
    ImportedTimeline,
    foreign_metadata,
    plain,
    rate_of,
    schema_label,
    seconds,
    studio_metadata,
    typed_get,
)
from studio.services.otio.markers import MarkerReader


@dataclass
class _Lane:
    """Where imported items land: a top-level OTIO track, or one layer of a nested stack in it."""

    top: int
    path: tuple[int, ...]
    kind: str
    items: list[Item] = field(default_factory=list)


@dataclass
class _TopTrack:
    index: int
    name: str
    kind: str
    muted: bool
    studio: dict[str, Any]
    end: Fraction | None = None  # the track's whole length, trailing gap included
    foreign: dict[str, Any] = field(default_factory=dict)  # other tools' metadata of the track


class Importer:
    """One import: run(document) once walks the file and returns the timeline, its clips and warnings."""

    def __init__(
        self, otio: Any, source: Path, progress: ProgressCallback | None, cancel: CancelToken | None
    ) -> None:
        self.otio = otio
        self.progress = progress
        self.cancel = cancel
        self.warnings: list[str] = []
        self.clip_reader = ClipReader(otio, source.parent, cancel, self.warn, self.warnings)
        self.marker_reader = MarkerReader(self.warn)
        self.lanes: dict[tuple[int, tuple[int, ...], str], _Lane] = {}
        self.tops: dict[int, _TopTrack] = {}
        self.alias: dict[int, int] = {}
        self.item_ids: set[str] = set()
        self.lane_tracks: list[tuple[str, _Lane]] = []
        self.clip_total = 1
        self.clip_done = 0

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def run(self, document: Any) -> ImportedTimeline:
        otio = self.otio
        meta = studio_metadata(document.metadata)
        self.clip_total = max(1, sum(1 for _ in document.find_clips()))
        stack = document.tracks
        self.marker_reader.take_markers(stack.markers, ZERO, ZERO, None, "the timeline")
        track_ids: dict[str, int] = {}
        per_kind = {VIDEO: 0, AUDIO: 0}
        for index, child in enumerate(stack):
            if not isinstance(child, otio.schema.Track):
                name = getattr(child, "name", "") or "unnamed"
                what = f"{schema_label(child)} ({name})"
                self.warn(f"the timeline's top level holds a {what} instead of a track; left out")
                continue
            kind = {"Video": VIDEO, "Audio": AUDIO}.get(child.kind)
            if kind is None:
                label = child.name or str(index + 1)
                self.warn(f"track {label}: kind {child.kind!r} is neither video nor audio; left out")
                continue
            per_kind[kind] += 1
            studio = studio_metadata(child.metadata)
            tid = studio.get("track_id")
            if isinstance(tid, str) and tid in track_ids and studio.get("lane"):
                self.alias[index] = track_ids[tid]
            else:
                if isinstance(tid, str):
                    track_ids.setdefault(tid, index)
                end = self.duration_of(child, child.name or str(index + 1))
                self.tops[index] = _TopTrack(
                    index,
                    child.name,
                    kind,
                    not child.enabled,
                    studio,
                    end[1] if end else None,
                    foreign_metadata(child.metadata),
                )
                self.lane(index, (), kind)
            label = child.name or f"{'V' if kind == VIDEO else 'A'}{per_kind[kind]} (unnamed)"
            lo, hi = self.track_window(child, label)
            self.walk_track(child, ZERO, lo, hi, index, (), kind, label)
        timeline = self.build_timeline(document, meta)
        if self.progress is not None:
            self.progress(1.0, "imported")
        return ImportedTimeline(timeline, self.clip_reader.clips, self.clip_reader.offline, self.warnings)

    def lane(self, top: int, path: tuple[int, ...], kind: str) -> _Lane:
        top = self.alias.get(top, top)
        while path and path[-1] == 0:
            path = path[:-1]
        key = (top, path, kind)
        if key not in self.lanes:
            self.lanes[key] = _Lane(top, path, kind)
        return self.lanes[key]

    def duration_of(self, child: Any, label: str) -> tuple[Fraction, Fraction] | None:
        """(start, duration) of a child's trimmed range in its own time, or None if it has none."""
        try:
            trimmed = child.trimmed_range()
        except Exception:
            self.warn(f"{child.schema_name()} {child.name!r} on track {label} has no time range; left out")
            return None
        return seconds(trimmed.start_time), seconds(trimmed.duration)

    def track_window(self, track: Any, label: str) -> tuple[Fraction, Fraction | None]:
        if track.source_range is None:
            return ZERO, None
        lo = seconds(track.source_range.start_time)
        hi = lo + seconds(track.source_range.duration)
        content = ZERO
        for child in track:
            span = None if isinstance(child, self.otio.schema.Transition) else self.duration_of(child, label)
            content += span[1] if span is not None else ZERO
        if hi <= 0 or lo >= content:
            self.warn(f"track {label}: its own time range lies outside its contents; the range is ignored")
            return ZERO, None
        return lo, hi

    def walk_track(
        self,
        track: Any,
        offset: Fraction,
        lo: Fraction,
        hi: Fraction | None,
        top: int,
        path: tuple[int, ...],
        kind: str,
        label: str,
    ) -> None:
        otio = self.otio
        self.marker_reader.take_markers(track.markers, offset, lo, hi, f"track {label}")
        position = ZERO
        for child in track:
            if isinstance(child, otio.schema.Transition):
                self.warn(
                    f"transition {child.name or child.transition_type!r} on track {label} is not imported; "
                    "the cut is kept"
                )
                continue
            span = self.duration_of(child, label)
            if span is None:
                continue
            child_start, child_duration = span
            a, b = position, position + child_duration
            position = b
            s, e = max(a, lo), b if hi is None else min(b, hi)
            if e <= s:
                continue
            at = offset + (s - lo)
            inner_lo = child_start + (s - a)
            self.walk_child(child, at, inner_lo, inner_lo + (e - s), top, path, kind, label)

    def walk_stack(
        self,
        stack: Any,
        offset: Fraction,
        lo: Fraction,
        hi: Fraction,
        top: int,
        path: tuple[int, ...],
        kind: str,
        label: str,
    ) -> None:
        self.marker_reader.take_markers(stack.markers, offset, lo, hi, f"stack {stack.name or 'unnamed'}")
        for layer, child in enumerate(stack):
            if isinstance(child, self.otio.schema.Transition):
                self.warn(f"transition {child.name!r} inside stack {stack.name!r} is not imported")
                continue
            span = self.duration_of(child, label)
            if span is None:
                continue
            child_start, child_duration = span
            s, e = max(ZERO, lo), min(child_duration, hi)
            if e <= s:
                continue
            inner_lo = child_start + s
            at = offset + (s - lo)
            self.walk_child(child, at, inner_lo, inner_lo + (e - s), top, (*path, layer), kind, label)

    def walk_child(
        self,
        child: Any,
        at: Fraction,
        lo: Fraction,
        hi: Fraction,
        top: int,
        path: tuple[int, ...],
        kind: str,
        label: str,
    ) -> None:
        otio = self.otio
        if isinstance(child, otio.schema.Gap):
            return
        if isinstance(child, otio.schema.Clip):
            self.place_clip(child, at, lo, hi - lo, top, path, kind, label)
        elif isinstance(child, otio.schema.Track):
            self.warn(f"nested track {child.name!r} on track {label} was flattened into it")
            inner_kind = {"Video": VIDEO, "Audio": AUDIO}.get(child.kind, kind)
            self.walk_track(child, at, lo, hi, top, path, inner_kind, label)
        elif isinstance(child, otio.schema.Stack):
            if not len(child):
                self.warn(f"nested stack {child.name!r} on track {label} is empty (a gap in its place)")
                return
            layers = " (its upper layers go to tracks just above)" if len(child) > 1 else ""
            self.warn(f"nested stack {child.name!r} on track {label} was flattened into it{layers}")
            self.walk_stack(child, at, lo, hi, top, path, kind, label)
        else:
            what = f"{schema_label(child)} {getattr(child, 'name', '')!r}"
            self.warn(f"{what} on track {label} is not supported; left out")

    def place_clip(
        self,
        oclip: Any,
        at: Fraction,
        media_lo: Fraction,
        duration: Fraction,
        top: int,
        path: tuple[int, ...],
        kind: str,
        label: str,
    ) -> None:
        otio = self.otio
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        self.clip_done += 1
        if self.progress is not None:
            self.progress(min(0.99, self.clip_done / self.clip_total), oclip.name)
        studio = studio_metadata(oclip.metadata)
        name = oclip.name or "unnamed"
        where = f"clip {name!r} on track {label}"
        self.marker_reader.take_markers(oclip.markers, at, media_lo, media_lo + duration, where)
        if len(oclip.effects):
            kinds = sorted({e.effect_name or e.schema_name() for e in oclip.effects})
            self.warn(f"{where}: effects are not imported ({', '.join(kinds)})")
        ref = oclip.media_reference
        available = getattr(ref, "available_range", None) if ref is not None else None
        source_in = media_lo - (seconds(available.start_time) if available is not None else ZERO)
        if source_in < 0:
            self.warn(f"{where}: starts before its media; imported from the media's start")
            source_in = ZERO
        fields: dict[str, Any] = {"source_in": source_in}
        if isinstance(ref, otio.schema.GeneratorReference):
            if ref.generator_kind != TITLE_GENERATOR:
                self.warn(
                    f"{where} is generated ({ref.generator_kind or 'unknown generator'}) and has no media; "
                    "left out (a gap in its place)"
                )
                return
            text = plain(ref.parameters).get("text", "")
            fields.update(kind="title", text=text if isinstance(text, str) else str(text))
        else:
            fields["clip"] = self.clip_reader.clip_for(oclip, ref, kind, studio, where)
        fields.update(self.item_fields(studio, where))
        foreign = foreign_metadata(oclip.metadata)
        if foreign:  # other tools' metadata (fcp_xml, Resolve_OTIO, cmx_3600 ...), kept for the way back
            fields["metadata"] = {**fields.get("metadata", {}), FOREIGN: foreign}
        if not studio and isinstance(ref, otio.schema.ExternalReference) and ref.target_url:
            named: dict[str, Any] = {"target_url": ref.target_url}
            if available is not None:
                start, length = seconds(available.start_time), seconds(available.duration)
                named["available_range"] = [to_json(start), to_json(length)]
            fields["metadata"] = {**fields.get("metadata", {}), MEDIA: named}
        if "muted" not in studio:
            fields["muted"] = kind == VIDEO or not oclip.enabled
            if not oclip.enabled:
                self.warn(f"{where} is disabled in the file; imported muted")
        item_id = studio.get("item_id")
        if not isinstance(item_id, str) or not item_id or item_id in self.item_ids:
            item_id = new_id()
        self.item_ids.add(item_id)
        lane = self.lane(top, path, kind)
        lane.items.append(Item(id=item_id, track="", start=at, duration=duration, **fields))

    def item_fields(self, studio: dict[str, Any], where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, name in (
            ("gain_db", "gain_db"),
            ("fade_in", "fade_in"),
            ("fade_out", "fade_out"),
            ("muted", "muted"),
            ("item_metadata", "metadata"),
        ):
            if key in studio:
                try:
                    out[name] = Item.FIELDS[name][1](studio[key])
                except ValueError as exc:
                    self.warn(f"{where}: studio {key} ignored ({exc})")
        return out

    def build_timeline(self, document: Any, meta: dict[str, Any]) -> Timeline:
        tl = Timeline()
        settings: dict[str, Any] = typed_get(meta, "settings", dict, {})
        for key, value in settings.items():
            try:
                tl.settings[key] = decode_setting(key, value)
            except InvalidInput as exc:
                self.warn(f"the file's studio settings: {exc}; the default is kept")
        if "fps" not in settings:
            tl.settings["fps"] = self.frame_rate(document)
        tl.settings["name"] = document.name or tl.settings["name"]
        if "editors" in meta:
            try:
                tl.settings["editors"] = decode_setting("editors", meta["editors"])
            except InvalidInput as exc:
                self.warn(f"the file's editors are ignored ({exc})")
        if document.global_start_time is not None:
            start = seconds(document.global_start_time)
            if start >= 0:
                tl.settings["start_time"] = start
            else:
                self.warn(f"the timeline's start time {float(start):g} s is negative; it starts at 0")
        foreign = foreign_metadata(document.metadata)
        if foreign:
            tl.settings["metadata"] = {**tl.settings["metadata"], FOREIGN: foreign}
        for track in self.build_tracks():
            tl.tracks[track.id] = track
        for lane_track, lane in self.lane_tracks:
            for item in lane.items:
                item.track = lane_track
                tl.items[item.id] = item
        for marker in self.marker_reader.markers:
            tl.markers[marker.id] = marker
        return tl

    def frame_rate(self, document: Any) -> Fraction:
        if document.global_start_time is not None:
            return rate_of(document.global_start_time.rate)
        for clip in document.find_clips():
            if clip.source_range is not None:
                return rate_of(clip.source_range.duration.rate)
        return Fraction(30)

    def build_tracks(self) -> list[Track]:
        ordered = sorted(self.lanes.values(), key=lambda lane: (lane.top, lane.path, lane.kind))
        stored_keys: list[str | None] = []
        tracks: list[Track] = []
        counts = {VIDEO: 0, AUDIO: 0}
        used: set[str] = set()
        ours = any(top.studio for top in self.tops.values())
        for lane in ordered:
            top = self.tops[lane.top]
            counts[lane.kind] += 1
            studio = top.studio if not lane.path and lane.kind == top.kind else {}
            tid = studio.get("track_id")
            if not isinstance(tid, str) or not tid or tid in used:
                tid = new_id()
            used.add(tid)
            # Another tool's tracks are numbered V1, A1 ... as our commands name them (its names go to
            # metadata); our own keep their names, and a layer added elsewhere is named after its track.
            numbered = f"{'V' if lane.kind == VIDEO else 'A'}{counts[lane.kind]}"
            if not ours:
                name = numbered
            elif studio or not lane.path:
                name = top.name or numbered
            else:
                name = f"{top.name or numbered} layer {'.'.join(str(p + 1) for p in lane.path)}"
            metadata: dict[str, Any] = typed_get(studio, "metadata", dict, {})
            if not ours and not lane.path:
                otio_meta: dict[str, Any] = {"name": top.name} if top.name and top.name != name else {}
                last = max((i.end for i in lane.items), default=ZERO)
                if top.end is not None and top.end > last:
                    otio_meta["end"] = to_json(top.end)  # a trailing gap, written back on export
                metadata = {"otio": otio_meta} if otio_meta else {}
            if not lane.path and top.foreign:
                metadata = {**metadata, FOREIGN: top.foreign}
            muted: bool = typed_get(studio, "muted", bool, top.muted)
            locked: bool = typed_get(studio, "locked", bool, False)
            tracks.append(Track(tid, lane.kind, name, "", muted, locked, metadata))
            stored_keys.append(typed_get(studio, "order", str, None))
            self.lane_tracks.append((tid, lane))
        for track, key in zip(tracks, self.order_keys(stored_keys), strict=True):
            track.order = key
        return tracks

    def order_keys(self, stored: list[str | None]) -> list[str]:
        """Our own keys when every track has one and they keep the file's order; fresh keys otherwise."""
        valid: list[str] = []
        for key in stored:
            if key is None:
                break
            try:
                valid.append(validate_key(key))
            except ValueError:
                break
        if len(valid) == len(stored) and all(a < b for a, b in itertools.pairwise(valid)):
            return valid
        return keys_after(None, len(stored))
