"""Credits and shares: expected shares are worked out by hand from the rules in ARCHITECTURE section 3."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core.clips import Clip, Credit
from studio.core.credits import (
    EQUAL_PER_CONTRIBUTOR,
    MANUAL,
    compute_credits,
    propose_shares,
    validate_block,
)
from studio.core.errors import InvalidInput, NotFound
from studio.core.timeline import Item, Timeline, Track

EXPORTED = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def cid(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def clip(
    label: str,
    *people: str | Credit,
    video: bool = True,
    audio: bool = False,
    block: dict[str, Any] | None = None,
    title: str | None = None,
) -> Clip:
    credits = tuple(p if isinstance(p, Credit) else Credit(p, ("creator",)) for p in people)
    return Clip(
        id=cid(label),
        title=title or label,
        kind="video" if video else "audio",
        duration=None,
        credits=credits,
        licence="CC-BY-4.0",
        owner=f"owner of {label}",
        has_video=video,
        has_audio=audio,
        embedded_credits=block,
    )


class Build:
    """A small timeline builder: tracks by name, items placed at whole or fractional seconds."""

    def __init__(self, editors: Sequence[str] = ()) -> None:
        self.timeline = Timeline()
        self.timeline.settings["editors"] = list(editors)
        self.clips: dict[str, Clip] = {}
        self._n = 0

    def track(self, name: str, kind: str, *, muted: bool = False) -> str:
        order = "V" if kind == "video" else "a"
        order += "abcdefghijklmnopqrstuvwxyz"[len(self.timeline.tracks)]
        self.timeline.tracks[name] = Track(id=name, kind=kind, name=name, order=order, muted=muted)
        return name

    def add(
        self,
        track: str,
        c: Clip | None,
        start: Fraction | int,
        seconds: Fraction | int,
        *,
        muted: bool = False,
    ) -> Item:
        self._n += 1
        item = Item(
            id=f"item{self._n}",
            track=track,
            start=Fraction(start),
            duration=Fraction(seconds),
            clip=c.id if c else None,
            kind="clip" if c else "title",
            muted=muted,
        )
        self.timeline.items[item.id] = item
        if c is not None:
            self.clips[c.id] = c
        return item

    def credits(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("title", "Piece")
        kwargs.setdefault("licence", "CC-BY-SA-4.0")
        kwargs.setdefault("work_id", "work-1")
        kwargs.setdefault("exported", EXPORTED)
        return compute_credits(self.timeline, self.clips, **kwargs)


def shares(block: dict[str, Any]) -> dict[str, int]:
    return {c["name"]: c["share_bp"] for c in block["contributors"]}


def roles(block: dict[str, Any]) -> dict[str, list[str]]:
    return {c["name"]: c["roles"] for c in block["contributors"]}


def base(editors: Iterable[str] = ("Eve",), *, sound: bool = True) -> Build:
    """V1: Ann's clip 0-6 s then Bob's 6-10 s (picture only); A1: Cy's music 0-10 s."""
    b = Build(editors=list(editors))
    b.track("V1", "video")
    b.add("V1", clip("a", "Ann"), 0, 6)
    b.add("V1", clip("b", "Bob"), 6, 4)
    if sound:
        b.track("A1", "audio")
        b.add("A1", clip("m", "Cy", video=False, audio=True), 0, 10)
    return b


# --- pools ----------------------------------------------------------------------------------------


def test_three_pools_split_by_seconds() -> None:
    block = base().credits()
    # picture 4500: Ann 6/10, Bob 4/10; sound 4500: Cy; editing 1000: Eve
    assert shares(block) == {"Cy": 4500, "Ann": 2700, "Bob": 1800, "Eve": 1000}
    assert [c["name"] for c in block["contributors"]] == ["Cy", "Ann", "Bob", "Eve"]
    assert roles(block)["Eve"] == ["editor"]
    assert block["share_method"] == "weighted-time/1"
    assert block["work"]["duration_s"] == 10
    assert sum(shares(block).values()) == 10000


def test_silent_piece_splits_picture_and_editing() -> None:
    block = base(sound=False).credits()
    # sound's 4500 goes to picture and editing as 4500:1000 -> picture 10000*45/55, editing 10000*10/55
    # Ann 0.6 * 8181.81.. = 4909.09, Bob 3272.72, Eve 1818.18 -> floors 9999, largest remainder: Bob
    assert shares(block) == {"Ann": 4909, "Bob": 3273, "Eve": 1818}


def test_no_editor_splits_picture_and_sound() -> None:
    block = base(editors=()).credits()
    assert shares(block) == {"Cy": 5000, "Ann": 3000, "Bob": 2000}
    assert block["share_params"]["editors"] == []


def test_no_sound_no_editor_is_all_picture() -> None:
    block = base(editors=(), sound=False).credits()
    assert shares(block) == {"Ann": 6000, "Bob": 4000}


def test_custom_pools() -> None:
    block = base().credits(pools={"picture": 2000, "sound": 6000, "editing": 2000})
    assert shares(block) == {"Cy": 6000, "Ann": 1200, "Bob": 800, "Eve": 2000}
    assert block["share_params"]["pools"] == {"picture": 2000, "sound": 6000, "editing": 2000}


@pytest.mark.parametrize(
    "pools, fault",
    [
        ({"picture": 5000, "sound": 5000}, "exactly"),
        ({"picture": 5000, "sound": 5000, "editing": 1}, "sum to 10000"),
        ({"picture": -1, "sound": 10001, "editing": 0}, "non-negative"),
        ({"picture": 4500.0, "sound": 4500, "editing": 1000}, "whole number"),
    ],
)
def test_bad_pools_are_refused(pools: dict[str, Any], fault: str) -> None:
    with pytest.raises(InvalidInput, match=fault):
        base().credits(pools=pools)


def test_editors_come_from_the_call_and_the_timeline_without_duplicates() -> None:
    block = base(editors=("Eve",)).credits(editors=["Fay", "eve"])
    # editing 1000 split between Eve and Fay; the spelling given to the call is kept
    assert shares(block) == {"Cy": 4500, "Ann": 2700, "Bob": 1800, "eve": 500, "Fay": 500}
    assert block["share_params"]["editors"] == ["Fay", "eve"]


def test_editor_who_is_also_a_contributor_is_one_person_with_both_roles() -> None:
    block = base(editors=("ann",)).credits()
    assert shares(block) == {"Cy": 4500, "Ann": 3700, "Bob": 1800}
    assert roles(block)["Ann"] == ["creator", "editor"]


def test_nobody_to_credit_is_a_clear_error() -> None:
    b = Build()
    b.track("V1", "video")
    b.add("V1", clip("x"), 0, 3)
    with pytest.raises(InvalidInput, match="nobody to credit"):
        b.credits()


# --- what counts as picture and sound -------------------------------------------------------------


def test_video_tracks_are_picture_only_and_muting_keeps_the_picture() -> None:
    b = Build()
    b.track("V1", "video")
    b.track("A1", "audio")
    b.add("V1", clip("a", "Ann", audio=True), 0, 4)
    b.add("V1", clip("b", "Bob", audio=True), 4, 4, muted=True)
    b.add("A1", clip("c", "Cy", audio=True), 0, 8)
    # picture 5000: Ann 4 s, Bob 4 s; sound 5000: only Cy's clip, placed on an audio track
    assert shares(b.credits()) == {"Cy": 5000, "Ann": 2500, "Bob": 2500}


def test_muted_item_on_an_audio_track_is_not_heard() -> None:
    b = base(editors=())
    b.add("A1", clip("n", "Nia", video=False, audio=True), 10, 10, muted=True)
    block = b.credits()
    assert shares(block) == {"Cy": 5000, "Ann": 3000, "Bob": 2000}
    assert cid("n") not in {s["clip"] for s in block["sources"]}


def test_muted_tracks_earn_nothing_and_are_not_sources() -> None:
    b = base(editors=())
    b.track("A2", "audio", muted=True)
    b.add("A2", clip("n", "Nia", video=False, audio=True), 0, 10)
    block = b.credits()
    assert shares(block) == {"Cy": 5000, "Ann": 3000, "Bob": 2000}
    assert cid("n") not in {s["clip"] for s in block["sources"]}


def test_overlapping_video_tracks_each_earn_their_seconds() -> None:
    b = Build()
    b.track("V1", "video")
    b.track("V2", "video")
    b.add("V1", clip("a", "Ann"), 0, 8)
    b.add("V2", clip("logo", "Lu"), 2, 2)
    # picture seconds: Ann 8, Lu 2 -> 8000 / 2000
    assert shares(b.credits()) == {"Ann": 8000, "Lu": 2000}


def test_title_without_clip_is_editing_work() -> None:
    b = Build(editors=["Eve"])
    b.track("V2", "video")
    b.add("V2", None, 0, 3)
    block = b.credits()
    assert shares(block) == {"Eve": 10000}
    assert block["sources"] == []


def test_audio_clip_on_a_video_track_is_neither_seen_nor_heard() -> None:
    b = Build()
    b.track("V1", "video")
    b.track("V2", "video")
    b.add("V1", clip("a", "Ann"), 0, 2)
    b.add("V2", clip("m", "Cy", video=False, audio=True), 0, 2)
    block = b.credits()
    assert shares(block) == {"Ann": 10000}
    assert [s["title"] for s in block["sources"]] == ["a"]


def test_title_items_do_not_credit_a_clip_they_name() -> None:
    b = Build(editors=["Eve"])
    b.track("V1", "video")
    b.add("V1", clip("a", "Ann"), 0, 2)
    title = b.add("V1", None, 2, 2)
    title.clip = cid("not in the library")
    # picture: Ann only; editing: Eve (the title item is ignored, even though its clip is unknown)
    assert shares(b.credits(editors=())) == {"Ann": 8182, "Eve": 1818}


def test_sources_record_seconds_used_as_the_union_of_items() -> None:
    b = Build()
    b.track("V1", "video")
    b.track("A1", "audio")
    a = clip("a", "Ann", audio=True)
    b.add("V1", a, 0, 4, muted=True)
    b.add("A1", a, 2, 4)
    b.add("V1", clip("b", "Bob"), 4, Fraction(3, 2))
    block = b.credits()
    used = {s["title"]: s["used_s"] for s in block["sources"]}
    assert used == {"a": 6.0, "b": 1.5}
    first = block["sources"][0]
    assert first == {
        "clip": cid("a"),
        "title": "a",
        "kind": "video",
        "owner": "owner of a",
        "licence": "CC-BY-4.0",
        "used_s": 6.0,
        "via": [],
    }


def test_missing_clip_is_named() -> None:
    b = base()
    b.clips.pop(cid("b"))
    with pytest.raises(NotFound, match=cid("b")):
        b.credits()


# --- weights and merging --------------------------------------------------------------------------


def test_weights_split_a_clip() -> None:
    b = Build()
    b.track("V1", "video")
    b.add("V1", clip("a", Credit("Ann", ("director",), Fraction(3)), Credit("Dan", ("camera",))), 0, 10)
    block = b.credits()
    assert shares(block) == {"Ann": 7500, "Dan": 2500}
    assert roles(block) == {"Ann": ["director"], "Dan": ["camera"]}


def test_equal_split_by_default_and_zero_weight_is_credited_without_share() -> None:
    b = Build()
    b.track("V1", "video")
    b.add("V1", clip("a", "Ann", "Dan"), 0, 2)
    b.add("V1", clip("b", "Bob", Credit("Zed", ("consultant",), Fraction(0))), 2, 2)
    # a: Ann 2500, Dan 2500; b: Bob 5000, Zed 0
    assert shares(b.credits()) == {"Bob": 5000, "Ann": 2500, "Dan": 2500, "Zed": 0}


def test_clip_whose_credits_all_weigh_zero_falls_to_the_other_clips() -> None:
    b = Build()
    b.track("V1", "video")
    b.add("V1", clip("a", "Ann"), 0, 2)
    b.add("V1", clip("b", Credit("Zed", ("consultant",), Fraction(0))), 2, 8)
    assert shares(b.credits()) == {"Ann": 10000, "Zed": 0}


def test_people_merge_by_id_then_by_normalised_name() -> None:
    b = Build()
    b.track("V1", "video")
    b.add("V1", clip("a", Credit("Ann Lee", ("camera",), contributor_id="c-ann")), 0, 2)
    b.add("V1", clip("b", Credit("Ann L.", ("sound",), contributor_id="c-ann")), 2, 2)
    b.add("V1", clip("c", Credit("ann  lee", ("grade",))), 4, 2)
    b.add("V1", clip("d", Credit("Bo", ("music",)), Credit("BO", ("mix",))), 6, 2)
    block = b.credits()
    by_id = {c["id"]: c for c in block["contributors"]}
    assert by_id["c-ann"]["share_bp"] == 7500
    assert by_id["c-ann"]["roles"] == ["camera", "grade", "sound"]
    bo = [c for c in block["contributors"] if c["id"] != "c-ann"]
    assert len(bo) == 1 and bo[0]["share_bp"] == 2500 and bo[0]["roles"] == ["mix", "music"]
    assert bo[0]["name"] in ("Bo", "BO")


def test_names_are_kept_exactly() -> None:
    odd = ["山田 花子", 'Zoë "Z" Ångström; DROP', "Line\nBreak", "O'Brien, Seán", "محمد"]
    b = Build()
    b.track("V1", "video")
    for i, name in enumerate(odd):
        b.add("V1", clip(f"c{i}", name), i, 1)
    block = b.credits()
    assert sorted(shares(block)) == sorted(odd)
    assert set(shares(block).values()) == {2000}
    text = json.dumps(block, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert sorted(shares(json.loads(text))) == sorted(odd)


def test_equal_shares_tie_break_by_name() -> None:
    b = Build()
    b.track("V1", "video")
    b.add("V1", clip("a", "Cy"), 0, 8)
    b.add("V1", clip("b", "Ann"), 8, 1)
    b.add("V1", clip("c", "Bob"), 9, 1)
    block = b.credits(method=EQUAL_PER_CONTRIBUTOR)
    assert shares(block) == {"Ann": 3334, "Bob": 3333, "Cy": 3333}
    assert [c["name"] for c in block["contributors"]] == ["Ann", "Bob", "Cy"]


# --- manual shares --------------------------------------------------------------------------------


def test_manual_shares_by_name_or_id() -> None:
    b = base()
    rows = propose_shares(b.timeline, b.clips)
    ids = {r.name: r.contributor_id for r in rows}
    block = b.credits(method=MANUAL, manual={"ann": 4000, ids["Bob"]: 4000, "Eve": 2000})
    assert shares(block) == {"Ann": 4000, "Bob": 4000, "Eve": 2000, "Cy": 0}
    assert block["share_params"]["manual"] == {
        ids["Ann"]: 4000,
        ids["Bob"]: 4000,
        ids["Cy"]: 0,
        ids["Eve"]: 2000,
    }


@pytest.mark.parametrize(
    "manual, fault",
    [
        ({"Ann": 5000, "Bob": 4999}, "sum to 9999"),
        ({"Ann": 10001, "Bob": -1}, "non-negative"),
        ({"Ann": 5000, "Mallory": 5000}, "Mallory"),
        ({"Ann": 5000, "ANN": 5000}, "twice"),
        ({"Ann": 5000.0, "Bob": 5000}, "whole number"),
        ({}, "needs the shares"),
    ],
)
def test_manual_shares_are_validated(manual: dict[str, Any], fault: str) -> None:
    with pytest.raises(InvalidInput, match=fault):
        base().credits(method=MANUAL, manual=manual)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown share method"):
        base().credits(method="by-vibes/1")


# --- the proposal ---------------------------------------------------------------------------------


def test_proposal_rows_show_seconds_by_pool() -> None:
    b = base()
    b.add("V1", clip("a2", "Ann", "Bob"), 10, 2)
    rows = {r.name: r for r in propose_shares(b.timeline, b.clips, editors=["Fay"])}
    # picture seconds: Ann 6 + 1, Bob 4 + 1 (of 12); sound: Cy 10; editing: 12 s between Eve and Fay
    assert (rows["Ann"].picture_s, rows["Bob"].picture_s, rows["Cy"].sound_s) == (7, 5, 10)
    assert rows["Eve"].editing_s == rows["Fay"].editing_s == 6
    # picture 4500 * 7/12 = 2625, 4500 * 5/12 = 1875; editing 500 each
    assert {n: r.share_bp for n, r in rows.items()} == {
        "Cy": 4500,
        "Ann": 2625,
        "Bob": 1875,
        "Eve": 500,
        "Fay": 500,
    }
    assert rows["Eve"].to_dict()["editing_s"] == 6.0


# --- lineage --------------------------------------------------------------------------------------


def piece_a() -> tuple[Clip, dict[str, Any]]:
    """Piece A: Xena's picture 0-4 s over Yuri's sound 0-4 s, edited by Ed."""
    b = Build(editors=["Ed"])
    b.track("V1", "video")
    b.track("A1", "audio")
    b.add("V1", clip("x", "Xena"), 0, 4)
    b.add("A1", clip("y", "Yuri", video=False, audio=True), 0, 4)
    block = b.credits(title="Piece A", work_id="piece-a")
    assert shares(block) == {"Xena": 4500, "Yuri": 4500, "Ed": 1000}
    return clip("A", "Someone who re-uploaded A", audio=True, block=block, title="Piece A"), block


def piece_b() -> tuple[Clip, dict[str, Any]]:
    """Piece B: A 0-4 s (picture on V1, sound on A1) then Wen's picture 4-8 s; no editor."""
    a, _ = piece_a()
    b = Build()
    b.track("V1", "video")
    b.track("A1", "audio")
    b.add("V1", a, 0, 4, muted=True)
    b.add("A1", a, 0, 4)
    b.add("V1", clip("w", Credit("Wen", ("animation",))), 4, 4)
    block = b.credits(title="Piece B", work_id="piece-b")
    return clip("B", block=block, title="Piece B"), block


def test_remix_passes_its_earnings_through_its_block() -> None:
    _, block = piece_b()
    # picture 5000 over 8 s: A 2500 (Xena 1125, Yuri 1125, Ed 250), Wen 2500
    # sound 5000 over 4 s: A 5000 (Xena 2250, Yuri 2250, Ed 500)
    assert shares(block) == {"Xena": 3375, "Yuri": 3375, "Wen": 2500, "Ed": 750}
    assert roles(block)["Ed"] == ["editor"]
    assert roles(block)["Wen"] == ["animation"]
    assert "Someone who re-uploaded A" not in shares(block)
    via = {s["title"]: s["via"] for s in block["sources"]}
    assert via == {"Piece A": [], "w": [], "x": [cid("A")], "y": [cid("A")]}


def test_remix_of_a_remix_of_a_remix() -> None:
    bclip, _ = piece_b()
    c = Build()
    c.track("V1", "video")
    c.add("V1", bclip, 0, 10)
    c.add("V1", clip("v", "Val"), 10, 10)
    block = c.credits(title="Piece C", work_id="piece-c")
    # all picture: B 5000 -> Xena 1687.5, Yuri 1687.5, Wen 1250, Ed 375; Val 5000; tie .5 goes to Xena
    assert shares(block) == {"Val": 5000, "Xena": 1688, "Yuri": 1687, "Wen": 1250, "Ed": 375}
    via = {s["title"]: s["via"] for s in block["sources"]}
    assert via == {
        "Piece B": [],
        "v": [],
        "Piece A": [cid("B")],
        "w": [cid("B")],
        "x": [cid("B"), cid("A")],
        "y": [cid("B"), cid("A")],
    }
    used = {s["title"]: s["used_s"] for s in block["sources"]}
    assert used["Piece B"] == 10 and used["Piece A"] == 4 and used["x"] == 4


def test_a_person_in_a_remix_and_in_our_own_clips_is_one_person() -> None:
    a, _ = piece_a()
    b = Build()
    b.track("V1", "video")
    b.add("V1", a, 0, 5, muted=True)
    b.add("V1", clip("x2", "xena"), 5, 5)
    block = b.credits()
    # all picture: A 5000 -> Xena 2250, Yuri 2250, Ed 500; x2 5000 -> Xena
    assert shares(block) == {"Xena": 7250, "Yuri": 2250, "Ed": 500}


def test_malformed_embedded_block_names_the_clip() -> None:
    _, block = piece_a()
    broken = copy.deepcopy(block)
    broken["contributors"][0]["share_bp"] += 1
    b = Build()
    b.track("V1", "video")
    b.add("V1", clip("A", block=broken, title="Broken remix"), 0, 2)
    with pytest.raises(InvalidInput, match=r"Broken remix.*10001"):
        b.credits()


# --- the block ------------------------------------------------------------------------------------


def test_work_fields() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=timezone(timedelta(hours=2)))
    block = base().credits(
        title='Ünïcode; "title"',
        licence="CC-BY-4.0",
        licence_url="https://cc.example/by",
        work_id="w-9",
        exported=moment,
    )
    assert block["work"] == {
        "id": "w-9",
        "title": 'Ünïcode; "title"',
        "licence": "CC-BY-4.0",
        "licence_url": "https://cc.example/by",
        "exported": "2026-01-02T01:04:05Z",
        "duration_s": 10.0,
    }
    assert block["schema"] == "studio-credits/1"
    assert base().credits(licence="(MIT OR Apache-2.0)")["work"]["licence"] == "(MIT OR Apache-2.0)"


@pytest.mark.parametrize(
    "kwargs, fault",
    [
        ({"exported": datetime(2026, 1, 1)}, "timezone"),
        ({"licence": ""}, "licence"),
        ({"licence": "CC BY; rm -rf"}, "licence"),
        ({"work_id": " "}, "id"),
        ({"editors": [""]}, "editor"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], fault: str) -> None:
    with pytest.raises(InvalidInput, match=fault):
        base().credits(**kwargs)


GOOD_BLOCK: dict[str, Any] = {
    "schema": "studio-credits/1",
    "work": {
        "id": "w",
        "title": "T",
        "licence": "CC-BY-4.0",
        "licence_url": "",
        "exported": "2026-01-01T00:00:00Z",
        "duration_s": 3.5,
    },
    "contributors": [
        {"id": "a", "name": "Ann", "roles": ["camera"], "share_bp": 6000},
        {"id": "b", "name": "Bob", "roles": [], "share_bp": 4000},
    ],
    "sources": [
        {"clip": "c1", "title": "C", "kind": "video", "owner": "", "licence": "", "used_s": 3.5, "via": []}
    ],
    "share_method": "weighted-time/1",
    "share_params": {},
}


def test_validate_accepts_a_hand_written_block() -> None:
    assert validate_block(copy.deepcopy(GOOD_BLOCK)) == GOOD_BLOCK


@pytest.mark.parametrize(
    "path, value, fault",
    [
        (("schema",), "studio-credits/2", "schema"),
        (("contributors", 1, "share_bp"), 3999, "sum to 9999"),
        (("contributors", 1, "id"), "a", "appears twice"),
        (("contributors", 1, "share_bp"), True, "whole number"),
        (("contributors", 1, "name"), "  ", "name"),
        (("contributors",), [], "non-empty"),
        (("work", "exported"), "2026-01-01T00:00:00+02:00", "exported"),
        (("work", "duration_s"), -1, "duration_s"),
        (("sources", 0, "via"), "c0", "via"),
        (("sources", 0, "used_s"), "3.5", "used_s"),
        (("share_method",), "vibes/1", "share_method"),
        (("extra",), 1, "unknown field"),
        (("export_sha256",), "ABC", "export_sha256"),
    ],
)
def test_validate_names_the_fault(path: tuple[Any, ...], value: Any, fault: str) -> None:
    block = copy.deepcopy(GOOD_BLOCK)
    target: Any = block
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(InvalidInput, match=fault):
        validate_block(block)


def test_validate_reports_a_missing_field() -> None:
    block = copy.deepcopy(GOOD_BLOCK)
    del block["sources"][0]["owner"]
    with pytest.raises(InvalidInput, match="source 1: missing owner"):
        validate_block(block)


# --- properties -----------------------------------------------------------------------------------

NAMES = ["Ann", "Bob", "Cy", "山田 花子", "Zoë", "ann"]


@st.composite
def timelines(draw: st.DrawFn) -> tuple[Build, list[str]]:
    editors = draw(st.lists(st.sampled_from([*NAMES, "Eve"]), max_size=2))
    b = Build(editors=editors)
    n_clips = draw(st.integers(1, 5))
    library = []
    for i in range(n_clips):
        people = draw(
            st.lists(
                st.builds(
                    Credit,
                    name=st.sampled_from(NAMES),
                    roles=st.just(("creator",)),
                    weight=st.fractions(min_value=0, max_value=5, max_denominator=7),
                ),
                max_size=3,
            )
        )
        library.append(clip(f"p{i}", *people, video=draw(st.booleans()), audio=draw(st.booleans())))
    for t in range(draw(st.integers(1, 4))):
        name = b.track(f"T{t}", draw(st.sampled_from(["video", "audio"])), muted=draw(st.booleans()))
        for _ in range(draw(st.integers(0, 4))):
            start = draw(st.fractions(min_value=0, max_value=20, max_denominator=30))
            seconds = draw(st.fractions(min_value=Fraction(1, 30), max_value=10, max_denominator=30))
            b.add(name, draw(st.sampled_from(library)), start, seconds, muted=draw(st.booleans()))
    return b, editors


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timelines(), st.sampled_from(["weighted-time/1", EQUAL_PER_CONTRIBUTOR]))
def test_shares_always_sum_to_10000(built: tuple[Build, list[str]], method: str) -> None:
    b, editors = built
    try:
        block = b.credits(method=method)
    except InvalidInput as exc:
        assert "nobody to credit" in str(exc)
        assert not editors
        return
    assert sum(c["share_bp"] for c in block["contributors"]) == 10000
    assert all(c["share_bp"] >= 0 for c in block["contributors"])
    bp = [c["share_bp"] for c in block["contributors"]]
    assert bp == sorted(bp, reverse=True)
    assert len({c["id"] for c in block["contributors"]}) == len(block["contributors"])
    if method == EQUAL_PER_CONTRIBUTOR:
        assert max(bp) - min(bp) <= 1
    validate_block(json.loads(json.dumps(block)))


@settings(max_examples=60, deadline=None)
@given(timelines())
def test_same_timeline_same_block(built: tuple[Build, list[str]]) -> None:
    b, _ = built
    try:
        first = b.credits()
    except InvalidInput:
        return
    again = compute_credits(
        Timeline.from_dict(b.timeline.to_dict()),
        dict(reversed(list(b.clips.items()))),
        title="Piece",
        licence="CC-BY-SA-4.0",
        work_id="work-1",
        exported=EXPORTED,
    )
    assert again == first
