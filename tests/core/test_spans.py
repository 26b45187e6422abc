"""Cutting a timeline to a span: every moment inside shows the same footage as before, shifted to 0."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studio.core import edits
from studio.core.errors import InvalidInput
from studio.core.ops import Op, apply
from studio.core.spans import cut_to_span
from studio.core.timeline import Conflict, Timeline
from tests.core.conftest import make_clip

VIDEO = make_clip("harbour", "video", F(10))
SONG = make_clip("song", "audio", F(30))


def run(tl: Timeline, ops: list[Op]) -> None:
    for op in ops:
        apply(tl, op)


def sample() -> Timeline:
    """V1: footage 0-4 (source 2-6), a title 4-7, footage 9-15 (source 0-6); A1: song 1-21."""
    tl = Timeline()
    run(tl, edits.add_track(tl, "video"))
    run(tl, edits.add_track(tl, "audio"))
    run(tl, edits.insert_item(tl, VIDEO, "V1", at=F(0), source_in=F(2), source_out=F(6), item_id="a"))
    run(tl, edits.add_title(tl, "V1", "Hi", at=F(4), duration=F(3), item_id="t"))
    run(tl, edits.insert_item(tl, VIDEO, "V1", at=F(9), source_in=F(0), source_out=F(6), item_id="b"))
    run(tl, edits.insert_item(tl, SONG, "A1", at=F(1), source_in=F(0), source_out=F(20), item_id="s"))
    return tl


def shown_at(tl: Timeline, track: str, t: F) -> tuple[str, F] | None:
    """Which item covers time t on a track, and which moment of its source it shows there."""
    for item in tl.items.values():
        if item.track == track and item.start <= t < item.end:
            return item.id, item.source_in + (t - item.start)
    return None


times = st.fractions(min_value=0, max_value=22, max_denominator=8)


@given(times, times, times)
def test_every_moment_inside_the_span_shows_what_it_showed_before(a: F, b: F, probe: F) -> None:
    start, end = sorted((a, b))
    if start == end:
        return
    tl = sample()
    before = tl.to_dict()
    cut = cut_to_span(tl, start, end)
    assert tl.to_dict() == before  # the timeline itself is untouched
    assert cut.duration <= end - start
    t = start + (probe % (end - start))
    for track in tl.tracks:
        expected = shown_at(tl, track, t)
        got = shown_at(cut, track, t - start)
        if expected is not None and tl.items[expected[0]].kind == "title":
            assert got is not None and got[0] == expected[0]
        else:
            assert got == expected


def test_items_are_cut_at_both_ends_and_fades_keep_their_part_inside() -> None:
    tl = sample()
    run(tl, edits.set_fades(tl, "s", fade_in=F(3), fade_out=F(2)))
    run(tl, edits.set_fades(tl, "b", fade_in=F(1), fade_out=F(1)))
    run(tl, edits.add_marker(tl, F(5), "check the title", marker_id="m-in"))
    run(tl, edits.add_marker(tl, F(1), "too early", marker_id="m-out"))
    cut = cut_to_span(tl, F(3), F(10))
    assert sorted(cut.items) == ["a", "b", "s", "t"]
    a, title, b, song = cut.items["a"], cut.items["t"], cut.items["b"], cut.items["s"]
    assert (a.start, a.duration, a.source_in) == (0, 1, 5)
    assert (title.start, title.duration, title.source_in, title.text) == (1, 3, 0, "Hi")
    assert (b.start, b.duration, b.source_in, b.fade_in, b.fade_out) == (6, 1, 0, 1, 0)
    assert (song.start, song.duration, song.source_in) == (0, 7, 2)
    assert (song.fade_in, song.fade_out) == (1, 0)  # 2 s of its 3 s fade in were before the span
    assert {m.id: m.at for m in cut.markers.values()} == {"m-in": 2}
    assert cut.duration == 7
    assert cut.tracks == tl.tracks and cut.settings == tl.settings


def test_conflicts_about_items_left_out_are_left_out_too() -> None:
    tl = sample()
    for cid, entity, target in (("c1", "item", "b"), ("c2", "item", "a"), ("c3", "timeline", "")):
        tl.conflicts[cid] = Conflict(id=cid, kind="field", entity=entity, target=target, field="muted",
                                     values=[False, True])  # fmt: skip
    cut = cut_to_span(tl, F(0), F(5))
    assert sorted(cut.conflicts) == ["c2", "c3"]


def test_a_span_must_lie_forward_from_zero() -> None:
    tl = sample()
    with pytest.raises(InvalidInput, match="cannot start before 0"):
        cut_to_span(tl, F(-1), F(2))
    with pytest.raises(InvalidInput, match="must end after it starts"):
        cut_to_span(tl, F(3), F(3))
