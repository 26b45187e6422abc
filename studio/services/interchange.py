"""OpenTimelineIO (.otio) import and export, keeping credits, licences and our item fields.

Export writes one OTIO track per studio track (bottom to top, as OTIO stacks them), Clips whose
source_range is in the clip's media time, Gaps for holes, an ExternalReference whose target_url is
the media's file URL, and under `metadata["studio"]` everything OTIO has no field for: the clip id,
credits (`[{"name", "role"}]`, one entry per role), licence, the rest of the clip record, the item's
id, gain, fades and mute; the timeline's editors and settings. The timeline's start time is its
global_start_time. Title items become clips with a GeneratorReference of kind "studio.title"; markers
become OTIO markers on the top stack with their range and colour.

Import reads such files back exactly, and files written by other tools as well as we can: gaps,
transitions (left out with a warning; the cut stays), nested stacks and tracks (flattened in place
with a warning; the extra layers of a nested stack become tracks of their own just above), markers,
generator references (a title if it is ours, otherwise left out with a warning), missing media and
image sequences (the items are kept and the clip is listed in `offline`). What other tools wrote in
the metadata of the timeline, its tracks, clips and markers is kept under FOREIGN and written back
where it was; so are a marker's name and comment, and the place of a marker hung outside its clip.
Times become exact Fractions (value / rate, with 23.976... read back as 24000/1001). Following
OTIO's convention that editors put picture and sound on separate tracks, items that another tool
placed on a video track are muted, so sound comes from the audio tracks and nothing plays twice.

opentimelineio is imported only here, when a function is called.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from studio.core.atomic import atomic_write_text
from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.clips import CLIP_KINDS, SHA256_RE, Clip, Credit
from studio.core.errors import InvalidInput, MediaError, StudioError
from studio.core.fractional_index import keys_after, validate_key
from studio.core.paths import media_path
from studio.core.timecode import ZERO, from_json, to_json
from studio.core.timeline import AUDIO, SETTINGS, VIDEO, Item, Marker, Timeline, Track, decode_setting, new_id

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

_IMAGE_EXT = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".dpx", ".bmp", ".webp", ".gif", ".tga"}
_AUDIO_EXT = {".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".aif", ".aiff", ".wma"}
_VIDEO_EXT = {".mov", ".mp4", ".m4v", ".mkv", ".webm", ".avi", ".mxf", ".mpg", ".mpeg", ".ts", ".mts"}
_SCHEMA_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\.(\d+)$")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_EXACT_LIMIT = 2**53


@dataclass
class ImportedTimeline:
    """An imported .otio: the timeline, the clips its items use, the clip ids whose media was not
    found (in first-use order; their Clip keeps the path the file named, if any) and what could not
    be carried over, as sentences for the user."""

    timeline: Timeline
    clips: dict[str, Clip]
    offline: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _otio() -> Any:
    import opentimelineio

    return opentimelineio


# --- export ---------------------------------------------------------------------------------------


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
    otio = _otio()
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
        self.frame_rate_exact = _rate(float(self.fps)) == self.fps
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
        settings["metadata"] = _own(tl.settings["metadata"])
        _put_foreign(out.metadata, tl.settings["metadata"])
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
            "metadata": _own(track.metadata),
        }
        if lane_index:
            meta["lane"] = lane_index
        else:
            _put_foreign(out.metadata, track.metadata)
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
            "item_metadata": _own(item.metadata),
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
        _put_foreign(out.metadata, item.metadata)  # what other tools wrote goes back where they put it
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
        _put_foreign(out.metadata, marker.metadata)
        out.metadata[STUDIO] = {
            "marker_id": marker.id,
            "author": marker.author,
            "done": marker.done,
            "colour": marker.colour,
            "metadata": _own(marker.metadata),
        }
        return out


def _marker_as_found(marker: Marker) -> tuple[str, str, Fraction]:
    """Name, comment and position to write for a marker: as the file that brought it had them (kept
    under MARKER_TEXT) while its note and position are unchanged, else its note at its position."""
    text = _get(marker.metadata, MARKER_TEXT, dict, {})
    name, comment = text.get("name"), text.get("comment")
    if not (
        isinstance(name, str) and isinstance(comment, str) and marker.note == _marker_note(name, comment)
    ):
        name, comment = marker.note, ""
    placed = text.get("placed")
    start = marker.at
    if placed is not None and text.get("at") == to_json(marker.at):
        try:
            start = from_json(placed)  # outside the clip it hung on, where the studio shows it at the edge
        except ValueError:
            start = marker.at
    return name, comment, start


def _own(metadata: dict[str, Any]) -> dict[str, Any]:
    """A metadata dict without what other tools wrote (that goes back to their own keys)."""
    return {k: v for k, v in metadata.items() if k != FOREIGN}


def _put_foreign(target: Any, metadata: dict[str, Any]) -> None:
    """Write other tools' metadata kept under FOREIGN back to the OTIO object's own metadata."""
    foreign = metadata.get(FOREIGN)
    if isinstance(foreign, dict):
        for key, value in foreign.items():
            if key != STUDIO:
                target[key] = value


def _foreign(metadata: Any) -> dict[str, Any]:
    """Other tools' part of an OTIO object's metadata, as plain JSON values."""
    return {k: v for k, v in _plain(metadata).items() if k != STUDIO} if metadata is not None else {}


def _marker_note(name: str, comment: str) -> str:
    """The note of a marker another tool wrote: its name and comment."""
    return " — ".join(p for p in (name, comment) if p)


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


def _clip_metadata(clip: Clip) -> dict[str, Any]:
    credits = []
    for credit in clip.credits:
        for role in credit.roles:
            entry: dict[str, Any] = {"name": credit.name, "role": role}
            if credit.weight != 1:
                entry["weight"] = str(credit.weight)
            if credit.contributor_id:
                entry["id"] = credit.contributor_id
            credits.append(entry)
    return {
        "credits": credits,
        "licence": clip.licence,
        "clip": {
            "title": clip.title,
            "kind": clip.kind,
            "duration": None if clip.duration is None else to_json(clip.duration),
            "owner": clip.owner,
            "lineage": list(clip.lineage),
            "has_video": clip.has_video,
            "has_audio": clip.has_audio,
            "tags": list(clip.tags),
            "embedded_credits": clip.embedded_credits,
        },
    }


# --- import: reading the file ---------------------------------------------------------------------


def import_otio(
    path: Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ImportedTimeline:
    """Read an .otio file into a timeline and its clips; InvalidInput naming the file if unreadable.

    Media that exists is hashed (its SHA-256 is the clip id) unless the file names the clip id, and
    its studio-credits block is read. Nothing is written anywhere.
    """
    otio = _otio()
    path = Path(path)
    document = _read_otio(otio, path)
    importer = _Importer(otio, path, progress, cancel)
    return importer.run(document)


def _read_otio(otio: Any, path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not an OpenTimelineIO file (not UTF-8 text)") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}: {exc.msg}" if text.strip() else "the file is empty"
        raise InvalidInput(f"{path}: not an OpenTimelineIO file (invalid JSON, {where})") from None
    if not isinstance(raw, dict) or "OTIO_SCHEMA" not in raw:
        raise InvalidInput(f"{path}: not an OpenTimelineIO file (its JSON has no top-level OTIO_SCHEMA)")
    newer = _newer_schemas(otio, raw)
    if newer:
        known = otio.core.type_version_map()
        names = ", ".join(newer)
        reads = ", ".join(f"{n.rsplit('.', 1)[0]}.{known[n.rsplit('.', 1)[0]]}" for n in newer)
        raise InvalidInput(
            f"{path}: written by a newer OpenTimelineIO (schema {names}); this studio reads up to {reads} "
            f"(opentimelineio {otio.__version__}). Save it for an older OpenTimelineIO, or update the studio."
        )
    try:
        document = otio.adapters.read_from_string(text, "otio_json")
    except Exception as exc:  # the OTIO reader raises its own and builtin errors for bad content
        if isinstance(exc, otio.exceptions.UnsupportedSchemaError):
            raise InvalidInput(
                f"{path}: uses a schema version opentimelineio {otio.__version__} cannot read ({exc})"
            ) from None
        raise InvalidInput(f"{path}: not a readable OpenTimelineIO file ({exc})") from None
    if isinstance(document, otio.schema.Timeline):
        return document
    if isinstance(document, otio.schema.SerializableCollection):
        for child in document:
            if isinstance(child, otio.schema.Timeline):
                return child
    raise InvalidInput(f"{path}: holds an OpenTimelineIO {_schema_label(document)}, not a timeline")


def _schema_label(obj: Any) -> str:
    """An object's schema name, naming the original one for schemas the library does not know."""
    if obj.is_unknown_schema:
        return f"{obj.original_schema_name}.{obj.original_schema_version} (a schema it does not know)"
    return str(obj.schema_name())


def _newer_schemas(otio: Any, raw: Any) -> list[str]:
    """Schema names in the document whose version is above what the installed library reads."""
    known: dict[str, int] = otio.core.type_version_map()
    found: set[str] = set()
    stack = [raw]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            tag = node.get("OTIO_SCHEMA")
            if isinstance(tag, str):
                match = _SCHEMA_RE.match(tag)
                if match and match.group(1) in known and int(match.group(2)) > known[match.group(1)]:
                    found.add(tag)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)


# --- import: time, metadata and paths -------------------------------------------------------------


def _rate(rate: float) -> Fraction:
    """A frame rate as the fraction it stands for: 23.976023976023978 -> 24000/1001, 25.0 -> 25."""
    if float(rate).is_integer():
        return Fraction(int(rate))
    near = Fraction(rate).limit_denominator(1001)
    if abs(float(near) - rate) <= 1e-12 * abs(rate):
        return near
    return Fraction(repr(float(rate)))


def _time(rt: Any) -> Fraction:
    value = float(rt.value)
    exact_value = Fraction(int(value)) if value.is_integer() else Fraction(repr(value))
    return exact_value / _rate(rt.rate)


def _plain(value: Any) -> Any:
    """OTIO's metadata containers as plain JSON values."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [_plain(v) for v in value]
    return str(value)


def _studio(metadata: Any) -> dict[str, Any]:
    value = _plain(metadata.get(STUDIO)) if metadata is not None else None
    return value if isinstance(value, dict) else {}


def _get(meta: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    """meta[key] when it has the expected type, else the default (metadata from other tools varies)."""
    value = meta.get(key)
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    return default


def _is_clip_id_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) and SHA256_RE.match(x) for x in value)


def _credits_of_block(block: dict[str, Any]) -> tuple[Credit, ...]:
    """The people a studio-credits block names, with their roles (the block is already validated)."""
    people = []
    for person in block["contributors"]:
        if person["name"].strip():
            roles = tuple(r for r in person.get("roles", []) if r) or ("creator",)
            cid = str(person.get("id", ""))
            people.append(Credit(name=person["name"].strip(), roles=roles, contributor_id=cid))
    return tuple(people)


def _lineage_of_block(block: dict[str, Any]) -> tuple[str, ...]:
    """The clips a remix was made from, nearest first, then their own ancestors."""
    seen: list[str] = []
    for source in block.get("sources", []):
        for clip_id in [source.get("clip"), *source.get("via", [])]:
            if isinstance(clip_id, str) and SHA256_RE.match(clip_id) and clip_id not in seen:
                seen.append(clip_id)
    return tuple(seen)


def _url_to_path(url: str, base: Path) -> Path | None:
    """The local file a target_url names: file URLs (file:///x, file://localhost/D%3a/x), plain
    paths (relative ones against the .otio file's folder); None for other schemes or hosts."""
    if _WINDOWS_DRIVE.match(url):
        return Path(url)
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            return None
        text = unquote(parsed.path)
        if re.match(r"^/[A-Za-z]:[\\/]", text):
            text = text[1:]
        return Path(text)
    if parsed.scheme:
        return None
    local = Path(unquote(url))
    return local if local.is_absolute() else base / local


def _kind_from_name(name: str, track_kind: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in _IMAGE_EXT:
        return "image"
    if suffix in _AUDIO_EXT:
        return "audio"
    if suffix in _VIDEO_EXT:
        return "video"
    return "audio" if track_kind == AUDIO else "video"


def _credits_from(entries: Any, where: str, warnings: list[str]) -> tuple[Credit, ...]:
    """[{"name", "role"}] (one entry per role, as OTIO metadata carries them) grouped per person."""
    if entries is None:
        return ()
    if not isinstance(entries, list):
        warnings.append(f"{where}: studio credits are not a list; ignored")
        return ()
    people: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        try:
            credit = Credit.from_dict(entry)
        except InvalidInput as exc:
            warnings.append(f"{where}: a credit was ignored ({exc})")
            continue
        key = (credit.name, credit.contributor_id)
        person = people.setdefault(key, {"roles": [], "weight": credit.weight})
        person["roles"].extend(r for r in credit.roles if r not in person["roles"])
    return tuple(
        Credit(name=name, roles=tuple(p["roles"]), weight=p["weight"], contributor_id=cid)
        for (name, cid), p in people.items()
    )


# --- import: building the timeline ----------------------------------------------------------------


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


class _Importer:
    def __init__(
        self, otio: Any, source: Path, progress: ProgressCallback | None, cancel: CancelToken | None
    ) -> None:
        self.otio = otio
        self.source = source
        self.base = source.parent
        self.progress = progress
        self.cancel = cancel
        self.warnings: list[str] = []
        self.clips: dict[str, Clip] = {}
        self.offline: list[str] = []
        self.probed: set[str] = set()
        self.hashes: dict[Path, str] = {}
        self.lanes: dict[tuple[int, tuple[int, ...], str], _Lane] = {}
        self.tops: dict[int, _TopTrack] = {}
        self.alias: dict[int, int] = {}
        self.markers: list[Marker] = []
        self.item_ids: set[str] = set()
        self.marker_ids: set[str] = set()
        self.lane_tracks: list[tuple[str, _Lane]] = []
        self.clip_total = 1
        self.clip_done = 0

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    # -- walk ---------------------------------------------------------------------------------------
    def run(self, document: Any) -> ImportedTimeline:
        otio = self.otio
        meta = _studio(document.metadata)
        self.clip_total = max(1, sum(1 for _ in document.find_clips()))
        stack = document.tracks
        self.take_markers(stack.markers, ZERO, ZERO, None, "the timeline")
        track_ids: dict[str, int] = {}
        per_kind = {VIDEO: 0, AUDIO: 0}
        for index, child in enumerate(stack):
            if not isinstance(child, otio.schema.Track):
                name = getattr(child, "name", "") or "unnamed"
                what = f"{_schema_label(child)} ({name})"
                self.warn(f"the timeline's top level holds a {what} instead of a track; left out")
                continue
            kind = {"Video": VIDEO, "Audio": AUDIO}.get(child.kind)
            if kind is None:
                label = child.name or str(index + 1)
                self.warn(f"track {label}: kind {child.kind!r} is neither video nor audio; left out")
                continue
            per_kind[kind] += 1
            studio = _studio(child.metadata)
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
                    _foreign(child.metadata),
                )
                self.lane(index, (), kind)
            label = child.name or f"{'V' if kind == VIDEO else 'A'}{per_kind[kind]} (unnamed)"
            lo, hi = self.track_window(child, label)
            self.walk_track(child, ZERO, lo, hi, index, (), kind, label)
        timeline = self.build_timeline(document, meta)
        if self.progress is not None:
            self.progress(1.0, "imported")
        return ImportedTimeline(timeline, self.clips, self.offline, self.warnings)

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
        return _time(trimmed.start_time), _time(trimmed.duration)

    def track_window(self, track: Any, label: str) -> tuple[Fraction, Fraction | None]:
        if track.source_range is None:
            return ZERO, None
        lo = _time(track.source_range.start_time)
        hi = lo + _time(track.source_range.duration)
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
        self.take_markers(track.markers, offset, lo, hi, f"track {label}")
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
        self.take_markers(stack.markers, offset, lo, hi, f"stack {stack.name or 'unnamed'}")
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
            what = f"{_schema_label(child)} {getattr(child, 'name', '')!r}"
            self.warn(f"{what} on track {label} is not supported; left out")

    # -- clips --------------------------------------------------------------------------------------
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
        studio = _studio(oclip.metadata)
        name = oclip.name or "unnamed"
        where = f"clip {name!r} on track {label}"
        self.take_markers(oclip.markers, at, media_lo, media_lo + duration, where)
        if len(oclip.effects):
            kinds = sorted({e.effect_name or e.schema_name() for e in oclip.effects})
            self.warn(f"{where}: effects are not imported ({', '.join(kinds)})")
        ref = oclip.media_reference
        available = getattr(ref, "available_range", None) if ref is not None else None
        source_in = media_lo - (_time(available.start_time) if available is not None else ZERO)
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
            text = _plain(ref.parameters).get("text", "")
            fields.update(kind="title", text=text if isinstance(text, str) else str(text))
        else:
            fields["clip"] = self.clip_for(oclip, ref, kind, studio, where)
        fields.update(self.item_fields(studio, where))
        foreign = _foreign(oclip.metadata)
        if foreign:  # other tools' metadata (fcp_xml, Resolve_OTIO, cmx_3600 ...), kept for the way back
            fields["metadata"] = {**fields.get("metadata", {}), FOREIGN: foreign}
        if not studio and isinstance(ref, otio.schema.ExternalReference) and ref.target_url:
            named: dict[str, Any] = {"target_url": ref.target_url}
            if available is not None:
                start, length = _time(available.start_time), _time(available.duration)
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

    def clip_for(self, oclip: Any, ref: Any, track_kind: str, studio: dict[str, Any], where: str) -> str:
        otio = self.otio
        ref_studio = _studio(ref.metadata) if ref is not None else {}
        url: str | None = None
        path: Path | None = None
        if isinstance(ref, otio.schema.ExternalReference):
            url = ref.target_url
            path = _url_to_path(url, self.base) if url else None
        elif isinstance(ref, otio.schema.ImageSequenceReference):
            url = ref.abstract_target_url("#")
            self.warn(f"{where}: image sequences ({url}) are not supported; the clip is offline")
        claimed = studio.get("clip_id") or ref_studio.get("clip_id")
        exists = path is not None and path.is_file()
        file_id = self.file_id(path, where) if exists and path is not None else None
        exists = file_id is not None
        if isinstance(claimed, str) and SHA256_RE.match(claimed):
            clip_id = claimed
        elif file_id is not None:
            clip_id = file_id
        else:
            key = url or f"otio-missing:{oclip.name}"
            clip_id = hashlib.sha256(key.encode("utf-8")).hexdigest()
        if not exists:
            stored = media_path(clip_id)
            if stored.is_file():
                path, exists = stored, True
        known = self.clips.get(clip_id)
        if known is not None:
            guessed = clip_id not in self.probed and "clip" not in studio
            if guessed and track_kind == AUDIO and not known.has_audio:
                self.clips[clip_id] = replace(known, has_audio=True)
            return clip_id
        clip = self.new_clip(clip_id, oclip, ref, path, exists, track_kind, studio, where)
        self.clips[clip_id] = clip
        if not exists:
            self.offline.append(clip_id)
            self.warn(f"media offline: {url or oclip.name or clip_id} (clip {clip.title!r})")
        return clip_id

    def file_id(self, path: Path, where: str) -> str | None:
        """The SHA-256 of a media file (read once per file), or None with a warning if unreadable."""
        from studio.media.hashing import sha256_file

        if path not in self.hashes:
            try:
                self.hashes[path] = sha256_file(path, cancel=self.cancel)
            except MediaError as exc:
                self.warn(f"{where}: {exc}; the clip is offline")
                return None
        return self.hashes[path]

    def new_clip(
        self,
        clip_id: str,
        oclip: Any,
        ref: Any,
        path: Path | None,
        exists: bool,
        track_kind: str,
        studio: dict[str, Any],
        where: str,
    ) -> Clip:
        record = _get(studio, "clip", dict, None)
        credits = _credits_from(studio.get("credits"), where, self.warnings)
        title = oclip.name or (path.stem if path is not None else "") or "untitled"
        kind = _kind_from_name(title if path is None else path.name, track_kind)
        clip = Clip(
            id=clip_id,
            title=title,
            kind=kind,
            duration=None,
            credits=credits,
            licence=_get(studio, "licence", str, ""),
            path=path,
        )
        if record is not None:
            clip = self.apply_record(clip, record, where)
        else:
            clip = self.describe_media(clip, ref, exists, track_kind, where)
        if exists and path is not None:
            clip = self.with_embedded_credits(clip, path, studio, where)
        return clip

    def apply_record(self, clip: Clip, record: dict[str, Any], where: str) -> Clip:
        """The clip record our own export wrote; fields that do not check out are left as found."""
        changes: dict[str, Any] = {}
        checks: dict[str, Any] = {
            "title": lambda v: isinstance(v, str),
            "kind": lambda v: v in CLIP_KINDS,
            "owner": lambda v: isinstance(v, str),
            "has_video": lambda v: isinstance(v, bool),
            "has_audio": lambda v: isinstance(v, bool),
            "lineage": _is_clip_id_list,
            "tags": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
            "embedded_credits": lambda v: v is None or isinstance(v, dict),
        }
        for key, ok in checks.items():
            if key in record:
                if ok(record[key]):
                    value = record[key]
                    changes[key] = tuple(value) if isinstance(value, list) else value
                else:
                    self.warn(f"{where}: studio clip {key} ignored ({record[key]!r})")
        if record.get("duration") is not None:
            try:
                duration = from_json(record["duration"])
                if duration <= 0:
                    raise ValueError("not positive")
                changes["duration"] = duration
            except ValueError:
                self.warn(f"{where}: studio clip duration ignored ({record['duration']!r})")
        return replace(clip, **changes)

    def describe_media(self, clip: Clip, ref: Any, exists: bool, track_kind: str, where: str) -> Clip:
        """Kind, duration and streams of a clip another tool referenced: probed when the file is
        here, otherwise guessed from its name, the track it sits on and the range the file gives."""
        if exists and clip.path is not None:
            from studio.media.probe import probe

            try:
                info = probe(clip.path)
            except StudioError as exc:
                self.warn(f"{where}: its media cannot be read ({exc})")
            else:
                self.probed.add(clip.id)
                kind = "image" if info.is_image else "video" if info.has_video else "audio"
                return replace(
                    clip,
                    kind=kind,
                    duration=None if info.is_image else info.duration,
                    has_video=info.has_video,
                    has_audio=info.has_audio,
                    probe=info.to_dict(),
                )
        available = getattr(ref, "available_range", None) if ref is not None else None
        duration = _time(available.duration) if available is not None else None
        return replace(
            clip,
            duration=duration if clip.kind != "image" and duration and duration > 0 else None,
            has_video=clip.kind in ("video", "image"),
            has_audio=clip.kind == "audio" or track_kind == AUDIO,
        )

    def with_embedded_credits(self, clip: Clip, path: Path, studio: dict[str, Any], where: str) -> Clip:
        """A media file that carries a studio-credits block brings its credits along: the block itself,
        and its people and licence where the timeline file names none."""
        from studio.media.tags import read_credits

        try:
            block = read_credits(path)
        except StudioError as exc:
            self.warn(f"{where}: its embedded credits cannot be read ({exc})")
            return clip
        if block is None:
            return clip
        changes: dict[str, Any] = {"embedded_credits": block}
        if "credits" not in studio:
            changes["credits"] = _credits_of_block(block)
        if "clip" not in studio:
            changes["lineage"] = _lineage_of_block(block)
        work = block.get("work", {})
        if "licence" not in studio and isinstance(work.get("licence"), str):
            changes["licence"] = work["licence"]
        return replace(clip, **changes)

    # -- markers ------------------------------------------------------------------------------------
    def take_markers(
        self, markers: Any, offset: Fraction, lo: Fraction, hi: Fraction | None, where: str
    ) -> None:
        for marker in markers:
            t = _time(marker.marked_range.start_time)
            placed = offset + (t - lo)
            if t < lo or (hi is not None and t > hi):
                self.warn(f"marker {marker.name!r} on {where} lies outside it; placed at its edge")
                t = lo if t < lo else hi if hi is not None else t
            self.add_marker(marker, offset + (t - lo), placed)

    def add_marker(self, marker: Any, at: Fraction, placed: Fraction) -> None:
        """Add a marker at `at`; `placed` is where the file put it (outside its clip, it is moved to the
        clip's edge, and the file's place is kept in its metadata for the way back)."""
        studio = _studio(marker.metadata)
        mid = studio.get("marker_id")
        if not isinstance(mid, str) or not mid or mid in self.marker_ids:
            mid = new_id()
        self.marker_ids.add(mid)
        # Our own notes are the marker's name; other tools split a note into name and comment (and our
        # export writes such a marker back that way).
        note = marker.name if studio and not marker.comment else _marker_note(marker.name, marker.comment)
        author = _get(studio, "author", str, "")
        done = _get(studio, "done", bool, False)
        metadata: dict[str, Any] = dict(_get(studio, "metadata", dict, {}))
        kept = _get(metadata, MARKER_TEXT, dict, {})
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
            metadata[MARKER_TEXT] = {**_get(metadata, MARKER_TEXT, dict, {}), **text}
        foreign = _foreign(marker.metadata)
        if foreign:
            metadata[FOREIGN] = foreign
        colour = _get(studio, "colour", str, marker.color) if studio else str(marker.color or "")
        duration = _time(marker.marked_range.duration)
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

    # -- result -------------------------------------------------------------------------------------
    def build_timeline(self, document: Any, meta: dict[str, Any]) -> Timeline:
        tl = Timeline()
        settings: dict[str, Any] = _get(meta, "settings", dict, {})
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
            start = _time(document.global_start_time)
            if start >= 0:
                tl.settings["start_time"] = start
            else:
                self.warn(f"the timeline's start time {float(start):g} s is negative; it starts at 0")
        foreign = _foreign(document.metadata)
        if foreign:
            tl.settings["metadata"] = {**tl.settings["metadata"], FOREIGN: foreign}
        for track in self.build_tracks():
            tl.tracks[track.id] = track
        for lane_track, lane in self.lane_tracks:
            for item in lane.items:
                item.track = lane_track
                tl.items[item.id] = item
        for marker in self.markers:
            tl.markers[marker.id] = marker
        return tl

    def frame_rate(self, document: Any) -> Fraction:
        if document.global_start_time is not None:
            return _rate(document.global_start_time.rate)
        for clip in document.find_clips():
            if clip.source_range is not None:
                return _rate(clip.source_range.duration.rate)
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
            metadata: dict[str, Any] = _get(studio, "metadata", dict, {})
            if not ours and not lane.path:
                otio_meta: dict[str, Any] = {"name": top.name} if top.name and top.name != name else {}
                last = max((i.end for i in lane.items), default=ZERO)
                if top.end is not None and top.end > last:
                    otio_meta["end"] = to_json(top.end)  # a trailing gap, written back on export
                metadata = {"otio": otio_meta} if otio_meta else {}
            if not lane.path and top.foreign:
                metadata = {**metadata, FOREIGN: top.foreign}
            muted: bool = _get(studio, "muted", bool, top.muted)
            locked: bool = _get(studio, "locked", bool, False)
            tracks.append(Track(tid, lane.kind, name, "", muted, locked, metadata))
            stored_keys.append(_get(studio, "order", str, None))
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
