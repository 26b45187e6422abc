"""Tallying a timeline for its credits: who is seen and heard for how long, merged into people, and the
sources used, carried transitively through remixes.

A clip that is itself a remix (it carries a studio-credits block) passes its seconds through that block's
contributors by their `share_bp`, and its block's sources come along with `via` extended, so lineage needs
no server. The rules are those of studio.core.credits (its docstring).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from studio.core.clips import Clip
from studio.core.credit_block import TOTAL_BP, seconds_value, validate_block
from studio.core.errors import InvalidInput, NotFound
from studio.core.timeline import AUDIO, VIDEO, Item, Timeline

PICTURE, SOUND, EDITING = "picture", "sound", "editing"
POOLS = (PICTURE, SOUND, EDITING)
EDITOR_ROLE = "editor"

_NAME_ID_PREFIX = "n-"
_NAME_ID_RE = re.compile(r"^n-[0-9a-f]{16}$")


def normalise_name(name: str) -> str:
    """The form two spellings of one person's name share: NFC, single spaces, case-folded."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def name_id(name: str) -> str:
    """A stable contributor id for a person known only by name (the same on every machine)."""
    digest = hashlib.sha256(normalise_name(name).encode("utf-8")).hexdigest()
    return _NAME_ID_PREFIX + digest[:16]


@dataclass(slots=True)
class Person:
    """A contributor being merged from mentions across clips, blocks and editors."""

    contributor_id: str
    spellings: Counter[str] = field(default_factory=Counter)
    roles: set[str] = field(default_factory=set)
    earned: dict[str, Fraction] = field(default_factory=lambda: dict.fromkeys(POOLS, Fraction(0)))

    @property
    def name(self) -> str:
        return min(self.spellings.items(), key=lambda kv: (-kv[1], kv[0]))[0]

    @property
    def sort_key(self) -> tuple[str, str, str]:
        return (normalise_name(self.name), self.name, self.contributor_id)


@dataclass(frozen=True, slots=True)
class Mention:
    contributor_id: str
    name: str
    roles: tuple[str, ...]
    pool: str
    amount: Fraction


@dataclass(slots=True)
class Tally:
    people: list[Person]
    sources: list[dict[str, Any]]
    editors: list[str]
    duration: Fraction


def tally_timeline(timeline: Timeline, clips: Mapping[str, Clip], editors: Sequence[str]) -> Tally:
    named_editors = _editor_names([*editors, *timeline.editors])
    mentions: list[Mention] = []
    used: dict[str, list[tuple[Fraction, Fraction]]] = {}
    for item in timeline.iter_items():
        track = timeline.tracks.get(item.track)
        if track is None or track.muted or item.kind != "clip":
            continue
        clip = _clip_of(item, clips)
        pools = _pools_earned(item, track.kind, clip)
        if clip is None or not pools:
            continue
        used.setdefault(clip.id, []).append((item.start, item.end))
        for pool in pools:
            mentions.extend(_clip_mentions(clip, pool, item.duration))
    for name in named_editors:
        mentions.append(Mention("", name, (EDITOR_ROLE,), EDITING, Fraction(1)))
    sources = _sources(used, clips)
    return Tally(_merge(mentions), sources, named_editors, timeline.duration)


def _editor_names(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput(f"credits: editor name {name!r} is empty")
        key = normalise_name(name)
        if key not in seen:
            seen.add(key)
            out.append(name)
    return out


def _clip_of(item: Item, clips: Mapping[str, Clip]) -> Clip | None:
    if item.clip is None:
        return None
    clip = clips.get(item.clip)
    if clip is None:
        raise NotFound(f"credits: item {item.id} uses clip {item.clip}, which is not in the library")
    return clip


def _pools_earned(item: Item, track_kind: str, clip: Clip | None) -> list[str]:
    """What an item on an unmuted track adds to the piece, as studio.media.render_plan plays it."""
    if clip is None:
        return []
    if track_kind == VIDEO and (clip.has_video or clip.kind == "image"):
        return [PICTURE]
    if track_kind == AUDIO and not item.muted and clip.has_audio:
        return [SOUND]
    return []


def _clip_mentions(clip: Clip, pool: str, seconds: Fraction) -> list[Mention]:
    if clip.embedded_credits is not None:
        try:
            block = validate_block(clip.embedded_credits)
        except InvalidInput as exc:
            raise InvalidInput(f"clip {clip.title or clip.id}: its embedded {exc}") from None
        return [
            Mention(
                "" if _is_name_id(c["id"], c["name"]) else c["id"],
                c["name"],
                tuple(c["roles"]),
                pool,
                seconds * Fraction(c["share_bp"], TOTAL_BP),
            )
            for c in block["contributors"]
        ]
    total = sum((c.weight for c in clip.credits), Fraction(0))
    return [
        Mention(
            c.contributor_id,
            c.name,
            tuple(c.roles),
            pool,
            seconds * c.weight / total if total else Fraction(0),
        )
        for c in clip.credits
    ]


def _is_name_id(contributor_id: str, name: str) -> bool:
    return bool(_NAME_ID_RE.match(contributor_id)) and contributor_id == name_id(name)


def _merge(mentions: list[Mention]) -> list[Person]:
    """Group mentions into people: by contributor id, else by normalised name (see module docstring)."""
    by_id: dict[str, Person] = {}
    for m in mentions:
        if m.contributor_id:
            by_id.setdefault(m.contributor_id, Person(m.contributor_id))
            _absorb(by_id[m.contributor_id], m)
    names_of_ids: dict[str, set[str]] = {}
    for m in mentions:
        if m.contributor_id:
            names_of_ids.setdefault(normalise_name(m.name), set()).add(m.contributor_id)
    by_name: dict[str, Person] = {}
    for m in mentions:
        if m.contributor_id:
            continue
        key = normalise_name(m.name)
        owners = names_of_ids.get(key, set())
        if len(owners) == 1:
            _absorb(by_id[next(iter(owners))], m)
        else:
            by_name.setdefault(key, Person(name_id(m.name)))
            _absorb(by_name[key], m)
    people = [*by_id.values(), *by_name.values()]
    taken = set(by_id)
    for person in by_name.values():
        if person.contributor_id in taken:
            raise InvalidInput(f"credits: contributor id {person.contributor_id} is used for two people")
    return people


def _absorb(person: Person, m: Mention) -> None:
    if not m.name.strip():
        raise InvalidInput("credits: a contributor has an empty name")
    person.spellings[m.name] += 1
    person.roles.update(r for r in m.roles if r)
    person.earned[m.pool] += m.amount


def _sources(
    used: Mapping[str, list[tuple[Fraction, Fraction]]], clips: Mapping[str, Clip]
) -> list[dict[str, Any]]:
    direct = sorted(
        ((clips[cid], _union_length(spans)) for cid, spans in used.items()),
        key=lambda cu: (-cu[1], cu[0].title.casefold(), cu[0].id),
    )
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()

    def add(entry: dict[str, Any]) -> None:
        key = (entry["clip"], tuple(entry["via"]))
        if key not in seen:
            seen.add(key)
            out.append(entry)

    for clip, seconds in direct:
        add(
            {
                "clip": clip.id,
                "title": clip.title,
                "kind": clip.kind,
                "owner": clip.owner,
                "licence": clip.licence,
                "used_s": seconds_value(seconds),
                "via": [],
            }
        )
        if clip.embedded_credits is not None:
            for nested in clip.embedded_credits["sources"]:
                add({**nested, "via": [clip.id, *nested["via"]]})
    return out


def _union_length(spans: list[tuple[Fraction, Fraction]]) -> Fraction:
    total = Fraction(0)
    end = Fraction(-1)
    for start, stop in sorted(spans):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total
