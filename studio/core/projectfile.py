"""Project files: one JSON document holding a project's timeline and the clips it uses.

A project file travels without the local store, so it carries everything needed to reopen the
project elsewhere: the timeline (`Timeline.to_dict()`, exact times as "num/den" strings) and, for
every clip an item uses, its title, kind, duration, credits, licence, owner, lineage, media path and
the studio-credits block its file carries (`Clip.to_file_dict`, the one codec of that form). Shape of
schema `studio.project/1`:

    {"schema": "studio.project/1",
     "project": {"id": str, "name": str},
     "timeline": Timeline.to_dict(),
     "clips": {<sha256>: {"title": str, "kind": "video"|"audio"|"image"|"title",
                          "duration": time|null, "credits": [Credit.to_dict()], "licence": str,
                          "owner": str, "lineage": [<sha256>], "path": str|null,
                          "embedded_credits": object|null, "has_video": bool, "has_audio": bool,
                          "tags": [str], "probe": object}}}

A media path is written relative to the project file's folder (with "/" separators) when the media
sits inside that folder, so a project folder moved as a whole keeps its media; elsewhere it is
absolute. Loading resolves relative paths against the file's folder again.

Files are versioned: `UPGRADES` maps an older schema to a function that turns such a document into
the next schema's shape, applied in a chain until the current schema is reached, and the result is
validated like any other file. Loading never writes; saving goes through a temp file, fsync and
rename, so a failure at any point leaves the previous file as it was.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import MISSING, fields, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

from studio.core.atomic import atomic_write_text
from studio.core.clips import SHA256_RE, Clip, ClipFieldError, json_kind
from studio.core.errors import InvalidInput
from studio.core.fractional_index import keys_after
from studio.core.timecode import to_json
from studio.core.timeline import (
    AUDIO,
    SETTINGS,
    TRACK_KINDS,
    VIDEO,
    Conflict,
    Entity,
    Item,
    Marker,
    Timeline,
    Track,
)

SCHEMA_PREFIX = "studio.project/"
CURRENT_VERSION = 1
CURRENT_SCHEMA = f"{SCHEMA_PREFIX}{CURRENT_VERSION}"
PROJECT_FILE_SUFFIX = ".studio"

_SCHEMA_RE = re.compile(r"^studio\.project/(\d+)$")
SchemaCheck = Callable[[dict[str, Any]], str | None]  # 'field: fault' where a document breaks the schema


class ProjectMeta(NamedTuple):
    """What a project file says about its project; `upgraded_from` names an older schema it was in."""

    id: str
    name: str
    schema: str
    upgraded_from: str | None = None


class LoadedProject(NamedTuple):
    """A loaded project file; unpacks as (meta, timeline, clips)."""

    meta: ProjectMeta
    timeline: Timeline
    clips: dict[str, Clip]


class _Bad(Exception):
    """A fault at a place in the document; turned into InvalidInput naming the file."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)


# --- saving ---------------------------------------------------------------------------------------


def save_project_file(
    path: Path, project_id: str, name: str, timeline: Timeline, clips: dict[str, Clip]
) -> None:
    """Write a project file atomically (temp file, fsync, rename; never in place).

    Only the clips the timeline's items use are written, and every one of them must be given.
    The document is validated exactly as `load_project_file` would before anything is written,
    so a saved file always loads.
    """
    path = Path(path)
    doc = project_document(path, project_id, name, timeline, clips)
    try:
        _parse_current(doc, path.parent)
    except _Bad as exc:
        raise InvalidInput(f"cannot save project file {path}: {exc}") from None
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    atomic_write_text(path, text)


def project_document(
    path: Path, project_id: str, name: str, timeline: Timeline, clips: dict[str, Clip]
) -> dict[str, Any]:
    """The JSON document `save_project_file` writes at `path` (media paths relative to its folder)."""
    used = sorted(timeline.clip_ids())
    missing = [cid for cid in used if cid not in clips]
    if missing:
        raise InvalidInput(
            f"cannot save project file {path}: no clip record for {', '.join(missing)} "
            "(every clip an item uses must be given)"
        )
    folder = Path(path).parent
    return {
        "schema": CURRENT_SCHEMA,
        "project": {"id": project_id, "name": name},
        "timeline": timeline.to_dict(),
        "clips": {cid: _clip_entry(clips[cid], folder) for cid in used},
    }


def _clip_entry(clip: Clip, folder: Path) -> dict[str, Any]:
    return clip.to_file_dict(None if clip.path is None else _portable_path(clip.path, folder))


def _portable_path(media: Path, folder: Path) -> str:
    media_abs = Path(os.path.abspath(media))
    folder_abs = Path(os.path.abspath(folder))
    if media_abs.is_relative_to(folder_abs):
        return media_abs.relative_to(folder_abs).as_posix()
    return str(media_abs)


# --- loading --------------------------------------------------------------------------------------


def load_project_file(path: Path, *, check: SchemaCheck | None = None) -> LoadedProject:
    """Read, upgrade and validate a project file; raise InvalidInput naming the file and the fault.
    `check` (the published schema's, from a layer that has a validator) sees the upgraded document first."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such project file") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the project file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not a project file (not UTF-8 text)") from None
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}: {exc.msg}" if text.strip() else "the file is empty"
        raise InvalidInput(f"{path}: not a project file (invalid JSON, {where})") from None
    except ValueError as exc:
        raise InvalidInput(f"{path}: not a project file (invalid JSON: {exc})") from None
    try:
        return _parse_document(doc, path.parent, check)
    except _Bad as exc:
        raise InvalidInput(f"{path}: {exc}") from None


def parse_project_document(doc: Any, folder: Path) -> LoadedProject:
    """Upgrade and validate an already decoded document; relative media paths resolve against `folder`.

    The InvalidInput raised names the faulty field; `load_project_file` adds the file's name.
    """
    try:
        return _parse_document(doc, Path(folder))
    except _Bad as exc:
        raise InvalidInput(str(exc)) from None


def _parse_document(doc: Any, folder: Path, check: SchemaCheck | None = None) -> LoadedProject:
    if not isinstance(doc, dict):
        raise _Bad("", f"not a project file (the top level is {_kind(doc)}, not an object)")
    schema = doc.get("schema")
    if schema is None:
        raise _Bad("", 'not a project file (no "schema" field)')
    version = _schema_version(schema)
    if version > CURRENT_VERSION:
        newer = f"written by a newer Remix Studio (schema {schema})"
        raise _Bad("", f"{newer}; this version reads up to {CURRENT_SCHEMA}")
    upgraded_from = None if version == CURRENT_VERSION else str(schema)
    while version < CURRENT_VERSION:
        source = f"{SCHEMA_PREFIX}{version}"
        upgrade = UPGRADES.get(source)
        if upgrade is None:
            raise _Bad("schema", f"{source} files cannot be read by this version (no upgrade known)")
        doc = upgrade(doc)
        upgraded = _schema_version(doc.get("schema"))
        if upgraded <= version:
            raise _Bad("schema", f"the upgrade from {source} did not move the file forward")
        version = upgraded
    if check is not None and (problem := check(doc)):
        raise _Bad("", problem)
    meta, timeline, clips = _parse_current(doc, folder)
    return LoadedProject(meta._replace(upgraded_from=upgraded_from), timeline, clips)


def looks_like_project_file(path: Path) -> bool:
    """True for a file named *.studio or whose JSON names a studio.project schema (no validation)."""
    path = Path(path)
    if not path.is_file():
        return False
    if path.suffix == PROJECT_FILE_SUFFIX:
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return b'"schema"' in head and SCHEMA_PREFIX.encode() in head


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


_kind = json_kind


def _schema_version(schema: Any) -> int:
    if not isinstance(schema, str):
        raise _Bad("schema", f"expected text such as {CURRENT_SCHEMA!r}, got {_kind(schema)}")
    match = _SCHEMA_RE.match(schema)
    if not match:
        raise _Bad("", f"not a Remix Studio project file (schema {schema!r})")
    return int(match.group(1))


def _parse_current(doc: dict[str, Any], folder: Path) -> LoadedProject:
    _only_keys(doc, "", {"schema", "project", "timeline", "clips"})
    project = _need(doc, "", "project", dict)
    _only_keys(project, "project", {"id", "name"})
    project_id = _need(project, "project", "id", str)
    if not project_id:
        raise _Bad("project.id", "must not be empty")
    name = _need(project, "project", "name", str)
    clips = _parse_clips(_need(doc, "", "clips", dict), folder)
    timeline = _parse_timeline(_need(doc, "", "timeline", dict), clips)
    return LoadedProject(ProjectMeta(project_id, name, CURRENT_SCHEMA), timeline, clips)


_EXPECTED = {dict: "an object", list: "a list", str: "text", bool: "true/false"}


def _need(obj: dict[str, Any], where: str, key: str, kind: type) -> Any:
    at = f"{where}.{key}" if where else key
    if key not in obj:
        raise _Bad(at, "missing")
    value = obj[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        expected = _EXPECTED.get(kind, kind.__name__)
        raise _Bad(at, f"expected {expected}, got {_kind(value)}")
    return value


def _only_keys(obj: dict[str, Any], where: str, allowed: set[str]) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise _Bad(where or "(top level)", f"unknown field(s) {', '.join(unknown)}")


def _parse_timeline(data: dict[str, Any], clips: dict[str, Clip]) -> Timeline:
    _only_keys(data, "timeline", {"settings", "tracks", "items", "markers", "conflicts"})
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise _Bad("timeline.settings", f"expected an object, got {_kind(settings)}")
    for key, value in settings.items():
        codec = SETTINGS.get(key)
        if codec is None:
            raise _Bad(f"timeline.settings.{key}", "unknown setting")
        try:
            codec[1](value)
        except ValueError as exc:
            raise _Bad(f"timeline.settings.{key}", str(exc)) from None
    seen: dict[str, dict[str, int]] = {}
    for key, cls in (("tracks", Track), ("items", Item), ("markers", Marker), ("conflicts", Conflict)):
        rows = data.get(key, [])
        if not isinstance(rows, list):
            raise _Bad(f"timeline.{key}", f"expected a list, got {_kind(rows)}")
        ids: dict[str, int] = {}
        for index, row in enumerate(rows):
            where = f"timeline.{key}[{index}]"
            _check_entity(cls, row, where)
            if row["id"] in ids:
                raise _Bad(f"{where}.id", f"duplicate id {row['id']} (also {key}[{ids[row['id']]}])")
            ids[row["id"]] = index
        seen[key] = ids
    for index, row in enumerate(data.get("items", [])):
        where = f"timeline.items[{index}]"
        if row["track"] not in seen["tracks"]:
            raise _Bad(f"{where}.track", f"unknown track {row['track']!r}")
        clip = row.get("clip")
        if clip is not None and clip not in clips:
            raise _Bad(f"{where}.clip", f"unknown clip {clip!r} (not in the file's clips)")
        if row.get("kind", "clip") == "clip" and clip is None:
            raise _Bad(f"{where}.clip", "a clip item needs a clip")
    try:
        return Timeline.from_dict(data)
    except InvalidInput as exc:
        raise _Bad("timeline", str(exc)) from None


def _check_entity(cls: type[Entity], row: Any, where: str) -> None:
    if not isinstance(row, dict):
        raise _Bad(where, f"expected an object, got {_kind(row)}")
    unknown = sorted(set(row) - set(cls.FIELDS))
    if unknown:
        raise _Bad(where, f"unknown field(s) {', '.join(unknown)}")
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name not in row and f.default is MISSING and f.default_factory is MISSING:
            raise _Bad(f"{where}.{f.name}", "missing")
    if not row["id"] or not isinstance(row["id"], str):
        raise _Bad(f"{where}.id", f"expected a non-empty id, got {row['id']!r}")
    for name, value in row.items():
        try:
            cls.FIELDS[name][1](value)
        except ValueError as exc:
            raise _Bad(f"{where}.{name}", str(exc)) from None


def _parse_clips(data: dict[str, Any], folder: Path) -> dict[str, Clip]:
    clips: dict[str, Clip] = {}
    for clip_id, row in data.items():
        where = f"clips.{clip_id}"
        if not SHA256_RE.match(clip_id):
            raise _Bad(where, "a clip id must be 64 lowercase hex digits (the media's SHA-256)")
        if not isinstance(row, dict):
            raise _Bad(where, f"expected an object, got {_kind(row)}")
        clips[clip_id] = _parse_clip(clip_id, row, where, folder)
    return clips


def _parse_clip(clip_id: str, row: dict[str, Any], where: str, folder: Path) -> Clip:
    try:
        clip = Clip.from_file_dict(clip_id, row)
    except ClipFieldError as exc:
        raise _Bad(f"{where}.{exc.field}" if exc.field else where, exc.problem) from None
    return clip if clip.path is None else replace(clip, path=folder / clip.path)


# --- upgrades -------------------------------------------------------------------------------------

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


def _upgrade_draft(doc: dict[str, Any]) -> dict[str, Any]:
    """studio.project/0 (the draft format) -> studio.project/1.

    The draft stored times as float seconds and tracks as a plain bottom-to-top list:

        {"schema": "studio.project/0", "id": str, "name": str, "fps": float, "editors": [str],
         "tracks": [{"id", "kind", "name"}],
         "items": [{"id", "track", "clip": <sha256>|null, "text": str (title items only),
                    "at": s, "in": s, "out": s, "gain": dB}],
         "clips": {<sha256>: {"title", "kind", "duration": s|null, "credits": [{"name", "role"}],
                              "licence", "path"}}}

    Floats become exact fractions: a time within a millionth of a frame of the project's frame
    grid is that frame (the draft's floats came from frame-based editing and carry rounding error,
    e.g. 0.30000000000000004 at 30 fps is frame 9 = 3/10 s); any other float is its shortest
    decimal (0.125 -> 1/8). Track order becomes fractional index keys in list order.
    """
    _only_keys(doc, "", {"schema", "id", "name", "fps", "editors", "tracks", "items", "clips"})
    fps = _draft_rate(doc.get("fps", 30))
    tracks = _need(doc, "", "tracks", list)
    items = _need(doc, "", "items", list)
    clips = _need(doc, "", "clips", dict)
    name = doc.get("name", "")
    return {  # read in the draft's order: tracks, then items, then clips
        "schema": f"{SCHEMA_PREFIX}1",
        "project": {"id": doc.get("id"), "name": name},
        "timeline": {
            "settings": {"name": name, "fps": to_json(fps), "editors": doc.get("editors", [])},
            "tracks": _draft_tracks(tracks),
            "items": _draft_items(items, fps),
        },
        "clips": _draft_clips(clips, fps),
    }


def _draft_tracks(rows: list[Any]) -> list[dict[str, Any]]:
    """The draft's bottom-to-top track list, with fractional index keys in list order."""
    keys = keys_after(None, len(rows))
    tracks = []
    for index, row in enumerate(rows):
        where = f"tracks[{index}]"
        if not isinstance(row, dict):
            raise _Bad(where, f"expected an object, got {_kind(row)}")
        _only_keys(row, where, {"id", "kind", "name"})
        kind = _need(row, where, "kind", str)
        if kind not in TRACK_KINDS:
            raise _Bad(f"{where}.kind", f"expected {VIDEO} or {AUDIO}, got {kind!r}")
        tracks.append(
            {
                "id": _need(row, where, "id", str),
                "kind": kind,
                "name": _need(row, where, "name", str),
                "order": keys[index],
            }
        )
    return tracks


def _draft_items(rows: list[Any], fps: Fraction) -> list[dict[str, Any]]:
    """The draft's items, their float times as exact fractions on the frame grid; titles keep their text."""
    items = []
    for index, row in enumerate(rows):
        where = f"items[{index}]"
        if not isinstance(row, dict):
            raise _Bad(where, f"expected an object, got {_kind(row)}")
        _only_keys(row, where, {"id", "track", "clip", "text", "at", "in", "out", "gain"})
        source_in = _draft_time(row, where, "in", fps, 0)
        source_out = _draft_time(row, where, "out", fps, None)
        if source_out <= source_in:
            raise _Bad(f"{where}.out", f"must be after in ({row['out']!r} <= {row.get('in', 0)!r})")
        item: dict[str, Any] = {
            "id": _need(row, where, "id", str),
            "track": _need(row, where, "track", str),
            "start": to_json(_draft_time(row, where, "at", fps, None)),
            "duration": to_json(source_out - source_in),
            "source_in": to_json(source_in),
            "clip": row.get("clip"),
            "gain_db": row.get("gain", 0.0),
        }
        if "text" in row:
            item["kind"] = "title"
            item["text"] = row["text"]
        items.append(item)
    return items


def _draft_clips(rows: dict[str, Any], fps: Fraction) -> dict[str, Any]:
    """The draft's clip table; the fields studio.project/1 added (owner, lineage, embedded credits) empty."""
    clips = {}
    for clip_id, row in rows.items():
        where = f"clips.{clip_id}"
        if not isinstance(row, dict):
            raise _Bad(where, f"expected an object, got {_kind(row)}")
        _only_keys(row, where, {"title", "kind", "duration", "credits", "licence", "path"})
        credits = [_draft_credit(c) for c in (_need(row, where, "credits", list) if "credits" in row else [])]
        duration = row.get("duration")
        clips[clip_id] = {
            "title": row.get("title", ""),
            "kind": row.get("kind"),
            "duration": None if duration is None else to_json(_draft_time(row, where, "duration", fps, None)),
            "credits": credits,
            "licence": row.get("licence", ""),
            "owner": "",
            "lineage": [],
            "path": row.get("path"),
            "embedded_credits": None,
        }
    return clips


def _draft_credit(credit: Any) -> Any:
    """The draft's one {"name", "role"} per credit becomes a role list (anything else is checked later)."""
    if isinstance(credit, dict) and set(credit) == {"name", "role"}:
        return {"name": credit["name"], "roles": [credit["role"]]}
    return credit


def _is_seconds(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _draft_rate(value: Any) -> Fraction:
    if not _is_seconds(value) or value <= 0:
        raise _Bad("fps", f"expected a positive frame rate, got {value!r}")
    exact = Fraction(value).limit_denominator(1001)
    if abs(float(exact) - value) <= 1e-9 * value:
        return exact
    return Fraction(repr(float(value)))


def _draft_time(row: dict[str, Any], where: str, key: str, fps: Fraction, default: int | None) -> Fraction:
    if key not in row:
        if default is None:
            raise _Bad(f"{where}.{key}", "missing")
        return Fraction(default)
    value = row[key]
    if not _is_seconds(value) or value < 0:
        raise _Bad(f"{where}.{key}", f"expected seconds (a number >= 0), got {value!r}")
    frames = Fraction(value) * fps
    nearest = round(frames)
    if abs(frames - nearest) < Fraction(1, 1_000_000):
        return nearest / fps
    return Fraction(repr(float(value)))


UPGRADES: dict[str, Upgrade] = {
    f"{SCHEMA_PREFIX}0": _upgrade_draft,
}
"""Older schema -> function returning the document in the next schema's shape."""
