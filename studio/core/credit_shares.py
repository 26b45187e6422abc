"""Shares of a tallied piece by method (`weighted-time/1`, `equal-per-contributor/1`, `manual/1`), rounded
once by largest remainder to whole basis points summing to exactly 10000, and the per-person proposal the
export dialog shows for review.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from studio.core.clips import Clip
from studio.core.credit_block import EQUAL_PER_CONTRIBUTOR, METHODS, TOTAL_BP, WEIGHTED_TIME, seconds_value
from studio.core.credit_tally import (
    EDITING,
    PICTURE,
    POOLS,
    SOUND,
    Person,
    Tally,
    normalise_name,
    tally_timeline,
)
from studio.core.errors import InvalidInput
from studio.core.timeline import Timeline

DEFAULT_POOLS: Mapping[str, int] = {PICTURE: 4500, SOUND: 4500, EDITING: 1000}
NOBODY = (
    "credits: nobody to credit (no credited clip is seen or heard and no editor is named); "
    "credit the clips or name an editor"
)


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
            "picture_s": seconds_value(self.picture_s),
            "sound_s": seconds_value(self.sound_s),
            "editing_s": seconds_value(self.editing_s),
        }


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
    tally = tally_timeline(timeline, clips, editors)
    people, shares, _ = share_out(tally, method, pools, manual)
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


def share_out(
    tally: Tally, method: str, pools: Mapping[str, int] | None, manual: Mapping[str, int] | None
) -> tuple[list[Person], list[int], dict[str, Any]]:
    """People in block order, their integer shares, and the share_params recorded in the block."""
    if method not in METHODS:
        raise InvalidInput(f"credits: unknown share method {method!r} (known: {', '.join(METHODS)})")
    if not tally.people:
        raise InvalidInput(NOBODY)
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
    people: list[Person], pools: Mapping[str, int] | None
) -> tuple[dict[str, Fraction], dict[str, int], list[str]]:
    configured = _check_pools(pools)
    totals = {pool: sum((p.earned[pool] for p in people), Fraction(0)) for pool in POOLS}
    claimed = [pool for pool in POOLS if totals[pool] > 0]
    if not claimed:
        raise InvalidInput(NOBODY)
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


def _manual(people: list[Person], manual: Mapping[str, int] | None) -> dict[str, int]:
    if not manual:
        raise InvalidInput("credits: manual/1 needs the shares (name or contributor id -> basis points)")
    by_id = {p.contributor_id: p for p in people}
    by_name: dict[str, list[Person]] = {}
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


def _largest_remainder(people: list[Person], exact: Mapping[str, Fraction]) -> list[int]:
    """Integer basis points summing to TOTAL_BP: floors, then one more to the largest remainders."""
    floors = [math.floor(exact[p.contributor_id]) for p in people]
    left = TOTAL_BP - sum(floors)
    order = sorted(
        range(len(people)), key=lambda i: (-(exact[people[i].contributor_id] - floors[i]), people[i].sort_key)
    )
    for i in order[:left]:
        floors[i] += 1
    return floors
