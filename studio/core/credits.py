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

The parts live beside this module: credit_block (the block's constants and checks), credit_tally (who is
seen and heard, merged into people, through remixes) and credit_shares (the methods and the rounding).
Every name is importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from studio.core.clips import Clip
from studio.core.credit_block import (
    EQUAL_PER_CONTRIBUTOR,
    MANUAL,
    METHODS,
    SCHEMA,
    TOTAL_BP,
    WEIGHTED_TIME,
    check_licence,
    seconds_value,
    utc_stamp,
    validate_block,
)
from studio.core.credit_shares import DEFAULT_POOLS, ShareRow, propose_shares, share_out
from studio.core.credit_tally import (
    EDITING,
    EDITOR_ROLE,
    PICTURE,
    POOLS,
    SOUND,
    name_id,
    normalise_name,
    tally_timeline,
)
from studio.core.errors import InvalidInput
from studio.core.licences import NO_LICENCE, licence_url
from studio.core.timeline import Timeline

__all__ = [
    "DEFAULT_POOLS",
    "EDITING",
    "EDITOR_ROLE",
    "EQUAL_PER_CONTRIBUTOR",
    "MANUAL",
    "METHODS",
    "PICTURE",
    "POOLS",
    "SCHEMA",
    "SOUND",
    "TOTAL_BP",
    "WEIGHTED_TIME",
    "ShareRow",
    "attribution_line",
    "attribution_lines",
    "clip_attribution",
    "compute_credits",
    "name_id",
    "normalise_name",
    "propose_shares",
    "validate_block",
]


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
    check_licence(licence, "the work")
    if not isinstance(licence_url, str):
        raise InvalidInput("credits: the licence URL must be text")
    tally = tally_timeline(timeline, clips, editors)
    people, shares, params = share_out(tally, method, pools, manual)
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
            "exported": utc_stamp(exported),
            "duration_s": seconds_value(tally.duration),
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
    return f'"{title or "Untitled"}" by {by} — {source} — {stated}' + (f" ({url})" if url else "")


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
