"""Export: a timeline and its clips as an .otio file (one OTIO track per lane, credits in metadata)."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from studio.core.atomic import atomic_write_text
from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.clips import Clip
from studio.core.errors import InvalidInput
from studio.core.paths import media_path
from studio.core.timecode import ZERO, from_json, to_json
from studio.core.timeline import SETTINGS, VIDEO, Item, Marker, Timeline, Track
from studio.services.otio.common import (
    MARKER_TEXT,
    MEDIA,
    OTIO_SCHEMA_TAG,
    STUDIO,
    TITLE_GENERATOR,
    load_otio,
    marker_note,
    own_metadata,
    put_foreign,
    rate_of,
    typed_get,
)

_EXACT_LIMIT = 2**53


def export_otio(
    timeline: Timeline,
    clips: dict[str, Clip],
    path: Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[str]:
    """Write `timeline` as an .otio file (atomically) and return warnings for what it could not hold.

    `clips` maps clip id -> Clip for the items' clips; a clip's media is its `path`, or its copy in
    the local media folder. Items whose clip or media is unknown are written with a MissingReference
    (and a warning). Items that overlap on one track go to an extra OTIO track right above it, which
    import merges back.
    """
    otio = load_otio()
    writer = _Writer(otio, timeline, clips)
    doc = writer.build(cancel)
    text = otio.adapters.write_to_string(doc, "otio_json")
    atomic_write_text(Path(path), text)
    if progress is not None:
        progress(1.0, f"wrote {Path(path).name}")
    return writer.warnings


class _Writer:
    def __init__(self, otio: Any, timeline: Timeline, clips: dict[str, Clip]) -> None:
        self.otio = otio
        self.timeline = timeline
        self.clips = clips
        self.fps = timeline.fps
        # Frame counts at the project rate only when that rate reads back as itself (24000/1001 does).
        self.frame_rate_exact = rate_of(float(self.fps)) == self.fps
        self.warnings: list[str] = []

    def rt(self, t: Fraction) -> Any:
        """An exact RationalTime: frames at the project rate when t is on the frame grid, else num/den."""
        frames = t * self.fps
        if frames.denominator == 1 and self.frame_rate_exact:
            return self.otio.opentime.RationalTime(float(frames.numerator), float(self.fps))
        if abs(t.numerator) >= _EXACT_LIMIT or t.denominator >= _EXACT_LIMIT:
            raise InvalidInput(f"the time {t} s is too fine to write exactly to OpenTimelineIO")
        return self.otio.opentime.RationalTime(float(t.numerator), float(t.denominator))

    def range(self, start: Fraction, duration: Fraction) -> Any:
        return self.otio.opentime.TimeRange(self.rt(start), self.rt(duration))

    def build(self, cancel: CancelToken | None) -> Any:
        otio = self.otio
        tl = self.timeline
        out = otio.schema.Timeline(name=tl.name)
        start = tl.start_time
        out.global_start_time = self.rt(start) if start else otio.opentime.RationalTime(0, float(self.fps))
        settings = {k: SETTINGS[k][0](v) for k, v in tl.settings.items()}
        settings["metadata"] = own_metadata(tl.settings["metadata"])
        put_foreign(out.metadata, tl.settings["metadata"])
        out.metadata[STUDIO] = {"schema": OTIO_SCHEMA_TAG, "editors": tl.editors, "settings": settings}
        for track in tl.ordered_tracks():
            if cancel is not None:
                cancel.raise_if_cancelled()
            lanes = _lanes(tl.items_on(track.id))
            if len(lanes) > 1:
                self.warnings.append(
                    f"track {track.name}: overlapping items were written to {len(lanes) - 1} extra "
                    "OpenTimelineIO track(s) above it"
                )
            for lane_index, lane in enumerate(lanes or [[]]):
                out.tracks.append(self.track(track, lane_index, lane))
        for marker in sorted(tl.markers.values(), key=lambda m: (m.at, m.id)):
            out.tracks.markers.append(self.marker(marker))
        if tl.conflicts:
            self.warnings.append(f"{len(tl.conflicts)} unresolved conflict(s) are not written to the file")
        return out

    def track(self, track: Track, lane_index: int, items: list[Item]) -> Any:
        otio = self.otio
        kind = otio.schema.TrackKind.Video if track.kind == VIDEO else otio.schema.TrackKind.Audio
        out = otio.schema.Track(name=track.name, kind=kind)
        out.enabled = not track.muted
        meta: dict[str, Any] = {
            "track_id": track.id,
            "order": track.order,
            "muted": track.muted,
            "locked": track.locked,
            "metadata": own_metadata(track.metadata),
        }
        if lane_index:
            meta["lane"] = lane_index
        else:
            put_foreign(out.metadata, track.metadata)
        out.metadata[STUDIO] = meta
        cursor = ZERO
        for item in items:
            if item.start > cursor:
                out.append(otio.schema.Gap(source_range=self.range(ZERO, item.start - cursor)))
            out.append(self.item(item))
            cursor = item.end
        end = _imported_end(track) if not lane_index else None
        if end is not None and end > cursor:
            out.append(otio.schema.Gap(source_range=self.range(ZERO, end - cursor)))
        return out

    def item(self, item: Item) -> Any:
        otio = self.otio
        meta: dict[str, Any] = {
            "item_id": item.id,
            "gain_db": item.gain_db,
            "fade_in": to_json(item.fade_in),
            "fade_out": to_json(item.fade_out),
            "muted": item.muted,
            "item_metadata": own_metadata(item.metadata),
        }
        if item.kind == "title":
            ref = otio.schema.GeneratorReference(
                name="title",
                generator_kind=TITLE_GENERATOR,
                parameters={"text": item.text},
                available_range=self.range(ZERO, item.source_out),
            )
            name = item.text.splitlines()[0] if item.text.strip() else "Title"
        else:
            clip = self.clips.get(item.clip or "")
            ref = self.media_reference(item, clip)
            name = clip.title if clip is not None and clip.title else (item.clip or "")
            if item.clip:
                meta["clip_id"] = item.clip
            if clip is not None:
                meta.update(_clip_metadata(clip))
        origin = _media_origin(item)
        source = self.range(origin + item.source_in, item.duration)
        out = otio.schema.Clip(name=name, media_reference=ref, source_range=source)
        put_foreign(out.metadata, item.metadata)  # what other tools wrote goes back where they put it
        out.metadata[STUDIO] = meta
        return out

    def media_reference(self, item: Item, clip: Clip | None) -> Any:
        otio = self.otio
        named = item.metadata.get(MEDIA)
        if isinstance(named, dict) and isinstance(named.get("target_url"), str):
            # the media the imported file named, online or not, as that file named it
            stored = named.get("available_range")
            available = None
            if isinstance(stored, list) and len(stored) == 2:
                available = self.range(from_json(stored[0]), from_json(stored[1]))
            ref = otio.schema.ExternalReference(target_url=named["target_url"], available_range=available)
            if item.clip:
                ref.metadata[STUDIO] = {"clip_id": item.clip}
            return ref
        media = _media_file(clip) if clip is not None else None
        if clip is None or media is None:
            what = "is not known" if clip is None else "has no media file"
            self.warnings.append(f"item {item.id}: clip {item.clip} {what}; written as missing media")
            ref = otio.schema.MissingReference()
        else:
            available = self.range(ZERO, clip.duration) if clip.duration else None
            ref = otio.schema.ExternalReference(
                target_url=Path(os.path.abspath(media)).as_uri(), available_range=available
            )
        if item.clip:
            ref.metadata[STUDIO] = {"clip_id": item.clip}
        return ref

    def marker(self, marker: Marker) -> Any:
        otio = self.otio
        name, comment, start = _marker_as_found(marker)
        default = otio.schema.MarkerColor.GREEN if marker.done else otio.schema.MarkerColor.RED
        out = otio.schema.Marker(
            name=name,
            marked_range=self.range(start, marker.duration),
            color=marker.colour or default,
            comment=comment,
        )
        put_foreign(out.metadata, marker.metadata)
        out.metadata[STUDIO] = {
            "marker_id": marker.id,
            "author": marker.author,
            "done": marker.done,
            "colour": marker.colour,
            "metadata": own_metadata(marker.metadata),
        }
        return out


def _marker_as_found(marker: Marker) -> tuple[str, str, Fraction]:
    """Name, comment and position to write for a marker: as the file that brought it had them (kept
    under MARKER_TEXT) while its note and position are unchanged, else its note at its position."""
    text = typed_get(marker.metadata, MARKER_TEXT, dict, {})
    name, comment = text.get("name"), text.get("comment")
    if not (isinstance(name, str) and isinstance(comment, str) and marker.note == marker_note(name, comment)):
        name, comment = marker.note, ""
    placed = text.get("placed")
    start = marker.at
    if placed is not None and text.get("at") == to_json(marker.at):
        try:
            start = from_json(placed)  # outside the clip it hung on, where the studio shows it at the edge
        except ValueError:
            start = marker.at
    return name, comment, start


def _imported_end(track: Track) -> Fraction | None:
    """The length another tool gave the track (trailing gap included), if it was imported."""
    stored = track.metadata.get("otio")
    value = stored.get("end") if isinstance(stored, dict) else None
    try:
        return None if value is None else from_json(value)
    except (TypeError, ValueError):
        return None


def _media_origin(item: Item) -> Fraction:
    """Where the media an imported clip named starts (its available_range), which its source range
    counts from; zero for media the studio describes itself."""
    named = item.metadata.get(MEDIA)
    stored = named.get("available_range") if isinstance(named, dict) else None
    if isinstance(stored, list) and len(stored) == 2:
        try:
            return from_json(stored[0])
        except (TypeError, ValueError):
            return ZERO
    return ZERO


def _lanes(items: list[Item]) -> list[list[Item]]:
    """Items of one track split so that no lane has overlapping items (first lane first)."""
    lanes: list[list[Item]] = []
    for item in items:
        for lane in lanes:
            if lane[-1].end <= item.start:
                lane.append(item)
                break
        else:
            lanes.append([item])
    return lanes


def _media_file(clip: Clip) -> Path | None:
    if clip.path is not None:
        return clip.path
    stored = media_path(clip.id)
    return stored if stored.is_file() else None


_OTIO_CLIP_FIELDS = (
    *("title", "kind", "duration", "owner", "lineage", "has_video", "has_audio", "tags", "embedded_credits"),
)


def _clip_metadata(clip: Clip) -> dict[str, Any]:
    """The clip in a studio clip's metadata: credits one entry per role (`{"name", "role"}`, as other
    tools read them; ARCHITECTURE section 7), the licence, and the rest of its project-file form."""
    credits = []
    for credit in clip.credits:
        extra = {k: v for k, v in credit.to_dict().items() if k in ("weight", "id")}
        credits += [{"name": credit.name, "role": role, **extra} for role in credit.roles]
    form = clip.to_file_dict(None)
    return {
        "credits": credits,
        "licence": clip.licence,
        "clip": {name: form[name] for name in _OTIO_CLIP_FIELDS},
    }
