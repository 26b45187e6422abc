"""The Creative Commons rules of studio.core.licences, one test per rule and combination, with the
exact wording each refusal gives (the clip's title, its licence and the rule)."""

from __future__ import annotations

import pytest

from studio.core.licences import (
    NO_LICENCE,
    RULE_BY_PIECE,
    RULE_COMMERCIAL,
    RULE_NC_PIECE,
    RULE_ND,
    RULE_SA_NC,
    RULE_SA_PIECE,
    RULE_SA_SA,
    RULE_UNLICENSED,
    SourceLicence,
    check_licences,
    licence_url,
    parse_licence,
)


def src(title: str, licence: str) -> SourceLicence:
    return SourceLicence(clip=f"{title.lower().replace(' ', '')}{'0' * 16}", title=title, licence=licence)


RAIN, BELLS = src("Rain", "CC-BY-4.0"), src("Bells", "CC0-1.0")
WAVES = src("Waves", "CC-BY-SA-4.0")
OLD_WAVES = src("Old waves", "CC-BY-SA-3.0")
MARKET = src("Market", "CC-BY-NC-4.0")
NIGHT = src("Night", "CC-BY-NC-SA-4.0")
STATUE = src("Statue", "CC-BY-ND-4.0")


def test_spdx_ids_are_parsed_into_conditions() -> None:
    lic = parse_licence("cc-by-nc-sa-4.0")
    assert lic is not None and lic.spdx == "CC-BY-NC-SA-4.0" and lic.nc and lic.sa and not lic.nd
    assert parse_licence("CC0-1.0") is not None and not parse_licence("CC0-1.0").by  # type: ignore[union-attr]
    for other in ("MIT", "NOASSERTION", "", "CC-BY-5.0", "CC-BY-SA-NC-4.0", "CC-BY-ND-SA-4.0"):
        assert parse_licence(other) is None, other
    assert licence_url("CC-BY-NC-SA-4.0") == "https://creativecommons.org/licenses/by-nc-sa/4.0/"
    assert licence_url("MIT") == ""


def test_by_and_cc0_combine_and_the_piece_keeps_attribution() -> None:
    check = check_licences([RAIN, BELLS])
    assert check.ok and check.licence == "CC-BY-4.0" and not check.warnings
    assert check_licences([BELLS]).licence == "CC0-1.0"
    assert check_licences([RAIN, BELLS], piece="CC-BY-SA-4.0").ok  # adding conditions is allowed
    refused = check_licences([RAIN, BELLS], piece="CC0-1.0")
    assert [o.message() for o in refused.offences] == [
        f"{RULE_BY_PIECE} (asked for CC0-1.0): Rain (CC-BY-4.0)"
    ]


def test_nd_cannot_be_remixed_whatever_it_is_combined_with() -> None:
    for sources in ([STATUE], [STATUE, BELLS], [RAIN, STATUE]):
        check = check_licences(sources)
        assert not check.ok
        assert check.message() == f"{RULE_ND}: Statue (CC-BY-ND-4.0)"


def test_sa_keeps_its_licence_at_the_same_or_a_later_version() -> None:
    assert check_licences([WAVES, RAIN, BELLS]).licence == "CC-BY-SA-4.0"
    assert check_licences([OLD_WAVES, WAVES]).licence == "CC-BY-SA-4.0"
    assert check_licences([OLD_WAVES], piece="CC-BY-SA-4.0").ok
    for asked in ("CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-NC-SA-4.0", "MIT"):
        refused = check_licences([WAVES, RAIN], piece=asked)
        assert refused.message() == f"{RULE_SA_PIECE} (asked for {asked}): Waves (CC-BY-SA-4.0)", asked


def test_sa_does_not_mix_with_nc() -> None:
    check = check_licences([WAVES, MARKET, RAIN])
    assert check.message() == f"{RULE_SA_NC}: Waves (CC-BY-SA-4.0); Market (CC-BY-NC-4.0)"


def test_sa_does_not_mix_with_another_sa_licence() -> None:
    check = check_licences([WAVES, NIGHT])
    assert check.message() == f"{RULE_SA_SA}: Waves (CC-BY-SA-4.0); Night (CC-BY-NC-SA-4.0)"


def test_nc_sa_takes_nc_clips_and_stays_nc_sa() -> None:
    check = check_licences([NIGHT, MARKET, RAIN])
    assert check.ok and check.licence == "CC-BY-NC-SA-4.0"


def test_nc_carries_to_the_piece() -> None:
    assert check_licences([MARKET, RAIN, BELLS]).licence == "CC-BY-NC-4.0"
    assert check_licences([MARKET], piece="CC-BY-NC-ND-4.0").ok
    refused = check_licences([MARKET, RAIN], piece="CC-BY-4.0")
    assert refused.message() == f"{RULE_NC_PIECE} (asked for CC-BY-4.0): Market (CC-BY-NC-4.0)"


def test_version_is_the_highest_among_the_sources() -> None:
    assert check_licences([src("A", "CC-BY-2.0"), src("B", "CC-BY-3.0")]).licence == "CC-BY-3.0"


def test_missing_licence_is_named_and_refused_unless_rights_are_cleared() -> None:
    tape = src("Home tape", "")
    demo = src("Demo", NO_LICENCE)
    check = check_licences([RAIN, tape, demo])
    assert check.message() == f"{RULE_UNLICENSED}: Home tape (no licence); Demo (NOASSERTION)"
    assert [w for w in check.warnings if "Home tape" in w and "all rights reserved" in w]
    cleared = check_licences([RAIN, tape, demo], rights_cleared=[tape.clip[:8], "Demo"])
    assert cleared.ok and cleared.licence == "CC-BY-4.0"
    assert set(cleared.cleared) == {tape.clip, demo.clip}
    only_cleared = check_licences([tape], rights_cleared=["Home tape"])
    assert only_cleared.ok and only_cleared.licence == NO_LICENCE  # nothing to derive one from
    assert "names no clip" in " ".join(check_licences([RAIN], rights_cleared=["Nope"]).warnings)


def test_a_short_id_prefix_clears_nothing() -> None:
    tape = src("Home tape", "")
    assert not check_licences([tape], rights_cleared=[tape.clip[:4]]).ok


def test_commercial_space_refuses_nc_sources() -> None:
    assert check_licences([MARKET, RAIN]).ok
    check = check_licences([MARKET, NIGHT, RAIN], commercial=True)
    expected = f"{RULE_COMMERCIAL}: Market (CC-BY-NC-4.0); Night (CC-BY-NC-SA-4.0)"
    assert expected in check.message().splitlines()
    assert check_licences([RAIN, WAVES], commercial=True).ok


def test_several_rules_are_all_reported() -> None:
    check = check_licences([STATUE, src("Tape", ""), WAVES, MARKET], commercial=True)
    rules = [o.rule for o in check.offences]
    assert rules == [RULE_UNLICENSED, RULE_ND, RULE_COMMERCIAL, RULE_SA_NC]


@pytest.mark.parametrize("sources", [[], [BELLS, BELLS]])
def test_degenerate_inputs(sources: list[SourceLicence]) -> None:
    assert check_licences(sources).ok
