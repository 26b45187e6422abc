"""Edit operations: what each one changes, what it refuses (with a message naming why), and that
its ops undo exactly through their inverses."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studio.core import edits
from studio.core.errors import EditRejected, NotFound
from studio.core.history import inverse_ops
from studio.core.ops import Op, apply, set_fields
from studio.core.timeline import Timeline
from tests.core.conftest import make_clip

VIDEO = make_clip("harbour", "video", F(10))
MUTE_VIDEO = make_clip("drone", "video", F(10), has_audio=False)
SONG = make_clip("song", "audio", F(30))
STILL = make_clip("poster", "image")


def run(tl: Timeline, ops: list[Op]) -> list[Op]:
    for op in ops:
        apply(tl, op)
    return ops


def base() -> Timeline:
    tl = Timeline()
    run(tl, edits.add_track(tl, "video"))
    run(tl, edits.add_track(tl, "audio"))
    return tl


def place(tl: Timeline, clip=VIDEO, track: str = "V1", **kw) -> str:  # type: ignore[no-untyped-def]
    ops = run(tl, edits.insert_item(tl, clip, track, **kw))
    return str(ops[0]["id"])


def test_tracks_get_free_names_and_new_ones_go_on_top() -> None:
    tl = base()
    run(tl, edits.add_track(tl, "video"))
    names = [t.name for t in tl.ordered_tracks()]
    assert names == ["V1", "A1", "V2"]
    assert [t.name for t in tl.ordered_tracks("video")] == ["V1", "V2"]
    with pytest.raises(EditRejected, match="already a track named V1"):
        edits.add_track(tl, "video", "V1")
    with pytest.raises(EditRejected, match="video or audio"):
        edits.add_track(tl, "subtitle")
    run(tl, edits.rename_track(tl, "V2", "Titles"))
    assert tl.track_by_name("Titles") is not None and tl.track_by_name("V2") is None
    assert edits.next_track_name(tl, "video") == "V2"


def test_insert_defaults_to_the_end_of_the_track_and_the_whole_clip() -> None:
    tl = base()
    first = place(tl)
    second = place(tl, source_in=F(2), source_out=F(5))
    assert (tl.items[first].start, tl.items[first].duration) == (0, 10)
    item = tl.items[second]
    assert (item.start, item.source_in, item.duration, item.source_out) == (10, 2, 3, 5)
    assert tl.items[second].clip == VIDEO.id


def test_insert_refuses_overlaps_and_names_the_item_in_the_way() -> None:
    tl = base()
    first = place(tl, at=F(4))
    with pytest.raises(EditRejected, match=rf"overlap item {first[:8]} \(4 s to 14 s on V1\)"):
        place(tl, at=F(0), source_out=F(5))
    place(tl, at=F(0), source_out=F(4))  # touching is fine: ranges are half-open
    place(tl, SONG, "A1", at=F(0))  # another track is independent


def test_clip_kinds_decide_the_tracks_they_may_go_on() -> None:
    tl = base()
    with pytest.raises(EditRejected, match="sound only: put it on an audio track"):
        place(tl, SONG, "V1")
    with pytest.raises(EditRejected, match="no sound"):
        place(tl, MUTE_VIDEO, "A1")
    with pytest.raises(EditRejected, match="image with no sound"):
        place(tl, STILL, "A1")
    sound = place(tl, VIDEO, "A1")  # a video clip on an audio track means its sound
    assert tl.tracks[tl.items[sound].track].kind == "audio"


def test_source_range_is_checked_against_the_clip() -> None:
    tl = base()
    with pytest.raises(EditRejected, match=r"past the end of clip 'harbour' \(10 s long\)"):
        place(tl, source_out=F(21, 2))
    with pytest.raises(EditRejected, match="must be after the in point"):
        place(tl, source_in=F(3), source_out=F(3))
    with pytest.raises(EditRejected, match="must not be negative"):
        place(tl, at=F(-1))
    unknown = make_clip("stream", "video", None)
    with pytest.raises(EditRejected, match="length of clip 'stream' is unknown"):
        place(tl, unknown)
    still = place(tl, STILL, at=F(100))
    assert tl.items[still].duration == edits.STILL_DEFAULT_DURATION


def test_locked_tracks_refuse_edits_until_unlocked() -> None:
    tl = base()
    item = place(tl)
    run(tl, edits.set_track_locked(tl, "V1", True))
    for attempt in (
        lambda: place(tl, at=F(20)),
        lambda: edits.move_item(tl, item, at=F(30)),
        lambda: edits.trim_item(tl, item, source_out=F(5)),
        lambda: edits.split_item(tl, item, F(5)),
        lambda: edits.remove_item(tl, item),
        lambda: edits.set_gain(tl, item, -6),
        lambda: edits.remove_track(tl, "V1"),
    ):
        with pytest.raises(EditRejected, match="track V1 is locked"):
            attempt()
    run(tl, edits.set_track_locked(tl, "V1", False))
    run(tl, edits.move_item(tl, item, at=F(30)))
    assert tl.items[item].start == 30


def test_move_is_one_field_update_and_stays_on_tracks_of_its_kind() -> None:
    tl = base()
    run(tl, edits.add_track(tl, "video"))
    a = place(tl)
    b = place(tl)
    ops = run(tl, edits.move_item(tl, a, at=F(50), track_ref="V2"))
    assert len(ops) == 1 and ops[0]["op"] == "set" and set(ops[0]["new"]) == {"start", "track"}
    assert tl.items[a].track == tl.track_by_name("V2").id  # type: ignore[union-attr]
    with pytest.raises(EditRejected, match="would overlap"):
        edits.move_item(tl, b, at=F(45), track_ref="V2")
    with pytest.raises(EditRejected, match="from video track V1 to audio track A1"):
        edits.move_item(tl, b, track_ref="A1")
    assert edits.move_item(tl, b, at=tl.items[b].start) == []
    with pytest.raises(NotFound, match="no track 'V9'"):
        edits.move_item(tl, b, track_ref="V9")


def test_trim_in_moves_the_start_so_the_rest_stays_put() -> None:
    tl = base()
    item_id = place(tl, at=F(10), source_in=F(1), source_out=F(9))
    end = tl.items[item_id].end
    run(tl, edits.trim_item(tl, item_id, source_in=F(3)))
    item = tl.items[item_id]
    assert (item.start, item.source_in, item.end) == (12, 3, end)
    run(tl, edits.trim_item(tl, item_id, source_in=F(0)))
    assert (tl.items[item_id].start, tl.items[item_id].end) == (9, end)
    run(tl, edits.trim_item(tl, item_id, source_out=F(4)))
    assert (tl.items[item_id].start, tl.items[item_id].source_out) == (9, 4)
    with pytest.raises(EditRejected, match="before the timeline's start"):
        edits.trim_item(tl, place(tl, at=F(1), source_in=F(5), source_out=F(6)), source_in=F(0))
    with pytest.raises(EditRejected, match="past the end of the clip"):
        edits.trim_item(tl, item_id, source_out=F(11), clip_duration=F(10))


def test_trim_shortens_fades_that_would_no_longer_fit() -> None:
    tl = base()
    item_id = place(tl)
    run(tl, edits.set_fades(tl, item_id, fade_in=F(4), fade_out=F(5)))
    run(tl, edits.trim_item(tl, item_id, source_out=F(6)))
    item = tl.items[item_id]
    assert item.fade_in + item.fade_out <= item.duration
    assert (item.fade_in, item.fade_out) == (4, 2)
    with pytest.raises(EditRejected, match="do not fit"):
        edits.set_fades(tl, item_id, fade_in=F(5))


def test_trimming_a_title_or_still_head_earlier_lengthens_it() -> None:
    tl = base()
    title = run(tl, edits.add_title(tl, "V1", "Hello", at=F(10), duration=F(2)))[0]["id"]
    ops = run(tl, edits.trim_item(tl, title, source_in=F(-3)))
    assert len(ops) == 1  # one field update: start, length and in point change together
    item = tl.items[title]
    assert (item.start, item.duration, item.end, item.source_in) == (7, 5, 12, 0)
    still = place(tl, STILL, at=F(20), source_out=F(1))
    run(tl, edits.trim_item(tl, still, source_in=F(-5, 2), clip=STILL))
    item = tl.items[still]
    assert (item.start, item.duration, item.end, item.source_in) == (F(35, 2), F(7, 2), 21, 0)
    run(tl, edits.trim_item(tl, still, source_out=F(40), clip=STILL))  # no media end to run past
    assert (tl.items[still].start, tl.items[still].duration) == (F(35, 2), 40)
    with pytest.raises(EditRejected, match="before the timeline's start"):
        edits.trim_item(tl, title, source_in=F(-8))
    with pytest.raises(EditRejected, match=rf"would overlap item {title[:8]}"):
        edits.trim_item(tl, still, source_in=F(-6), clip=STILL)
    run(tl, inverse_ops(ops))
    assert (tl.items[title].start, tl.items[title].duration) == (10, 2)


def test_trimming_video_or_sound_keeps_the_in_point_inside_the_clip() -> None:
    tl = base()
    item_id = place(tl, at=F(10), source_in=F(1), source_out=F(4))
    for clip in (None, VIDEO):
        with pytest.raises(EditRejected, match="in point must not be negative"):
            edits.trim_item(tl, item_id, source_in=F(-1), clip=clip)
    with pytest.raises(EditRejected, match=r"past the end of the clip \(10 s long\)"):
        edits.trim_item(tl, item_id, source_out=F(21, 2), clip=VIDEO)
    with pytest.raises(EditRejected, match="must be after the in point"):
        edits.trim_item(tl, item_id, source_in=F(10), clip=VIDEO)
    with pytest.raises(EditRejected, match="is not the clip of item"):
        edits.trim_item(tl, item_id, source_out=F(5), clip=SONG)
    still_without_clip = place(tl, STILL, at=F(30))
    with pytest.raises(EditRejected, match="in point must not be negative"):
        edits.trim_item(tl, still_without_clip, source_in=F(-1))  # unknown clip: bounded like footage
    run(tl, edits.trim_item(tl, item_id, source_in=F(0), source_out=F(10), clip=VIDEO))
    item = tl.items[item_id]
    assert (item.start, item.source_in, item.end) == (9, 0, 19)


def test_item_metadata_is_set_per_namespace_and_checked() -> None:
    tl = base()
    item_id = place(tl)
    run(tl, edits.set_item_metadata(tl, item_id, "otio", {"name": "shot 1"}))
    ui = {"link": "abc", "n": [1, 2.5, None]}
    ops = run(tl, edits.set_item_metadata(tl, item_id, "studio.ui", ui))
    assert tl.items[item_id].metadata == {"otio": {"name": "shot 1"}, "studio.ui": ui}
    assert edits.set_item_metadata(tl, item_id, "studio.ui", dict(ui)) == []
    for namespace in ("", "Studio.UI", "studio..ui", ".ui", "studio ui", 7):
        with pytest.raises(EditRejected, match=r"namespace .* is not a dotted lowercase name"):
            edits.set_item_metadata(tl, item_id, namespace, {})  # type: ignore[arg-type]
    with pytest.raises(EditRejected, match="must be an object"):
        edits.set_item_metadata(tl, item_id, "studio.ui", ["link"])  # type: ignore[arg-type]
    refused = [
        ({1: "x"}, "keys must be text"),
        ({"t": (1, 2)}, "a tuple"),
        ({"f": float("nan")}, "finite"),
        ({"deep": [{"x": object()}]}, r"\['deep'\]\[0\]\['x'\] is a object"),
    ]
    for bad, why in refused:
        with pytest.raises(EditRejected, match=why):
            edits.set_item_metadata(tl, item_id, "studio.ui", bad)
    with pytest.raises(NotFound, match="no item"):
        edits.set_item_metadata(tl, "nope", "studio.ui", {})
    run(tl, edits.set_item_metadata(tl, item_id, "otio", None))
    assert tl.items[item_id].metadata == {"studio.ui": ui}
    assert edits.set_item_metadata(tl, item_id, "otio", None) == []
    run(tl, inverse_ops(ops))
    assert tl.items[item_id].metadata == {"otio": {"name": "shot 1"}}
    run(tl, edits.set_track_locked(tl, "V1", True))
    with pytest.raises(EditRejected, match="track V1 is locked"):
        edits.set_item_metadata(tl, item_id, "studio.ui", {"link": "x"})


def test_split_makes_two_contiguous_items_showing_the_same_footage() -> None:
    tl = base()
    item_id = place(tl, at=F(2), source_in=F(1), source_out=F(9))
    run(tl, edits.set_fades(tl, item_id, fade_in=F(1), fade_out=F(2)))
    ops = run(tl, edits.split_item(tl, item_id, F(5)))
    left, right = tl.items[item_id], tl.items[ops[1]["id"]]
    assert (left.start, left.end, right.start, right.end) == (2, 5, 5, 10)
    assert (left.source_out, right.source_in, right.source_out) == (4, 4, 9)
    assert (left.fade_in, left.fade_out, right.fade_in, right.fade_out) == (1, 0, 0, 2)
    assert right.clip == left.clip
    with pytest.raises(EditRejected, match="not inside"):
        edits.split_item(tl, item_id, F(5))


def test_ripple_remove_closes_the_gap_on_its_own_track_only() -> None:
    tl = base()
    a, b, c = place(tl, source_out=F(2)), place(tl, source_out=F(3)), place(tl, source_out=F(4))
    song = place(tl, SONG, "A1", at=F(6))
    run(tl, edits.ripple_remove(tl, b))
    assert b not in tl.items
    assert (tl.items[a].start, tl.items[c].start) == (0, 2)
    assert tl.items[song].start == 6


def test_remove_track_takes_its_items_in_the_same_step_and_undoes_whole() -> None:
    tl = base()
    place(tl)
    place(tl)
    before = tl.snapshot()
    ops = run(tl, edits.remove_track(tl, "V1"))
    assert [o["entity"] for o in ops] == ["item", "item", "track"]
    assert tl.track_by_name("V1") is None and not tl.items
    run(tl, inverse_ops(ops))
    assert tl == before


def test_item_settings_and_titles() -> None:
    tl = base()
    item_id = place(tl)
    run(tl, edits.set_gain(tl, item_id, -6.5))
    run(tl, edits.set_item_muted(tl, item_id, True))
    assert (tl.items[item_id].gain_db, tl.items[item_id].muted) == (-6.5, True)
    with pytest.raises(EditRejected, match="between -100 and 40 dB"):
        edits.set_gain(tl, item_id, 41)
    with pytest.raises(EditRejected, match="is a clip, not a title"):
        edits.set_text(tl, item_id, "hello")
    title = run(tl, edits.add_title(tl, "V1", "Harbour Days", duration=F(3)))[0]["id"]
    assert (tl.items[title].start, tl.items[title].kind, tl.items[title].clip) == (10, "title", None)
    run(tl, edits.set_text(tl, title, "Harbour Nights"))
    assert tl.items[title].text == "Harbour Nights"
    with pytest.raises(EditRejected, match="goes on a video track"):
        edits.add_title(tl, "A1", "no")


def test_markers_carry_notes() -> None:
    tl = base()
    marker = run(tl, edits.add_marker(tl, F(3, 2), "louder here", author="Ann"))[0]["id"]
    run(tl, edits.edit_marker(tl, marker, note="much louder", done=True))
    assert (tl.markers[marker].note, tl.markers[marker].done, tl.markers[marker].at) == (
        "much louder",
        True,
        F(3, 2),
    )
    run(tl, edits.remove_marker(tl, marker))
    assert not tl.markers
    with pytest.raises(NotFound):
        edits.edit_marker(tl, marker, note="x")


def test_item_lookup_by_unique_prefix() -> None:
    tl = base()
    run(tl, edits.insert_item(tl, VIDEO, "V1", item_id="abc123"))
    run(tl, edits.insert_item(tl, VIDEO, "V1", item_id="abd456"))
    assert edits.find_item(tl, "abc").id == "abc123"
    with pytest.raises(NotFound, match="ambiguous"):
        edits.find_item(tl, "ab")
    with pytest.raises(NotFound, match="no item 'zz'"):
        edits.find_item(tl, "zz")


def concurrent_gain_conflict() -> tuple[Timeline, str, str]:
    """Two people set one item's gain from the same starting value: both values are kept."""
    tl = base()
    item_id = place(tl)
    item = tl.items[item_id]
    mine, theirs = set_fields(item, gain_db=-3.0), set_fields(item, gain_db=-9.0)
    apply(tl, mine, "me:1")
    apply(tl, theirs, "them:1")
    (conflict,) = tl.conflicts.values()
    return tl, item_id, conflict.id


def test_resolving_a_field_conflict_picks_a_value_or_keeps_the_current_one() -> None:
    tl, item_id, cid = concurrent_gain_conflict()
    assert tl.items[item_id].gain_db == -9.0
    run(tl, edits.resolve_conflict(tl, cid, 1))
    assert tl.items[item_id].gain_db == -3.0 and not tl.conflicts
    tl, item_id, cid = concurrent_gain_conflict()
    run(tl, edits.resolve_conflict(tl, cid))
    assert tl.items[item_id].gain_db == -9.0 and not tl.conflicts
    tl, item_id, cid = concurrent_gain_conflict()
    with pytest.raises(EditRejected, match="choose 0 to 1"):
        edits.resolve_conflict(tl, cid, 2)


def test_resolving_an_edit_delete_conflict_keeps_or_completes_the_deletion() -> None:
    for choice, survives in ((None, True), (1, False)):
        tl = base()
        item_id = place(tl)
        item = tl.items[item_id]
        removal = edits.remove_item(tl, item_id)[0]
        apply(tl, set_fields(item, gain_db=-3.0), "me:1")
        apply(tl, removal, "them:1")  # lands on an edited item: kept and flagged
        (conflict,) = tl.conflicts.values()
        assert conflict.kind == "deleted" and item_id in tl.items
        run(tl, edits.resolve_conflict(tl, conflict.id, choice))
        assert (item_id in tl.items) is survives and not tl.conflicts


@given(st.fractions(min_value=-(10**6), max_value=10**6, max_denominator=10**7))
def test_format_seconds_is_exact(t: F) -> None:
    text = edits.format_seconds(t)
    assert F(text) == t
    if t.denominator in (1, 2, 4, 5, 8, 10, 100):
        assert "/" not in text
