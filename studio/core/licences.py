"""Creative Commons rules applied to a piece's sources at export, and the piece's default licence.

The sources are the clips the piece uses directly: a remix used as a source already carries a licence
its own export checked against its sources. Rules (creativecommons.org/faq, "adaptations"):

* ND: a NoDerivatives clip cannot be used in a remix; trimming it, setting music to picture or cutting
  it with other clips are all adaptations.
* SA: the piece keeps the source's licence elements at the same or a later version; so it cannot be
  combined with NC (unless the SA licence is itself NC-SA) nor with another SA licence whose elements
  differ (BY-SA with BY-NC-SA).
* NC: carries to the piece.
* BY and CC0 combine with anything; a BY source forbids a CC0 piece (attribution would be waived).
* A clip without a licence, or with one these rules do not know, counts as all rights reserved: it is
  refused unless the user says they hold its rights (`--rights-cleared CLIP`), which lifts every rule
  for that clip.
* A space marked for commercial work refuses NC sources.

The default piece licence is the least permissive licence the sources allow: their conditions (BY, NC,
SA) together, at the highest version among them, never adding a condition no source has (no ND).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

NO_LICENCE = "NOASSERTION"
"""SPDX's word for "no licence was stated"."""

_CC_RE = re.compile(r"^CC-(BY(?:-NC)?(?:-SA|-ND)?)-([1-4]\.0)$", re.IGNORECASE)
_CC0_RE = re.compile(r"^CC0-1\.0$", re.IGNORECASE)
_URL_CODES = {"BY": "by", "BY-SA": "by-sa", "BY-ND": "by-nd", "BY-NC": "by-nc", "BY-NC-SA": "by-nc-sa"}

RULE_ND = (
    "NoDerivatives (ND): an ND clip cannot be used in a remix; trimming it, setting music to picture "
    "or combining it with other clips all make an adaptation"
)
RULE_SA_NC = (
    "ShareAlike (SA) with NonCommercial (NC): an SA clip keeps its own licence, which does not allow "
    "adding NC"
)
RULE_SA_SA = (
    "ShareAlike (SA) with another SA licence: each SA clip requires the piece to carry its licence, "
    "and these differ"
)
RULE_SA_PIECE = (
    "ShareAlike (SA): the piece must carry the same licence as its SA clips, at the same or a later "
    "version"
)
RULE_NC_PIECE = "NonCommercial (NC): an NC clip makes the piece NC too"
RULE_BY_PIECE = "Attribution (BY): a BY clip cannot be given away as CC0; the piece must keep attribution"
RULE_COMMERCIAL = "commercial space: this space is for commercial work, and NC clips forbid it"
RULE_UNLICENSED = (
    "no licence: a clip without a licence is all rights reserved (pass --rights-cleared CLIP if you "
    "hold its rights)"
)


@dataclass(frozen=True, slots=True)
class Licence:
    """A Creative Commons licence split into its conditions."""

    spdx: str
    by: bool
    nc: bool
    sa: bool
    nd: bool
    version: tuple[int, int]

    @property
    def elements(self) -> str:
        """BY, BY-NC-SA ... or "CC0"."""
        if not self.by:
            return "CC0"
        return "BY" + ("-NC" if self.nc else "") + ("-SA" if self.sa else "") + ("-ND" if self.nd else "")

    @property
    def url(self) -> str:
        if not self.by:
            return "https://creativecommons.org/publicdomain/zero/1.0/"
        return f"https://creativecommons.org/licenses/{_URL_CODES[self.elements]}/{self.version[0]}.0/"


def parse_licence(spdx: str) -> Licence | None:
    """The CC licence an SPDX id names (CC-BY-SA-4.0, CC0-1.0 ...), or None for anything else."""
    text = (spdx or "").strip()
    if _CC0_RE.match(text):
        return Licence("CC0-1.0", by=False, nc=False, sa=False, nd=False, version=(1, 0))
    match = _CC_RE.match(text)
    if match is None:
        return None
    elements = match.group(1).upper()
    major, minor = (int(part) for part in match.group(2).split("."))
    return Licence(
        spdx=f"CC-{elements}-{major}.{minor}",
        by=True,
        nc="-NC" in elements,
        sa="-SA" in elements,
        nd="-ND" in elements,
        version=(major, minor),
    )


def licence_url(spdx: str) -> str:
    """The deed URL of a CC licence, else ""."""
    parsed = parse_licence(spdx)
    return parsed.url if parsed else ""


@dataclass(frozen=True, slots=True)
class SourceLicence:
    """A clip the piece uses directly, as the check sees it."""

    clip: str
    title: str
    licence: str


@dataclass(frozen=True, slots=True)
class Offence:
    """One broken rule and the clips that break it."""

    rule: str
    clips: tuple[SourceLicence, ...]

    def message(self) -> str:
        named = "; ".join(f"{c.title or c.clip} ({c.licence or 'no licence'})" for c in self.clips)
        return f"{self.rule}: {named}"


@dataclass(frozen=True, slots=True)
class LicenceCheck:
    """The outcome: the piece's licence, what refuses the export, and what the user should know."""

    licence: str
    offences: tuple[Offence, ...] = ()
    warnings: tuple[str, ...] = ()
    cleared: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.offences

    def message(self) -> str:
        """Every offence, one per line, for an error or the export dialog."""
        return "\n".join(o.message() for o in self.offences)


def check_licences(
    sources: Sequence[SourceLicence],
    *,
    piece: str | None = None,
    commercial: bool = False,
    rights_cleared: Iterable[str] = (),
) -> LicenceCheck:
    """Check `sources` against the CC rules (module docstring) and choose or check the piece's licence.

    `piece` is the licence the user asked for (None: the default). `rights_cleared` names clips (by id,
    id prefix of 8 or more characters, or exact title) whose rights the user holds.
    """
    cleared_keys = [key.strip() for key in rights_cleared if key and key.strip()]
    cleared: list[SourceLicence] = []
    checked: list[tuple[SourceLicence, Licence]] = []
    unlicensed: list[SourceLicence] = []
    warnings: list[str] = []
    for source in sources:
        if _is_cleared(source, cleared_keys):
            cleared.append(source)
            continue
        parsed = parse_licence(source.licence)
        if parsed is None:
            unlicensed.append(source)
        else:
            checked.append((source, parsed))
    for source in unlicensed:
        stated = source.licence if source.licence and source.licence != NO_LICENCE else "none"
        warnings.append(
            f"clip {source.title or source.clip} has no licence these rules know (licence: {stated}); "
            "it counts as all rights reserved"
        )
    offences: list[Offence] = []
    if unlicensed:
        offences.append(Offence(RULE_UNLICENSED, tuple(unlicensed)))
    nd = tuple(s for s, lic in checked if lic.nd)
    if nd:
        offences.append(Offence(RULE_ND, nd))
    if commercial:
        nc = tuple(s for s, lic in checked if lic.nc)
        if nc:
            offences.append(Offence(RULE_COMMERCIAL, nc))
    usable = [(s, lic) for s, lic in checked if not lic.nd]
    sa = [(s, lic) for s, lic in usable if lic.sa]
    sa_families = {lic.elements for _, lic in sa}
    if len(sa_families) > 1:
        offences.append(Offence(RULE_SA_SA, tuple(s for s, _ in sa)))
    elif sa:
        (family,) = sa_families
        if "NC" not in family:
            nc_mixed = tuple(s for s, lic in usable if lic.nc)
            if nc_mixed:
                offences.append(Offence(RULE_SA_NC, tuple(s for s, _ in sa) + nc_mixed))
    default = _default_licence([lic for _, lic in usable], bool(cleared) or bool(unlicensed))
    chosen = piece.strip() if piece and piece.strip() else default
    if piece and piece.strip() and not offences:
        offences.extend(_piece_offences(chosen, usable))
    for key in cleared_keys:
        if not any(_is_cleared(s, [key]) for s in sources):
            warnings.append(f"--rights-cleared {key} names no clip of this piece")
    for source in cleared:
        name = source.title or source.clip
        warnings.append(f"clip {name}: rights cleared by the user, no licence rule applied")
    return LicenceCheck(
        licence=chosen,
        offences=tuple(offences),
        warnings=tuple(warnings),
        cleared=tuple(s.clip for s in cleared),
    )


def _is_cleared(source: SourceLicence, keys: Sequence[str]) -> bool:
    for key in keys:
        if key == source.clip or key == source.title:
            return True
        if len(key) >= 8 and source.clip.startswith(key):
            return True
    return False


def _default_licence(licences: Sequence[Licence], has_other_rights: bool) -> str:
    """The sources' conditions together at their highest version; CC0 only if every source is CC0."""
    if not licences:
        return NO_LICENCE
    sa = [lic for lic in licences if lic.sa]
    if sa:
        return max(sa, key=lambda lic: lic.version).spdx
    by = [lic for lic in licences if lic.by]
    if not by:
        return NO_LICENCE if has_other_rights else "CC0-1.0"
    nc = any(lic.nc for lic in by)
    version = max(lic.version for lic in by)
    return f"CC-BY{'-NC' if nc else ''}-{version[0]}.{version[1]}"


def _piece_offences(piece: str, usable: Sequence[tuple[SourceLicence, Licence]]) -> list[Offence]:
    """What an explicit piece licence breaks, one offence per rule."""
    chosen = parse_licence(piece)
    out: list[Offence] = []
    sa = [(s, lic) for s, lic in usable if lic.sa]
    if sa:
        need = max((lic for _, lic in sa), key=lambda lic: lic.version)
        if chosen is None or chosen.elements != need.elements or chosen.version < need.version:
            out.append(Offence(f"{RULE_SA_PIECE} (asked for {piece})", tuple(s for s, _ in sa)))
            return out
    nc = tuple(s for s, lic in usable if lic.nc)
    if nc and (chosen is None or not chosen.nc):
        out.append(Offence(f"{RULE_NC_PIECE} (asked for {piece})", nc))
    by = tuple(s for s, lic in usable if lic.by)
    if by and chosen is not None and not chosen.by:
        out.append(Offence(f"{RULE_BY_PIECE} (asked for {piece})", by))
    return out
