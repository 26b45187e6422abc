"""The licence check an export runs before any work: the clips a timeline uses, checked against the
Creative Commons rules of studio.core.licences; a refusal names each offending clip and the rule.

The app's export dialog calls `check_timeline` to show the outcome before the user exports; the
export pipeline calls `require_licences`, so the CLI, the app and the demo cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from studio.core.clips import Clip
from studio.core.credits import clip_attribution
from studio.core.errors import InvalidInput
from studio.core.licences import RULE_COMMERCIAL, LicenceCheck, SourceLicence, check_licences
from studio.core.timeline import Timeline


class LicenceRefused(InvalidInput):
    """An export whose sources' licences forbid it (or the licence asked for)."""

    def __init__(self, check: LicenceCheck, commercial_space: str = "") -> None:
        super().__init__(
            "export refused by the sources' licences, nothing was written:\n"
            + check.message()
            + space_note(check, commercial_space)
        )
        self.check = check


def space_note(check: LicenceCheck, commercial_space: str) -> str:
    """Where the commercial rule came from, when the project's space applied it and it refused clips."""
    if not commercial_space or not any(o.rule == RULE_COMMERCIAL for o in check.offences):
        return ""
    return f"\n(the space {commercial_space!r} is marked for commercial work by its owner)"


def timeline_sources(timeline: Timeline, clips: Mapping[str, Clip]) -> list[SourceLicence]:
    """The clips `timeline` uses, each once, in timeline order."""
    seen: dict[str, SourceLicence] = {}
    for item in sorted(timeline.iter_items(), key=lambda i: (i.start, i.id)):
        clip = clips.get(item.clip) if item.clip else None
        if clip is not None and clip.id not in seen:
            seen[clip.id] = SourceLicence(clip.id, clip.title, clip.licence)
    return list(seen.values())


def check_timeline(
    timeline: Timeline,
    clips: Mapping[str, Clip],
    *,
    licence: str | None = None,
    commercial: bool = False,
    rights_cleared: Iterable[str] = (),
) -> LicenceCheck:
    """The licence check of `timeline` as an export would run it, without exporting."""
    return check_licences(
        timeline_sources(timeline, clips), piece=licence, commercial=commercial, rights_cleared=rights_cleared
    )


def require_licences(
    timeline: Timeline,
    clips: Mapping[str, Clip],
    *,
    licence: str | None = None,
    commercial: bool = False,
    rights_cleared: Iterable[str] = (),
    commercial_space: str = "",
) -> LicenceCheck:
    """`check_timeline`, raising LicenceRefused when any rule is broken (`commercial_space`: the name of
    the project's space that applied the commercial rule, said in the refusal)."""
    check = check_timeline(
        timeline, clips, licence=licence, commercial=commercial, rights_cleared=rights_cleared
    )
    if not check.ok:
        raise LicenceRefused(check, commercial_space)
    return check


def preview_attribution(timeline: Timeline, clips: Mapping[str, Clip]) -> list[str]:
    """The attribution lines the export will write, for review before export."""
    lines: list[str] = []
    for source in timeline_sources(timeline, clips):
        lines.extend(clip_attribution(clips[source.clip]))
    return list(dict.fromkeys(lines))
