"""Credits and shares of an exported piece: who made it, in which roles, and what share each person earns.

The result is the `studio-credits/1` block that every export embeds in its file and sidecar. Because a
clip that is itself a remix carries its own block, credits pass through files from remix to remix with no
server involved: the remix's contributors earn their `share_bp` of whatever that clip earns here.

Counting rules of `weighted-time/1` (the default proposal, reviewed by the user before export):

* Pools: picture, sound and editing (4500/4500/1000 basis points unless configured). A pool that nobody
  can claim is shared out over the claimed pools in proportion to their configured sizes (equally if those
  are all zero), so a silent piece splits picture and editing, and a piece with no editor named splits
  picture and sound. Editors are only those named (the call's `editors` plus the timeline's own editors);
  none is ever invented.
* Picture: every clip item on a video track that is not muted, whose clip has a picture, earns its own
  seconds on the timeline (muting an item silences it; its picture stays). Overlapping video tracks each
  count: a higher item may be a logo or a picture-in-picture over a lower one, and the model does not
  know how much of the frame it covers, so no item is assumed hidden. Title items are text typed by the
  editor: they earn no picture seconds (the editing pool pays for them).
* Sound: every clip item on an audio track that is heard earns its own seconds: the item and its track
  are not muted and its clip has sound (a video clip placed on an audio track gives its sound). Items
  on video tracks are picture only (ARCHITECTURE section 7), exactly as the render plays them.
* A clip's earnings in a pool are split among its credits by weight (equal by default). Credits of zero
  weight are named in the credits but earn nothing; a clip whose credits all weigh zero, or that has no
  credits, claims nothing and its seconds fall to the other clips of that pool.
* Lineage: a clip with an embedded studio-credits block passes its earnings through that block's
  contributors by their `share_bp`; the clip's own credit list is then not used for shares, since the
  block already names everyone behind the remix, transitively. Its `sources` are carried into ours with
  `via` extended: `via` lists the clips through which a source reached this work, nearest to this work
  first (a source used directly has `via` []), and `used_s` of a carried source is what the remix that
  used it recorded.
* People are merged by contributor id when there is one, else by normalised name (NFC, whitespace
  collapsed, case-folded); a name-only mention joins the single contributor with an id and the same
  name. Names are kept exactly as written (the most frequent spelling wins, then the smallest).
* Exact fractions are rounded once, by largest remainder, to integer basis points summing to exactly
  10000; ties go to the person first by name then id.

`equal-per-contributor/1` gives every credited person the same share; `manual/1` takes the shares from
the user (a name or contributor id -> basis points mapping, validated).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from studio.core.clips import Clip
from studio.core.errors import InvalidInput, NotFound
from studio.core.licences import NO_LICENCE, licence_url
from studio.core.timeline import AUDIO, VIDEO, Item, Timeline

SCHEMA = "studio-credits/1"
WEIGHTED_TIME = "weighted-time/1"
EQUAL_PER_CONTRIBUTOR = "equal-per-contributor/1"
MANUAL = "manual/1"
METHODS = (WEIGHTED_TIME, EQUAL_PER_CONTRIBUTOR, MANUAL)
PICTURE, SOUND, EDITING = "picture", "sound", "editing"
POOLS = (PICTURE, SOUND, EDITING)
DEFAULT_POOLS: Mapping[str, int] = {PICTURE: 4500, SOUND: 4500, EDITING: 1000}
TOTAL_BP = 10000
EDITOR_ROLE = "editor"

_NAME_ID_PREFIX = "n-"
_NAME_ID_RE = re.compile(r"^n-[0-9a-f]{16}$")
_EXPORTED_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_LICENCE_RE = re.compile(r"^[A-Za-z0-9(][A-Za-z0-9.+\-() ]*$")
_NOBODY = (
    "credits: nobody to credit (no credited clip is seen or heard and no editor is named); "
    "credit the clips or name an editor"
)
_BLOCK_KEYS = {"schema", "work", "contributors", "sources", "share_method", "share_params"}
_OPTIONAL_BLOCK_KEYS = {"export_sha256", "attribution"}
_WORK_KEYS = {"id", "title", "licence", "licence_url", "exported", "duration_s"}
_CONTRIBUTOR_KEYS = {"id", "name", "roles", "share_bp"}
_SOURCE_KEYS = {"clip", "title", "kind", "owner", "licence", "used_s", "via"}


def normalise_name(name: str) -> str:
    """The form two spellings of one person's name share: NFC, single spaces, case-folded."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def name_id(name: str) -> str:
    """A stable contributor id for a person known only by name (the same on every machine)."""
    digest = hashlib.sha256(normalise_name(name).encode("utf-8")).hexdigest()
    return _NAME_ID_PREFIX + digest[:16]


@dataclass(frozen=True, slots=True)
class ShareRow:
    """One person in the share proposal the export dialog shows and lets the user edit.

    picture_s / sound_s are the seconds credited to the person (a clip's seconds split by its credits'
    weights and, for a remix, by its block's shares); editing_s is the work's length split among editors.
    """

    contributor_id: str
    name: str
    roles: tuple[str, ...]
    share_bp: int
    picture_s: Fraction
    sound_s: Fraction
    editing_s: Fraction

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.contributor_id,
            "name": self.name,
            "roles": list(self.roles),
            "share_bp": self.share_bp,
            "picture_s": _seconds(self.picture_s),
            "sound_s": _seconds(self.sound_s),
            "editing_s": _seconds(self.editing_s),
        }


@dataclass(slots=True)
class _Person:
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
class _Mention:
    contributor_id: str
    name: str
    roles: tuple[str, ...]
    pool: str
    amount: Fraction


@dataclass(slots=True)
class _Tally:
    people: list[_Person]
    sources: list[dict[str, Any]]
    editors: list[str]
    duration: Fraction


def compute_credits(
    timeline: Timeline,
    clips: Mapping[str, Clip],
    *,
    title: str,
    licence: str,
    licence_url: str = "",
    work_id: str,
    exported: datetime,
    method: str = WEIGHTED_TIME,
    editors: Sequence[str] = (),
    pools: Mapping[str, int] | None = None,
    manual: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The studio-credits/1 block of `timeline` rendered as a work (see the module docstring for the rules).

    `clips` maps every clip id the timeline uses to its Clip. Raises NotFound for a clip missing from
    `clips`, InvalidInput for bad arguments, a malformed embedded block, or a piece with nobody to credit.
    """
    if not isinstance(work_id, str) or not work_id.strip():
        raise InvalidInput("credits: the work needs an id")
    if not isinstance(title, str):
        raise InvalidInput("credits: the work title must be text")
    _check_licence(licence, "the work")
    if not isinstance(licence_url, str):
        raise InvalidInput("credits: the licence URL must be text")
    tally = _tally(timeline, clips, editors)
    people, shares, params = _shares(tally, method, pools, manual)
    contributors = [
        {"id": p.contributor_id, "name": p.name, "roles": sorted(p.roles), "share_bp": shares[i]}
        for i, p in enumerate(people)
    ]
    block: dict[str, Any] = {
        "schema": SCHEMA,
        "work": {
            "id": work_id,
            "title": title,
            "licence": licence,
            "licence_url": licence_url,
            "exported": _utc_stamp(exported),
            "duration_s": _seconds(tally.duration),
        },
        "contributors": contributors,
        "sources": tally.sources,
        "share_method": method,
        "share_params": params,
        "attribution": attribution_lines(clips, tally.sources),
    }
    validate_block(block)
    return block


def attribution_line(title: str, authors: Sequence[str], source: str, licence: str) -> str:
    """One TASL line: "Title" by Author, Author — source — licence (its deed URL when CC)."""
    by = ", ".join(dict.fromkeys(a.strip() for a in authors if a and a.strip())) or "unknown author"
    stated = licence.strip() if licence and licence.strip() else NO_LICENCE
    url = licence_url(stated)
    return f"\"{title or 'Untitled'}\" by {by} — {source} — {stated}" + (f" ({url})" if url else "")


def clip_attribution(clip: Clip) -> list[str]:
    """The clip's own TASL line, then the lines a remix clip's embedded block carries."""
    if clip.embedded_credits is not None:
        authors = [c["name"] for c in clip.embedded_credits["contributors"]]
    else:
        authors = [c.name for c in clip.credits] or ([clip.owner] if clip.owner else [])
    lines = [attribution_line(clip.title, authors, f"clip {clip.id}", clip.licence)]
    if clip.embedded_credits is not None:
        lines.extend(clip.embedded_credits.get("attribution", []))
    return lines


def attribution_lines(clips: Mapping[str, Clip], sources: Sequence[Mapping[str, Any]]) -> list[str]:
    """TASL lines for every source clip: those used here, then the ones each remix used brought with it.

    A source that is itself a remix carries its own attribution in its block, so the lines of remixes
    of remixes arrive without any server.
    """
    out: list[str] = []
    for source in sources:
        if not source["via"]:
            out.extend(clip_attribution(clips[source["clip"]]))
    return list(dict.fromkeys(out))


def propose_shares(
    timeline: Timeline,
    clips: Mapping[str, Clip],
    *,
    method: str = WEIGHTED_TIME,
    editors: Sequence[str] = (),
    pools: Mapping[str, int] | None = None,
    manual: Mapping[str, int] | None = None,
) -> list[ShareRow]:
    """The per-person proposal for review, in the block's order; edited values go back as manual/1."""
    tally = _tally(timeline, clips, editors)
    people, shares, _ = _shares(tally, method, pools, manual)
    totals = {pool: sum((p.earned[pool] for p in people), Fraction(0)) for pool in POOLS}
    rows = []
    for i, p in enumerate(people):
        editing_s = tally.duration * p.earned[EDITING] / totals[EDITING] if totals[EDITING] else Fraction(0)
        rows.append(
            ShareRow(
                contributor_id=p.contributor_id,
                name=p.name,
                roles=tuple(sorted(p.roles)),
                share_bp=shares[i],
                picture_s=p.earned[PICTURE],
                sound_s=p.earned[SOUND],
                editing_s=editing_s,
            )
        )
    return rows


def validate_block(block: Any) -> dict[str, Any]:
    """Check a studio-credits/1 block (ours or read from a file); raise InvalidInput naming the fault."""
    if not isinstance(block, dict):
        raise InvalidInput("credits block: expected an object")
    if block.get("schema") != SCHEMA:
        raise InvalidInput(f"credits block: schema is {block.get('schema')!r}, expected {SCHEMA!r}")
    _check_keys(block, _BLOCK_KEYS, "credits block", optional=_OPTIONAL_BLOCK_KEYS)
    sha = block.get("export_sha256")
    if sha is not None and (not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha)):
        raise InvalidInput("credits block: export_sha256 must be 64 lowercase hex digits")
    _validate_work(block["work"])
    _validate_contributors(block["contributors"])
    sources = block["sources"]
    if not isinstance(sources, list):
        raise InvalidInput("credits block: sources must be a list")
    for i, source in enumerate(sources):
        _validate_source(source, i)
    if block["share_method"] not in METHODS:
        raise InvalidInput(
            f"credits block: unknown share_method {block['share_method']!r} (known: {', '.join(METHODS)})"
        )
    if not isinstance(block["share_params"], dict):
        raise InvalidInput("credits block: share_params must be an object")
    attribution = block.get("attribution", [])
    if not isinstance(attribution, list) or not all(isinstance(a, str) and a for a in attribution):
        raise InvalidInput("credits block: attribution must be a list of text lines")
    return block


# --- tallying the timeline ----------------------------------------------------------------------


def _tally(timeline: Timeline, clips: Mapping[str, Clip], editors: Sequence[str]) -> _Tally:
    named_editors = _editor_names([*editors, *timeline.editors])
    mentions: list[_Mention] = []
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
        mentions.append(_Mention("", name, (EDITOR_ROLE,), EDITING, Fraction(1)))
    sources = _sources(used, clips)
    return _Tally(_merge(mentions), sources, named_editors, timeline.duration)


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


def _clip_mentions(clip: Clip, pool: str, seconds: Fraction) -> list[_Mention]:
    if clip.embedded_credits is not None:
        try:
            block = validate_block(clip.embedded_credits)
        except InvalidInput as exc:
            raise InvalidInput(f"clip {clip.title or clip.id}: its embedded {exc}") from None
        return [
            _Mention(
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
        _Mention(
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


def _merge(mentions: list[_Mention]) -> list[_Person]:
    """Group mentions into people: by contributor id, else by normalised name (see module docstring)."""
    by_id: dict[str, _Person] = {}
    for m in mentions:
        if m.contributor_id:
            by_id.setdefault(m.contributor_id, _Person(m.contributor_id))
            _absorb(by_id[m.contributor_id], m)
    names_of_ids: dict[str, set[str]] = {}
    for m in mentions:
        if m.contributor_id:
            names_of_ids.setdefault(normalise_name(m.name), set()).add(m.contributor_id)
    by_name: dict[str, _Person] = {}
    for m in mentions:
        if m.contributor_id:
            continue
        key = normalise_name(m.name)
        owners = names_of_ids.get(key, set())
        if len(owners) == 1:
            _absorb(by_id[next(iter(owners))], m)
        else:
            by_name.setdefault(key, _Person(name_id(m.name)))
            _absorb(by_name[key], m)
    people = [*by_id.values(), *by_name.values()]
    taken = set(by_id)
    for person in by_name.values():
        if person.contributor_id in taken:
            raise InvalidInput(f"credits: contributor id {person.contributor_id} is used for two people")
    return people


def _absorb(person: _Person, m: _Mention) -> None:
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
                "used_s": _seconds(seconds),
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


# --- shares ---------------------------------------------------------------------------------------


def _shares(
    tally: _Tally, method: str, pools: Mapping[str, int] | None, manual: Mapping[str, int] | None
) -> tuple[list[_Person], list[int], dict[str, Any]]:
    """People in block order, their integer shares, and the share_params recorded in the block."""
    if method not in METHODS:
        raise InvalidInput(f"credits: unknown share method {method!r} (known: {', '.join(METHODS)})")
    if not tally.people:
        raise InvalidInput(_NOBODY)
    params: dict[str, Any] = {"editors": list(tally.editors)}
    if method == WEIGHTED_TIME:
        exact, params["pools"], params["claimed"] = _weighted_time(tally.people, pools)
    elif method == EQUAL_PER_CONTRIBUTOR:
        exact = {p.contributor_id: Fraction(TOTAL_BP, len(tally.people)) for p in tally.people}
    else:
        given = _manual(tally.people, manual)
        exact = {cid: Fraction(bp) for cid, bp in given.items()}
        params["manual"] = dict(sorted(given.items()))
    rounded = _largest_remainder(tally.people, exact)
    order = sorted(range(len(tally.people)), key=lambda i: (-rounded[i], tally.people[i].sort_key))
    return [tally.people[i] for i in order], [rounded[i] for i in order], params


def _check_pools(pools: Mapping[str, int] | None) -> dict[str, int]:
    if pools is None:
        return dict(DEFAULT_POOLS)
    if set(pools) != set(POOLS):
        raise InvalidInput(
            f"credits: pools must name exactly {', '.join(POOLS)}; got {', '.join(sorted(pools))}"
        )
    for name, bp in pools.items():
        if isinstance(bp, bool) or not isinstance(bp, int) or bp < 0:
            raise InvalidInput(f"credits: pool {name} must be a non-negative whole number of basis points")
    if sum(pools.values()) != TOTAL_BP:
        raise InvalidInput(f"credits: pools must sum to {TOTAL_BP} basis points, not {sum(pools.values())}")
    return {name: pools[name] for name in POOLS}


def _weighted_time(
    people: list[_Person], pools: Mapping[str, int] | None
) -> tuple[dict[str, Fraction], dict[str, int], list[str]]:
    configured = _check_pools(pools)
    totals = {pool: sum((p.earned[pool] for p in people), Fraction(0)) for pool in POOLS}
    claimed = [pool for pool in POOLS if totals[pool] > 0]
    if not claimed:
        raise InvalidInput(_NOBODY)
    claimed_bp = sum(configured[pool] for pool in claimed)
    effective: dict[str, Fraction] = {}
    for pool in claimed:
        if claimed_bp:
            effective[pool] = Fraction(configured[pool] * TOTAL_BP, claimed_bp)
        else:
            effective[pool] = Fraction(TOTAL_BP, len(claimed))
    exact = {
        p.contributor_id: sum(
            (effective[pool] * p.earned[pool] / totals[pool] for pool in claimed), Fraction(0)
        )
        for p in people
    }
    return exact, configured, claimed


def _manual(people: list[_Person], manual: Mapping[str, int] | None) -> dict[str, int]:
    if not manual:
        raise InvalidInput("credits: manual/1 needs the shares (name or contributor id -> basis points)")
    by_id = {p.contributor_id: p for p in people}
    by_name: dict[str, list[_Person]] = {}
    for p in people:
        for spelling in {normalise_name(s) for s in p.spellings}:
            by_name.setdefault(spelling, []).append(p)
    given: dict[str, int] = {}
    for key, bp in manual.items():
        if isinstance(bp, bool) or not isinstance(bp, int) or bp < 0:
            raise InvalidInput(
                f"credits: manual share for {key!r} must be a non-negative whole number, got {bp!r}"
            )
        if key in by_id:
            person = by_id[key]
        else:
            matches = by_name.get(normalise_name(key), [])
            if not matches:
                known = ", ".join(p.name for p in people)
                raise InvalidInput(
                    f"credits: manual share names {key!r}, who is not credited here (known: {known})"
                )
            if len(matches) > 1:
                ids = ", ".join(p.contributor_id for p in matches)
                raise InvalidInput(
                    f"credits: manual share name {key!r} is ambiguous; use one of the ids {ids}"
                )
            person = matches[0]
        if person.contributor_id in given:
            raise InvalidInput(f"credits: manual shares name {person.name!r} twice")
        given[person.contributor_id] = bp
    total = sum(given.values())
    if total != TOTAL_BP:
        raise InvalidInput(f"credits: manual shares sum to {total} basis points; they must sum to {TOTAL_BP}")
    return {p.contributor_id: given.get(p.contributor_id, 0) for p in people}


def _largest_remainder(people: list[_Person], exact: Mapping[str, Fraction]) -> list[int]:
    """Integer basis points summing to TOTAL_BP: floors, then one more to the largest remainders."""
    floors = [math.floor(exact[p.contributor_id]) for p in people]
    left = TOTAL_BP - sum(floors)
    order = sorted(
        range(len(people)), key=lambda i: (-(exact[people[i].contributor_id] - floors[i]), people[i].sort_key)
    )
    for i in order[:left]:
        floors[i] += 1
    return floors


# --- block checks ---------------------------------------------------------------------------------


def _check_keys(
    doc: Mapping[str, Any], required: set[str], label: str, optional: set[str] | None = None
) -> None:
    missing = required - set(doc)
    if missing:
        raise InvalidInput(f"{label}: missing {', '.join(sorted(missing))}")
    unknown = set(doc) - required - (optional or set())
    if unknown:
        raise InvalidInput(f"{label}: unknown field(s) {', '.join(sorted(unknown))}")


def _check_licence(licence: Any, what: str) -> None:
    if not isinstance(licence, str) or not _LICENCE_RE.match(licence):
        raise InvalidInput(
            f"credits: {what} needs a licence as an SPDX id such as CC-BY-4.0, got {licence!r}"
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _validate_work(work: Any) -> None:
    if not isinstance(work, dict):
        raise InvalidInput("credits block: work must be an object")
    _check_keys(work, _WORK_KEYS, "credits block work")
    if not isinstance(work["id"], str) or not work["id"]:
        raise InvalidInput("credits block work: id must be non-empty text")
    for key in ("title", "licence", "licence_url"):
        if not isinstance(work[key], str):
            raise InvalidInput(f"credits block work: {key} must be text")
    if not isinstance(work["exported"], str) or not _EXPORTED_RE.match(work["exported"]):
        raise InvalidInput(
            f"credits block work: exported must be UTC ISO-8601 ending in Z, got {work['exported']!r}"
        )
    if not _is_number(work["duration_s"]) or work["duration_s"] < 0:
        raise InvalidInput("credits block work: duration_s must be a non-negative number")


def _validate_contributors(contributors: Any) -> None:
    if not isinstance(contributors, list) or not contributors:
        raise InvalidInput("credits block: contributors must be a non-empty list")
    ids: set[str] = set()
    total = 0
    for i, c in enumerate(contributors):
        label = f"credits block contributor {i + 1}"
        if not isinstance(c, dict):
            raise InvalidInput(f"{label}: expected an object")
        _check_keys(c, _CONTRIBUTOR_KEYS, label)
        if not isinstance(c["id"], str) or not c["id"]:
            raise InvalidInput(f"{label}: id must be non-empty text")
        if c["id"] in ids:
            raise InvalidInput(f"{label}: id {c['id']} appears twice")
        ids.add(c["id"])
        if not isinstance(c["name"], str) or not c["name"].strip():
            raise InvalidInput(f"{label}: name must be non-empty text")
        if not isinstance(c["roles"], list) or not all(isinstance(r, str) and r for r in c["roles"]):
            raise InvalidInput(f"{label} ({c['name']}): roles must be a list of names")
        bp = c["share_bp"]
        if isinstance(bp, bool) or not isinstance(bp, int) or not 0 <= bp <= TOTAL_BP:
            raise InvalidInput(f"{label} ({c['name']}): share_bp must be a whole number from 0 to {TOTAL_BP}")
        total += bp
    if total != TOTAL_BP:
        raise InvalidInput(f"credits block: contributors' share_bp sum to {total}, not {TOTAL_BP}")


def _validate_source(source: Any, i: int) -> None:
    label = f"credits block source {i + 1}"
    if not isinstance(source, dict):
        raise InvalidInput(f"{label}: expected an object")
    _check_keys(source, _SOURCE_KEYS, label)
    for key in ("clip", "title", "kind", "owner", "licence"):
        if not isinstance(source[key], str):
            raise InvalidInput(f"{label}: {key} must be text")
    if not source["clip"]:
        raise InvalidInput(f"{label}: clip must name a clip id")
    if not _is_number(source["used_s"]) or source["used_s"] < 0:
        raise InvalidInput(f"{label}: used_s must be a non-negative number")
    via = source["via"]
    if not isinstance(via, list) or not all(isinstance(v, str) and v for v in via):
        raise InvalidInput(f"{label}: via must be a list of clip ids")


# --- formatting -----------------------------------------------------------------------------------


def _seconds(value: Fraction) -> float:
    """Seconds for the block: milliseconds are plenty for people reading credits."""
    return float(round(value, 3))


def _utc_stamp(moment: datetime) -> str:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput("credits: the export time must be a timezone-aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
