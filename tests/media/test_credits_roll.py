"""The credits roll: real renders read back with PyAV and the ffmpeg binary."""

from __future__ import annotations

import copy
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from studio.core.cancel import CancelToken
from studio.core.errors import Cancelled, InvalidInput
from studio.media.credits_roll import render_credits_roll, roll_lines
from tests import mediagen


def person(i: int, name: str, roles: list[str], bp: int) -> dict[str, Any]:
    return {"id": f"c{i}", "name": name, "roles": roles, "share_bp": bp}


BLOCK: dict[str, Any] = {
    "schema": "studio-credits/1",
    "work": {
        "id": "w1",
        "title": "Harbour Remix",
        "licence": "CC-BY-SA-4.0",
        "licence_url": "https://creativecommons.org/licenses/by-sa/4.0/",
        "exported": "2026-03-01T12:00:00Z",
        "duration_s": 12.0,
    },
    "contributors": [
        person(1, 'Zoë "Z" Ångström', ["camera", "editor"], 4500),
        person(2, "山田 花子", ["music"], 3333),
        person(3, "Line\nBreak; Ελένη", ["sound"], 2167),
    ],
    "sources": [
        {"clip": "a" * 64, "title": "Piece A", "kind": "video", "owner": "zoe", "licence": "CC-BY-4.0",
         "used_s": 4.0, "via": []},
        {"clip": "b" * 64, "title": "Dawn", "kind": "video", "owner": "yuri", "licence": "CC0-1.0",
         "used_s": 2.5, "via": ["a" * 64]},
    ],
    "share_method": "weighted-time/1",
    "share_params": {},
}  # fmt: skip


def long_block(people: int) -> dict[str, Any]:
    block = copy.deepcopy(BLOCK)
    base, extra = divmod(10000, people)
    block["contributors"] = [
        person(i, f"Person {i}", ["crew"], base + (1 if i < extra else 0)) for i in range(people)
    ]
    return block


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray") for f in container.decode(video=0)]


def test_lines_name_everyone_with_roles_and_shares() -> None:
    lines = [(line.text, line.style) for line in roll_lines(BLOCK)]
    assert ("Harbour Remix", "title") in lines
    assert ('Zoë "Z" Ångström', "name") in lines
    assert ("camera, editor · 45 %", "detail") in lines
    assert ("山田 花子", "name") in lines
    assert ("music · 33.33 %", "detail") in lines
    assert ("Line Break; Ελένη", "name") in lines
    assert ("sound · 21.67 %", "detail") in lines
    assert ("Dawn — yuri, CC0-1.0 (in Piece A)", "detail") in lines
    assert ("CC-BY-SA-4.0 https://creativecommons.org/licenses/by-sa/4.0/", "detail") in lines


def test_very_long_credits_are_cut_with_a_count() -> None:
    texts = [line.text for line in roll_lines(long_block(55))]
    assert "Person 39" in texts and "Person 40" not in texts
    assert "and 15 more (see the file's credits)" in texts


def test_roll_has_the_project_format_and_is_not_blank(tmp_path: Path) -> None:
    out = render_credits_roll(BLOCK, tmp_path / "roll.mp4", width=320, height=240, fps=Fraction(25),
                              duration=Fraction(2))  # fmt: skip
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (320, 240)
        assert video.average_rate == 25
        assert not container.streams.audio
        assert container.duration is not None
        assert abs(container.duration / av.time_base - 2.0) < 0.05
    frames = frames_of(out)
    assert len(frames) == 50
    for frame in (frames[0], frames[25], frames[-1]):
        assert frame.std() > 10, "the roll shows text, not a plain background"
    info = mediagen.ffmpeg_info(out)
    assert re.search(r"Duration: 00:00:0(1\.9\d|2\.0\d)", info), info
    assert re.search(r"Video: h264.*320x240", info), info


def test_long_roll_scrolls_and_short_roll_stands_still(tmp_path: Path) -> None:
    short = frames_of(render_credits_roll(long_block(1), tmp_path / "short.mp4", width=320, height=240,
                                          fps=Fraction(20), duration=Fraction(2)))  # fmt: skip
    assert np.abs(short[0].astype(int) - short[-1].astype(int)).mean() < 1.0
    roll = frames_of(render_credits_roll(long_block(30), tmp_path / "long.mp4", width=320, height=240,
                                         fps=Fraction(20), duration=Fraction(3)))  # fmt: skip
    assert len(roll) == 60
    # held at both ends, moving in the middle
    assert np.abs(roll[0].astype(int) - roll[5].astype(int)).mean() < 1.0
    assert np.abs(roll[-1].astype(int) - roll[-6].astype(int)).mean() < 1.0
    assert np.abs(roll[0].astype(int) - roll[-1].astype(int)).mean() > 5.0
    assert np.abs(roll[25].astype(int) - roll[35].astype(int)).mean() > 5.0


def test_webm_roll_at_ntsc_rate(tmp_path: Path) -> None:
    out = render_credits_roll(BLOCK, tmp_path / "roll.webm", width=160, height=120,
                              fps=Fraction(30000, 1001), duration=Fraction(1))  # fmt: skip
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "vp9"
        assert stream.average_rate == Fraction(30000, 1001)
        assert not container.streams.audio
    assert len(frames_of(out)) == 30


@pytest.mark.parametrize(
    "name, kwargs, fault",
    [
        ("roll.mp4", {"width": 321, "height": 240}, "even-sized"),
        ("roll.mp3", {"width": 320, "height": 240}, "not a video file"),
        ("roll.mp4", {"width": 320, "height": 240, "duration": Fraction(0)}, "positive"),
    ],
)
def test_bad_requests_are_refused(tmp_path: Path, name: str, kwargs: dict[str, Any], fault: str) -> None:
    kwargs.setdefault("fps", Fraction(25))
    with pytest.raises(InvalidInput, match=fault):
        render_credits_roll(BLOCK, tmp_path / name, **kwargs)
    assert not (tmp_path / name).exists()


def test_bad_block_is_refused(tmp_path: Path) -> None:
    block = copy.deepcopy(BLOCK)
    block["contributors"][0]["share_bp"] = 1
    with pytest.raises(InvalidInput, match="sum to"):
        render_credits_roll(block, tmp_path / "r.mp4", width=160, height=120, fps=Fraction(25))
    assert list(tmp_path.iterdir()) == []


def test_cancel_leaves_nothing(tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        render_credits_roll(BLOCK, tmp_path / "r.mp4", width=160, height=120, fps=Fraction(25), cancel=token)
    assert list(tmp_path.iterdir()) == []


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[float] = []
    render_credits_roll(BLOCK, tmp_path / "r.mp4", width=160, height=120, fps=Fraction(25),
                        duration=Fraction(1), progress=lambda f, _m: seen.append(f))  # fmt: skip
    assert seen and seen[-1] == 1.0
    assert seen == sorted(seen)
