"""Thumbnails from one ffmpeg pass: count, size, the right frames, cache reuse; posters."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from studio.core.errors import MediaError
from studio.core.paths import cache_dir
from studio.media.probe import probe
from studio.media.thumbnails import poster, thumbnails
from tests import mediagen

SHA = "ab" * 32


def reference_frame(path: Path, at: float, height: int) -> Image.Image:
    """The frame at `at` s, scaled the same way, extracted by ffmpeg with an exact seek."""
    out = path.parent / f".ref-{path.stem}-{at}-{height}.png"
    if not out.exists():
        mediagen.run(["-i", path, "-ss", str(at), "-frames:v", "1", "-vf", f"scale=-2:{height}", out])
    return Image.open(out).convert("RGB")


def distance(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean)


@pytest.mark.parametrize(("every", "expected"), [(1, 2), ("1/2", 4), (0.4, 5)])
def test_count_and_size(clip: Path, every: object, expected: int) -> None:
    paths = thumbnails(clip, SHA, every_s=every, height=60)
    duration = probe(clip).duration
    assert len(paths) == expected == math.ceil(duration / Fraction(str(every)))
    for p in paths:
        with Image.open(p) as img:
            assert img.format == "JPEG" and img.size == (80, 60)
    assert paths[0].parent.parent == cache_dir() / "thumbs" / "v1" / SHA[:2] / SHA


def test_thumbnail_i_shows_time_i_times_every(media_dir: Path) -> None:
    path = mediagen.make_video(media_dir / "moving.mp4", 3, audio=False)
    paths = thumbnails(path, SHA, every_s=1, height=120)
    assert len(paths) == 3
    for i, p in enumerate(paths[1:], start=1):
        thumb = Image.open(p)
        exact, before = reference_frame(path, i, 120), reference_frame(path, i - 0.04, 120)
        assert distance(thumb, exact) < distance(thumb, before)


def test_cache_is_reused_without_ffmpeg(clip: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first = thumbnails(clip, SHA, every_s=1, height=48)
    stamps = [p.stat().st_mtime_ns for p in first]
    monkeypatch.setenv("STUDIO_FFMPEG", str(tmp_path / "missing-ffmpeg"))
    assert thumbnails(clip, SHA, every_s=1, height=48) == first
    assert [p.stat().st_mtime_ns for p in first] == stamps
    with pytest.raises(MediaError, match="STUDIO_FFMPEG"):
        thumbnails(clip, SHA, every_s=1, height=50)
    assert not any(p.name.startswith(".") for p in first[0].parent.parent.iterdir())


def test_rotated_and_odd_sizes_keep_display_shape(media_dir: Path) -> None:
    rotated = mediagen.make_rotated_video(media_dir / "rot90.mp4", 90)
    (thumb,) = thumbnails(rotated, "cd" * 32, every_s=1, height=64)[:1]
    assert Image.open(thumb).size == (48, 64)
    odd = mediagen.make_odd_size_video(media_dir / "odd.mp4")
    sizes = {Image.open(p).size for p in thumbnails(odd, "ef" * 32, every_s=1, height=45)}
    assert sizes == {(80, 45)}


def test_still_image_gives_one(still: Path) -> None:
    paths = thumbnails(still, "12" * 32, every_s=1, height=30)
    assert len(paths) == 1 and Image.open(paths[0]).size == (40, 30)


def test_no_picture(tone: Path) -> None:
    with pytest.raises(MediaError, match="no picture"):
        thumbnails(tone, "34" * 32)


def test_poster(clip: Path) -> None:
    path = poster(clip, SHA, at=1, height=90)
    assert Image.open(path).size == (120, 90)
    image = Image.open(path)
    assert distance(image, reference_frame(clip, 1, 90)) < distance(image, reference_frame(clip, 0.96, 90))
    late = poster(clip, SHA, at=60, height=90)
    assert Image.open(late).size == (120, 90)
    assert poster(clip, SHA, at=1, height=90) == path
