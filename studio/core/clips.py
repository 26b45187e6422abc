"""Clips and their credits: what a timeline item points at, and who made it.

A clip's id is the SHA-256 of its media file, so the same file is the same clip on every
machine. Credits are the people behind a clip with their roles (and optional weights for
the share split); a clip that is itself a remix also carries the studio-credits block of
its file, which passes its earnings down to the remix's own contributors.

This module owns both entities' JSON: `Credit.to_dict`/`from_dict`, the domain dict of a clip
(`Clip.to_dict`/`from_dict`: the outbox payload, `--json`, and the values of a store row) and its
project-file form (`to_file_dict`/`from_file_dict`). The store row (core.library), the wire record
(sync.records) and the .otio metadata (services.otio) are built from these, never field by field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from studio.core.errors import InvalidInput
from studio.core.timecode import from_json, to_json

SHA256_RE = re.compile(r"\A[0-9a-f]{64}\Z")  # \Z: "$" would let a trailing newline through
CLIP_KINDS = ("video", "audio", "image", "title")


def check_sha256(value: str) -> str:
    if not isinstance(value, str) or not SHA256_RE.fullmatch(value):
        raise InvalidInput(f"not a media id (64 lowercase hex digits): {value!r}")
    return value


def json_kind(value: Any) -> str:
    """What a JSON value is, as an error message names it ("an object", "text", "a number"...)."""
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


class ClipFieldError(InvalidInput):
    """A field of a clip document that does not check out: `field` names it (`kind`, `credits[1]`, or
    "" for the document itself) and `problem` says what is wrong, so each reader can place it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"clip {field}: {problem}" if field else f"clip: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Credit:
    """One person credited on a clip, in one or more roles; weight splits the clip's earnings."""

    name: str
    roles: tuple[str, ...] = ("creator",)
    weight: Fraction = Fraction(1)
    contributor_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "roles": list(self.roles)}
        if self.weight != 1:
            out["weight"] = str(self.weight)
        if self.contributor_id:
            out["id"] = self.contributor_id
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Credit:
        if not isinstance(data, dict):
            raise InvalidInput(f"credit: expected an object, got {data!r}")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput(f"credit: missing name in {data!r}")
        roles = data.get("roles")
        if roles is None:
            role = data.get("role", "creator")
            roles = [role]
        if not isinstance(roles, list) or not roles or not all(isinstance(r, str) and r for r in roles):
            raise InvalidInput(f"credit for {name}: roles must be a non-empty list of names")
        try:
            weight = Fraction(str(data.get("weight", 1)))
        except (ValueError, ZeroDivisionError):
            raise InvalidInput(f"credit for {name}: weight {data.get('weight')!r} is not a number") from None
        if weight < 0:
            raise InvalidInput(f"credit for {name}: weight must not be negative")
        cid = data.get("id", "")
        return cls(name=name.strip(), roles=tuple(roles), weight=weight, contributor_id=str(cid or ""))


@dataclass(frozen=True, slots=True)
class Clip:
    """A contributed piece of media as the studio knows it (local store, project file or .otio)."""

    id: str
    title: str
    kind: str
    duration: Fraction | None
    credits: tuple[Credit, ...] = ()
    licence: str = ""
    owner: str = ""
    has_video: bool = False
    has_audio: bool = False
    path: Path | None = None
    lineage: tuple[str, ...] = ()
    embedded_credits: dict[str, Any] | None = None
    tags: tuple[str, ...] = ()
    probe: dict[str, Any] = field(default_factory=dict)

    @property
    def is_remix(self) -> bool:
        return self.embedded_credits is not None

    def to_dict(self) -> dict[str, Any]:
        """The domain dict: every field but the path, the duration as "num/den" (null when unknown)."""
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "duration": duration_text(self.duration),
            "has_video": self.has_video,
            "has_audio": self.has_audio,
            "credits": [c.to_dict() for c in self.credits],
            "licence": self.licence,
            "owner": self.owner,
            "lineage": list(self.lineage),
            "embedded_credits": self.embedded_credits,
            "tags": list(self.tags),
            "probe": self.probe,
        }

    @classmethod
    def from_dict(cls, data: Any, *, clip_id: str | None = None) -> Clip:
        """A clip from its domain dict (its id from `clip_id` when the dict is keyed by it); a field
        left out takes its default, an unknown or wrong one raises ClipFieldError naming it."""
        if not isinstance(data, dict):
            raise ClipFieldError("", f"expected an object, got {json_kind(data)}")
        allowed = DOMAIN_FIELDS if clip_id is None else DOMAIN_FIELDS[1:]
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise ClipFieldError("", f"unknown field(s) {', '.join(unknown)}")
        if clip_id is None:
            if "id" not in data:
                raise ClipFieldError("id", "missing")
            clip_id = data["id"]
        try:
            check_sha256(clip_id)
        except InvalidInput as exc:
            raise ClipFieldError("id", str(exc)) from None
        if "kind" not in data:
            raise ClipFieldError("kind", "missing")
        values = {name: decode_clip_field(name, value) for name, value in data.items() if name != "id"}
        return cls(id=str(clip_id), **values)

    def to_file_dict(self, path: str | None) -> dict[str, Any]:
        """The clip as a `studio.project/1` file holds it under its id: the domain fields in the file's
        order with the media `path` as the file writes it, times in their compact form (8, "1001/30"),
        and the probe only when there is one."""
        domain = self.to_dict()
        domain["duration"] = None if self.duration is None else to_json(self.duration)
        domain["path"] = path
        out = {name: domain[name] for name in FILE_FIELDS}
        if self.probe:
            out["probe"] = self.probe
        return out

    @classmethod
    def from_file_dict(cls, clip_id: str, data: Any) -> Clip:
        """The clip a project file holds under `clip_id`; its path as written (the caller resolves it)."""
        if not isinstance(data, dict):
            raise ClipFieldError("", f"expected an object, got {json_kind(data)}")
        unknown = sorted(set(data) - {*FILE_FIELDS, "probe"})
        if unknown:
            raise ClipFieldError("", f"unknown field(s) {', '.join(unknown)}")
        path_text = data.get("path")
        if path_text is not None and (not isinstance(path_text, str) or not path_text):
            raise ClipFieldError("path", f"expected a path or null, got {path_text!r}")
        clip = cls.from_dict({k: v for k, v in data.items() if k != "path"}, clip_id=clip_id)
        if clip.duration is not None and clip.duration <= 0:
            raise ClipFieldError("duration", f"must be positive, got {data['duration']!r}")
        return clip if path_text is None else replace(clip, path=Path(path_text))


DOMAIN_FIELDS = (
    *("id", "title", "kind", "duration", "has_video", "has_audio", "credits", "licence", "owner"),
    *("lineage", "embedded_credits", "tags", "probe"),
)
"""The domain dict's fields, in its order."""

FILE_FIELDS = (
    *("title", "kind", "duration", "credits", "licence", "owner", "lineage", "path", "embedded_credits"),
    *("has_video", "has_audio", "tags"),
)
"""A project file's clip fields, in the file's order (then "probe" when the clip has one)."""


def duration_text(value: Fraction | None) -> str | None:
    """A duration as the domain dict, the store and the wire write it: "num/den" (also when whole)."""
    return None if value is None else f"{value.numerator}/{value.denominator}"


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {json_kind(value)}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true/false, got {json_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value not in CLIP_KINDS:
        raise ValueError(f"expected one of {', '.join(CLIP_KINDS)}, got {value!r}")
    return str(value)


def _duration(value: Any) -> Fraction | None:
    return None if value is None else from_json(value)


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"expected an object, got {json_kind(value)}")
    return value


def _object_or_null(value: Any) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"expected an object or null, got {json_kind(value)}")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {json_kind(value)}")
    return value


_DECODERS: dict[str, Any] = {
    "title": _text,
    "kind": _kind,
    "duration": _duration,
    "has_video": _flag,
    "has_audio": _flag,
    "licence": _text,
    "owner": _text,
    "embedded_credits": _object_or_null,
    "probe": _object,
}


def decode_clip_field(name: str, value: Any) -> Any:
    """One field of a clip's domain dict as the Clip holds it; ClipFieldError names the field (and the
    entry of a list) that is wrong. Readers that skip a bad field rather than refuse the clip use it too."""
    if name == "credits":
        credits = []
        for index, entry in enumerate(_listed(name, value)):
            try:
                credits.append(Credit.from_dict(entry))
            except InvalidInput as exc:
                raise ClipFieldError(f"credits[{index}]", str(exc)) from None
        return tuple(credits)
    if name in ("lineage", "tags"):
        names = _listed(name, value)
        for index, entry in enumerate(names):
            if not isinstance(entry, str):
                raise ClipFieldError(f"{name}[{index}]", f"expected text, got {json_kind(entry)}")
            if name == "lineage" and not SHA256_RE.fullmatch(entry):
                raise ClipFieldError(f"{name}[{index}]", f"not a clip id: {entry!r}")
        return tuple(names)
    decode = _DECODERS.get(name)
    if decode is None:
        raise ClipFieldError(name, "not a field of a clip")
    try:
        return decode(value)
    except ValueError as exc:
        raise ClipFieldError(name, str(exc)) from None


def _listed(name: str, value: Any) -> list[Any]:
    try:
        return _list(value)
    except ValueError as exc:
        raise ClipFieldError(name, str(exc)) from None
