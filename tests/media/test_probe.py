"""probe() on ordinary and awkward inputs, checked against ffmpeg's own description of the file."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from studio.core.errors import MediaError
from studio.media.probe import MediaInfo, probe
from tests import mediagen


def ffmpeg_duration(path: Path) -> Fraction:
    match = re.search(r"Duration: (\d+):(\d\d):(\d\d)\.(\d\d)", mediagen.ffmpeg_info(path))
    assert match, mediagen.ffmpeg_info(path)
    h, m, s, cs = map(int, match.groups())
    return Fraction(h * 3600 + m * 60 + s) + Fraction(cs, 100)


def stream_line(path: Path, kind: str) -> str:
    lines = [line for line in mediagen.ffmpeg_info(path).splitlines() if f": {kind}:" in line]
    assert lines, mediagen.ffmpeg_info(path)
    return lines[0]


def test_plain_clip_matches_ffmpeg(clip: Path) -> None:
    info = probe(clip)
    video_line, audio_line = stream_line(clip, "Video"), stream_line(clip, "Audio")
    assert info.has_video and info.has_audio and not info.is_image
    assert f"{info.video.width}x{info.video.height}" in video_line
    assert "320x240" in video_line
    assert re.search(rf"\b{info.video.frame_rate} fps", video_line)
    assert info.video.frame_rate == 25
    assert info.video.codec == "h264" and "h264" in video_line
    assert info.video.pix_fmt == "yuv420p" and "yuv420p" in video_line
    assert info.video.rotation == 0 and not info.video.variable_frame_rate
    assert f"{info.audio.sample_rate} Hz, {info.audio.channel_layout}" in audio_line
    assert (info.audio.sample_rate, info.audio.channels, info.audio.codec) == (48000, 2, "aac")
    assert abs(info.duration - ffmpeg_duration(clip)) <= Fraction(1, 100)
    assert info.container.startswith("mov,mp4")


def test_variable_frame_rate_is_flagged(media_dir: Path) -> None:
    path = mediagen.make_vfr_video(media_dir / "vfr.mp4", 3)
    info = probe(path)
    assert info.video.variable_frame_rate
    assert not info.has_audio
    # 30 frames in the first second, then 10 a second: ffmpeg's average is well below 30
    fps = float(re.search(r"([\d.]+) fps", stream_line(path, "Video")).group(1))
    assert abs(float(info.video.frame_rate) - fps) < 0.05
    assert 10 < fps < 30


def test_variable_frame_rate_in_matroska(media_dir: Path) -> None:
    path = media_dir / "vfr.mkv"
    if not path.exists():
        mediagen.run(["-i", mediagen.make_vfr_video(media_dir / "vfr.mp4", 3), "-c", "copy", path])
    assert probe(path).video.variable_frame_rate


@pytest.mark.parametrize("rate", ["25", "30000/1001"])
def test_constant_rates_are_not_variable(media_dir: Path, rate: str) -> None:
    for suffix in (".mp4", ".mkv"):
        path = mediagen.make_video(
            media_dir / f"cfr{rate.replace('/', '_')}{suffix}", 2, rate=rate, audio=False
        )
        info = probe(path)
        assert not info.video.variable_frame_rate, path
        assert info.video.frame_rate == Fraction(rate)


def test_odd_size(media_dir: Path) -> None:
    path = mediagen.make_odd_size_video(media_dir / "odd.mp4")
    info = probe(path)
    assert (info.video.width, info.video.height) == (853, 480)
    assert "853x480" in stream_line(path, "Video")


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_from_display_matrix(media_dir: Path, rotation: int) -> None:
    path = mediagen.make_rotated_video(media_dir / f"rot{rotation}.mp4", rotation)
    info = probe(path)
    text = mediagen.ffmpeg_info(path)
    shown = float(re.search(r"rotation of (-?[\d.]+) degrees", text).group(1))
    assert info.video.rotation == round(shown) % 360 == rotation
    assert (info.video.width, info.video.height) == (320, 240)
    expected = (240, 320) if rotation in (90, 270) else (320, 240)
    assert info.video.display_size == expected


def test_audio_only_mono_and_51(media_dir: Path) -> None:
    mono = mediagen.make_audio(media_dir / "mono44.flac", 1, sample_rate=44100, channels=1)
    surround = mediagen.make_audio(media_dir / "surround.flac", 1, sample_rate=48000, channels=6)
    a, b = probe(mono), probe(surround)
    assert not a.has_video and not a.is_image
    assert (a.audio.sample_rate, a.audio.channels, a.audio.channel_layout) == (44100, 1, "mono")
    assert "44100 Hz, mono" in stream_line(mono, "Audio")
    assert (b.audio.sample_rate, b.audio.channels) == (48000, 6)
    assert b.audio.channel_layout in stream_line(surround, "Audio") and "5.1" in b.audio.channel_layout


@pytest.mark.parametrize("suffix", [".mp3", ".ogg", ".opus", ".m4a", ".wav"])
def test_audio_formats(media_dir: Path, suffix: str) -> None:
    path = mediagen.make_audio(media_dir / f"fmt{suffix}", 1)
    info = probe(path)
    assert info.has_audio and not info.has_video
    assert f"{info.audio.sample_rate} Hz" in stream_line(path, "Audio")
    assert abs(info.duration - ffmpeg_duration(path)) <= Fraction(5, 100)


def test_video_only(media_dir: Path) -> None:
    info = probe(mediagen.make_video(media_dir / "silent.mp4", 1, audio=False))
    assert info.has_video and not info.has_audio and not info.is_image


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_still_images(media_dir: Path, suffix: str) -> None:
    path = mediagen.make_image(media_dir / f"wide200x100{suffix}", "200x100")
    info = probe(path)
    assert info.is_image and info.has_video and not info.has_audio
    assert info.duration is None
    assert (info.video.width, info.video.height) == (200, 100)


def test_truncated_mp4_names_the_file(media_dir: Path) -> None:
    path = mediagen.make_truncated_mp4(media_dir / "cut.mp4")
    with pytest.raises(MediaError) as err:
        probe(path)
    assert str(path) in str(err.value) and "moov" in str(err.value)


def test_truncated_faststart_mp4_names_the_file(media_dir: Path) -> None:
    path = mediagen.make_truncated_mp4(media_dir / "cut_fast.mp4", faststart=True)
    with pytest.raises(MediaError) as err:
        probe(path)
    assert str(path) in str(err.value) and "truncated" in str(err.value)


@pytest.mark.parametrize("name", ["notes.mp4", "notes.txt"])
def test_not_media(media_dir: Path, name: str) -> None:
    path = mediagen.make_not_media(media_dir / name)
    with pytest.raises(MediaError) as err:
        probe(path)
    assert str(path) in str(err.value) and "not a media file" in str(err.value)


def test_missing_and_empty(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no such file"):
        probe(tmp_path / "gone.mp4")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        probe(empty)


def test_dict_round_trip(clip: Path, media_dir: Path, still: Path) -> None:
    import json

    for path in (clip, still, mediagen.make_vfr_video(media_dir / "vfr.mp4", 3)):
        info = probe(path)
        doc = json.loads(json.dumps(info.to_dict()))
        assert MediaInfo.from_dict(doc) == info
    with pytest.raises(MediaError):
        MediaInfo.from_dict({"schema": "other"})
