"""Clips and their credits: what a timeline item points at, and who made it.

A clip's id is the SHA-256 of its media file, so the same file is the same clip on every
machine. Credits are the people behind a clip with their roles (and optional weights for
the share split); a clip that is itself a remix also carries the studio-credits block of
its file, which passes its earnings down to the remix's own contributors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from studio.core.errors import InvalidInput

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CLIP_KINDS = ("video", "audio", "image", "title")


def check_sha256(value: str) -> str:
    if not isinstance(value, str) or not SHA256_RE.match(value):
        raise InvalidInput(f"not a media id (64 lowercase hex digits): {value!r}")
    return value


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
