"""Rendering timelines with the real ffmpeg, checked with readers we did not write: PyAV for streams,
frames and samples, and the ffmpeg binary's own volumedetect and stream description."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from studio.core.cancel import CancelToken
from studio.core.clips import Clip
from studio.core.errors import Cancelled, InvalidInput, MediaError
from studio.core.timeline import Timeline
from studio.media.formats import FORMATS, get_format
from studio.media.render import INLINE_GRAPH_LIMIT, find_font, plan_render, run_plan
from studio.media.render_plan import DrawText, TitleImages, TitleMode
from tests import mediagen
from tests.media.test_render_plan import clip_for, clip_map, timeline

# --- media made for these tests -------------------------------------------------------------------


def _make(path: Path, args: list[str]) -> Path:
    if not path.exists():
        tmp = path.with_name(f".{path.stem}.part{os.getpid()}{path.suffix}")
        mediagen.run([*args, tmp])
        os.replace(tmp, path)
    return path


def solid(folder: Path, colour: str, seconds: float = 3) -> Path:
    """A flat-colour 320x240 25 fps H.264 clip without sound."""
    src = f"color=c={colour}:s=320x240:r=25:d={seconds}"
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    return _make(folder / f"{colour}.mp4", ["-f", "lavfi", "-i", src, *encode])


def counter(folder: Path) -> Path:
    """2 s at 25 fps whose frame n is flat grey at luma 16 + 4n (lossless), so a frame tells its index."""
    src = "nullsrc=s=320x240:r=25:d=2,geq=lum='16+4*N':cb=128:cr=128"
    return _make(folder / "counter.mp4", ["-f", "lavfi", "-i", src, "-c:v", "libx264", "-preset", "ultrafast",
                                          "-qp", "0", "-pix_fmt", "yuv420p"])


def click(folder: Path, ext: str) -> Path:
    """2 s of silence at 48 kHz with one loud sample at 0.5 s (sample 24000)."""
    src = "aevalsrc='if(eq(n,24000),0.9,0)':s=48000:d=2"
    codec = {".wav": ["-c:a", "pcm_s16le"], ".mp3": ["-c:a", "libmp3lame", "-b:a", "192k"],
             ".m4a": ["-c:a", "aac", "-b:a", "192k"]}[ext]
    return _make(folder / f"click{ext}", ["-f", "lavfi", "-i", src, *codec])


# --- readers --------------------------------------------------------------------------------------


def ffmpeg_duration(path: Path) -> float:
    match = re.search(r"Duration: (\d+):(\d\d):(\d\d\.\d+)", mediagen.ffmpeg_info(path))
    assert match, mediagen.ffmpeg_info(path)
    h, m, s = match.groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


def streams(path: Path) -> dict[str, Any]:
    with av.open(str(path)) as c:
        out: dict[str, Any] = {"duration": c.duration / 1e6 if c.duration else None}
        for s in c.streams:
            cc = s.codec_context
            if s.type == "video":
                out["video"] = {"codec": cc.codec.canonical_name, "size": (cc.width, cc.height),
                                "rate": s.average_rate}
            elif s.type == "audio":
                out["audio"] = {"codec": cc.codec.canonical_name, "rate": cc.sample_rate,
                                "channels": cc.layout.nb_channels}
        return out


def frames(path: Path) -> list[tuple[float, np.ndarray]]:
    """Every decoded picture as (time, RGB array)."""
    with av.open(str(path)) as c:
        return [(float(f.time), f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]


def frame_at(path: Path, t: float) -> np.ndarray:
    return min(frames(path), key=lambda tf: abs(tf[0] - t))[1]


def samples(path: Path) -> np.ndarray:
    """Decoded sound as float (channels, n)."""
    with av.open(str(path)) as c:
        cc = c.streams.audio[0].codec_context
        channels, planar = cc.layout.nb_channels, cc.format.is_planar
        data = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
    if not planar:  # packed: one row of interleaved samples
        data = data.reshape(-1, channels).T
    if data.dtype == np.int16:
        data = data.astype(np.float64) / 32768
    return data


def volume(path: Path, start: float, seconds: float) -> tuple[float, float]:
    """(mean, max) volume in dB of a stretch of the output, from ffmpeg's volumedetect."""
    stderr = subprocess.run([mediagen.ffmpeg(), "-hide_banner", "-nostdin", "-i", str(path), "-af",
                             f"atrim={start}:{start + seconds},volumedetect", "-f", "null", "-"],
                            capture_output=True, text=True).stderr
    mean = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", stderr)
    peak = re.search(r"max_volume: (-?[\d.]+|-inf) dB", stderr)
    assert mean and peak, stderr
    return float(mean.group(1)), float(peak.group(1))


def near(rgb: np.ndarray, colour: tuple[int, int, int], tol: int = 40) -> bool:
    return bool(np.all(np.abs(rgb.reshape(-1, 3).mean(axis=0) - np.array(colour)) < tol))


# --- helpers --------------------------------------------------------------------------------------


def render(
    tl: Timeline, clips: dict[str, Clip], out: Path, *, titles: TitleMode | None = None, **kw: Any
) -> Path:
    fmt = get_format(out.suffix.lstrip("."))
    return run_plan(plan_render(tl, clips, fmt, titles=titles), out, **kw)


@pytest.fixture(scope="module")
def av_clip(media_dir: Path) -> Clip:
    return clip_for(mediagen.make_video(media_dir / "clip.mp4", 2))


@pytest.fixture(scope="module")
def tone(media_dir: Path) -> Clip:
    return clip_for(mediagen.make_audio(media_dir / "tone-2s.wav", 2))


# --- formats --------------------------------------------------------------------------------------

EXPECTED_CODECS = {
    "mp4": ("h264", "aac"), "webm": ("vp9", "opus"), "mkv": ("h264", "aac"), "m4a": (None, "aac"),
    "mp3": (None, "mp3"), "wav": (None, "pcm_s16le"), "flac": (None, "flac"), "ogg": (None, "vorbis"),
}


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_has_its_codecs_and_duration(name: str, av_clip: Clip, tmp_path: Path) -> None:
    tl = timeline([("V1", [dict(clip=av_clip, start=0, duration="1.5", source_in="0.25")]),
                   ("A1", [dict(clip=av_clip, start=0, duration="1.5", source_in="0.25")])])
    out = render(tl, clip_map(av_clip), tmp_path / "out" / f"piece.{name}")
    info = streams(out)
    video, audio = EXPECTED_CODECS[name]
    assert info["audio"]["codec"] == audio
    assert info["audio"]["channels"] == 2
    assert info["audio"]["rate"] == (48000)
    if video:
        assert info["video"]["codec"] == video
        assert info["video"]["size"] == (320, 240) and info["video"]["rate"] == 25
    else:
        assert "video" not in info
    assert abs(ffmpeg_duration(out) - 1.5) <= 1 / 25
    assert abs(info["duration"] - 1.5) <= 1 / 25
    assert volume(out, 0.2, 1.0)[0] > -40  # the clip's tone is there
    assert [p.name for p in out.parent.iterdir()] == [out.name]


# --- picture --------------------------------------------------------------------------------------


def test_higher_track_covers_lower_only_while_it_plays(media_dir: Path, tmp_path: Path) -> None:
    red, blue = clip_for(solid(media_dir, "red")), clip_for(solid(media_dir, "blue"))
    tl = timeline([("V1", [dict(clip=red, start=0, duration=3)]),
                   ("V2", [dict(clip=blue, start=1, duration=1, source_in="0.5")])])
    out = render(tl, clip_map(red, blue), tmp_path / "layers.mp4")
    assert near(frame_at(out, 0.5), (255, 0, 0))
    assert near(frame_at(out, 1.5), (0, 0, 255))
    assert near(frame_at(out, 2.5), (255, 0, 0))


def test_gaps_are_black_and_silent(media_dir: Path, tone: Clip, tmp_path: Path) -> None:
    red = clip_for(solid(media_dir, "red"))
    tl = timeline([("V1", [dict(clip=red, start=0, duration=1), dict(clip=red, start=2, duration=1)]),
                   ("A1", [dict(clip=tone, start=0, duration=1), dict(clip=tone, start=2, duration=1)])])
    out = render(tl, clip_map(red, tone), tmp_path / "gaps.mp4")
    assert near(frame_at(out, 0.5), (255, 0, 0)) and near(frame_at(out, 2.5), (255, 0, 0))
    assert frame_at(out, 1.5).max() < 25
    assert volume(out, 1.2, 0.6)[1] < -60
    assert volume(out, 0.2, 0.6)[0] > -30 and volume(out, 2.2, 0.6)[0] > -30
    assert abs(ffmpeg_duration(out) - 3) <= 1 / 25


def test_picture_trim_lands_on_the_exact_frame(media_dir: Path, tmp_path: Path) -> None:
    source = counter(media_dir)
    lumas = [rgb.mean() for _t, rgb in frames(source)]
    tl = timeline([("V1", [dict(clip=clip_for(source), start="0.4", duration="0.6", source_in=1)])])
    out = render(tl, clip_map(clip_for(source)), tmp_path / "trim.mp4")
    got = [rgb.mean() for _t, rgb in frames(out)]
    assert len(got) == 25
    assert max(got[:10]) < 5  # the gap before the item is black
    for i in range(10, 25):  # output frame i shows source frame 25 + (i - 10)
        nearest = min(range(len(lumas)), key=lambda n: abs(lumas[n] - got[i]))
        assert nearest == 25 + i - 10, (i, got[i])


@pytest.mark.parametrize("ext", [".wav", ".mp3", ".m4a"])
def test_sound_trim_lands_on_the_exact_sample(ext: str, media_dir: Path, tmp_path: Path) -> None:
    source = clip_for(click(media_dir, ext))
    tl = timeline([("A1", [dict(clip=source, start="0.5", duration=1, source_in="0.25")])])
    out = render(tl, clip_map(source), tmp_path / "click.wav")
    data = samples(out)
    assert data.shape == (2, 72000)
    # the click at 0.5 s of the source plays 0.25 s into the item, which starts at 0.5 s: sample 36000
    assert int(np.argmax(np.abs(data[0]))) == 36000


def test_gain_fades_and_summing(tone: Clip, media_dir: Path, tmp_path: Path) -> None:
    tl = timeline([("A1", [dict(clip=tone, start=0, duration=1),
                           dict(clip=tone, start=1, duration=1, gain_db=-6),
                           dict(clip=tone, start=2, duration=1, fade_in="0.5", fade_out="0.25")]),
                   ("A2", [dict(clip=tone, start=3, duration=1)]),
                   ("A3", [dict(clip=tone, start=3, duration=1)])])
    out = render(tl, clip_map(tone), tmp_path / "levels.wav")
    full = volume(out, 0.1, 0.8)[0]
    assert volume(out, 1.1, 0.8)[0] == pytest.approx(full - 6, abs=0.3)
    assert volume(out, 2.0, 0.02)[0] < full - 20  # fading in
    assert volume(out, 2.2, 0.1)[0] == pytest.approx(full - 6, abs=1.5)  # halfway up the fade
    assert volume(out, 2.55, 0.15)[0] == pytest.approx(full, abs=0.3)
    assert volume(out, 2.98, 0.02)[0] < full - 20  # fading out
    assert volume(out, 3.1, 0.8)[0] == pytest.approx(full + 6.02, abs=0.3)  # two tones summed, not averaged


def test_picture_fade_from_black(media_dir: Path, tmp_path: Path) -> None:
    white = clip_for(solid(media_dir, "white"))
    tl = timeline([("V1", [dict(clip=white, start=0, duration=2, fade_in=1)])])
    out = render(tl, clip_map(white), tmp_path / "fade.mp4")
    assert frame_at(out, 0).mean() < 30
    assert 90 < frame_at(out, 0.5).mean() < 170
    assert frame_at(out, 1.5).mean() > 230


def test_mixed_rates_and_layouts_become_the_project_format(media_dir: Path, tmp_path: Path) -> None:
    mono = clip_for(mediagen.make_audio(media_dir / "mono44.wav", 1, sample_rate=44100, channels=1))
    surround = clip_for(mediagen.make_audio(media_dir / "surround.flac", 1, channels=6))
    video44 = clip_for(mediagen.make_video(media_dir / "v44.mp4", 1, sample_rate=44100, channels=1))
    tl = timeline([("V1", [dict(clip=video44, start=0, duration=1)]),
                   ("A1", [dict(clip=mono, start=0, duration=1), dict(clip=surround, start=1, duration=1),
                           dict(clip=video44, start=2, duration=1)])])
    for rate in (48000, 44100):
        tl.settings["sample_rate"] = rate
        out = render(tl, clip_map(mono, surround, video44), tmp_path / f"mixed{rate}.mp4")
        info = streams(out)
        assert info["audio"]["rate"] == rate and info["audio"]["channels"] == 2
        for start in (0.1, 1.1, 2.1):
            assert volume(out, start, 0.8)[0] > -40, (rate, start)
        assert abs(ffmpeg_duration(out) - 3) <= 1 / 25
    webm = render(tl, clip_map(mono, surround, video44), tmp_path / "mixed.webm")
    assert streams(webm)["audio"]["rate"] == 48000  # Opus takes 48 kHz only


def test_odd_size_and_rotated_sources_keep_their_shape(media_dir: Path, tmp_path: Path) -> None:
    wide = clip_for(mediagen.make_odd_size_video(media_dir / "wide.mp4", 1))
    turned = clip_for(mediagen.make_rotated_video(media_dir / "turned.mp4", 90))
    tl = timeline([("V1", [dict(clip=wide, start=0, duration=1), dict(clip=turned, start=1, duration=1)])])
    out = render(tl, clip_map(wide, turned), tmp_path / "shapes.mp4")
    wide_frame, turned_frame = frame_at(out, 0.5), frame_at(out, 1.5)
    # 853x480 in 320x240 is 320x180: bars of 30 rows above and below
    assert wide_frame[:26].max() < 25 and wide_frame[-26:].max() < 25
    assert wide_frame[34:206].mean() > 40
    # the phone clip shows upright, 240x320 -> 180x240: bars of 70 columns left and right
    assert turned_frame[:, :66].max() < 25 and turned_frame[:, -66:].max() < 25
    assert turned_frame[:, 74:246].mean() > 40


def test_still_image_is_held_for_its_item(media_dir: Path, tmp_path: Path) -> None:
    still = clip_for(mediagen.make_image(media_dir / "still.png"))
    tl = timeline([("V1", [dict(clip=still, start=0, duration="1.6")])])
    out = render(tl, clip_map(still), tmp_path / "still.mp4")
    got = frames(out)
    assert len(got) == 40
    first = got[0][1].astype(int)
    assert first.mean() > 40
    assert max(np.abs(rgb.astype(int) - first).mean() for _t, rgb in got) < 3


def test_variable_rate_source_becomes_constant(media_dir: Path, tmp_path: Path) -> None:
    vfr = clip_for(mediagen.make_vfr_video(media_dir / "vfr.mp4", 3))
    tl = timeline([("V1", [dict(clip=vfr, start=0, duration="2.8")])])
    out = render(tl, clip_map(vfr), tmp_path / "cfr.mp4")
    times = [t for t, _rgb in frames(out)]
    assert len(times) == 70
    assert np.allclose(np.diff(times), 1 / 25, atol=1e-3)


def test_sound_only_and_picture_only_clips(tone: Clip, media_dir: Path, tmp_path: Path) -> None:
    mute_video = clip_for(mediagen.make_video(media_dir / "noaudio.mp4", 1, audio=False))
    out = render(timeline([("A1", [dict(clip=tone, start=0, duration=1)])]), clip_map(tone),
                 tmp_path / "sound-only.mp4")
    info = streams(out)
    assert info["video"]["size"] == (320, 240) and frame_at(out, 0.5).max() < 25
    assert volume(out, 0.1, 0.8)[0] > -30
    out = render(timeline([("V1", [dict(clip=mute_video, start=0, duration=1)])]), clip_map(mute_video),
                 tmp_path / "picture-only.mp4")
    info = streams(out)
    assert info["audio"]["channels"] == 2 and volume(out, 0, 1)[1] < -80
    assert frame_at(out, 0.5).mean() > 40


def test_video_track_items_are_picture_only(av_clip: Clip, tmp_path: Path) -> None:
    """Sound comes from audio tracks; a muted item on a video track (a picture-only import) still shows."""
    tl = timeline([("V1", [dict(clip=av_clip, start=0, duration=1, muted=True)])])
    out = render(tl, clip_map(av_clip), tmp_path / "picture.mp4")
    assert frame_at(out, 0.5).mean() > 40
    assert volume(out, 0, 1)[1] < -80


def _title_modes(tmp: Path) -> list[TitleMode]:
    font = find_font()
    return ([DrawText(font)] if font else []) + [TitleImages(tmp / "cards")]


def test_titles_over_picture(media_dir: Path, tmp_path: Path) -> None:
    red = clip_for(solid(media_dir, "red"))
    tl = timeline([("V1", [dict(clip=red, start=0, duration=2)]),
                   ("V2", [dict(kind="title", text="Hello, it's: [us]", start="0.5", duration=1)])])
    modes = _title_modes(tmp_path)
    if len(modes) == 1:
        print("no system font found: only the Pillow title cards are exercised")
    for mode in modes:
        out = render(tl, clip_map(red), tmp_path / f"title-{type(mode).__name__}.mp4", titles=mode)
        with_title, without = frame_at(out, 1.0), frame_at(out, 1.8)
        centre = with_title[90:150, 40:280].reshape(-1, 3)
        assert (centre.min(axis=1) > 200).sum() > 100, mode  # white letters
        assert near(with_title[:20, :20], (255, 0, 0)) and near(without, (255, 0, 0))
        assert (without[90:150, 40:280].reshape(-1, 3).min(axis=1) > 200).sum() == 0


def test_many_cuts_pass_a_long_graph_through_a_file(av_clip: Clip, tone: Clip, tmp_path: Path) -> None:
    cut = Fraction(1, 10)
    items = [dict(clip=av_clip, start=i * cut, duration=cut, source_in=(i % 19) * cut) for i in range(60)]
    sound = [dict(clip=tone, start=i * cut, duration=cut, source_in=(i % 19) * cut) for i in range(60)]
    tl = timeline([("V1", items), ("A1", sound)])
    plan = plan_render(tl, clip_map(av_clip, tone), get_format("mp4"))
    assert len(plan.filtergraph) > INLINE_GRAPH_LIMIT
    out = run_plan(plan, tmp_path / "cuts.mp4")
    assert len(frames(out)) == 150
    assert abs(ffmpeg_duration(out) - 6) <= 1 / 25
    assert volume(out, 0.5, 5)[0] > -30
    assert not list((Path(os.environ["STUDIO_CACHE_DIR"]) / "graphs").iterdir())


# --- failures -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["truncated", "truncated-faststart", "not-media"])
def test_damaged_input_is_named_and_nothing_is_left(kind: str, av_clip: Clip, media_dir: Path,
                                                    tmp_path: Path) -> None:
    bad_path = {
        "truncated": lambda: mediagen.make_truncated_mp4(media_dir / "cut.mp4"),
        "truncated-faststart": lambda: mediagen.make_truncated_mp4(media_dir / "cut-fs.mp4", faststart=True),
        "not-media": lambda: mediagen.make_not_media(media_dir / "notes.mp4"),
    }[kind]()
    bad = Clip(id="e" * 64, title="bad", kind="video", duration=Fraction(2), has_video=True, has_audio=True,
               path=bad_path)
    tl = timeline([("V1", [dict(clip=av_clip, start=0, duration=1), dict(clip=bad, start=1, duration=1)]),
                   ("A1", [dict(clip=bad, start=1, duration=1)])])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(MediaError, match=re.escape(bad_path.name)):
        render(tl, clip_map(av_clip, bad), out_dir / "piece.mp4")
    assert list(out_dir.iterdir()) == []


def test_ffmpeg_failure_leaves_nothing(av_clip: Clip, tmp_path: Path) -> None:
    """An encoder that refuses the job (x264 takes no 20000-pixel-wide frame): a clean failure."""
    tl = timeline([("V1", [dict(clip=av_clip, start=0, duration=1)])], size=(20000, 16))
    out = tmp_path / "out" / "fail.mp4"
    out.parent.mkdir()
    with pytest.raises(MediaError, match=r"cannot render fail\.mp4.*: .*invalid width x height"):
        render(tl, clip_map(av_clip), out)
    assert list(out.parent.iterdir()) == []


def test_cancel_stops_ffmpeg_and_leaves_nothing(media_dir: Path, tmp_path: Path) -> None:
    still = clip_for(mediagen.make_image(media_dir / "still.png"))
    tl = timeline([("V1", [dict(clip=still, start=0, duration=120)])], size=(640, 480))
    token = CancelToken()
    seen: list[float] = []

    def progress(fraction: float, _message: str) -> None:
        seen.append(fraction)
        if fraction > 0:
            token.cancel()

    out = tmp_path / "out" / "long.mp4"
    out.parent.mkdir()
    with pytest.raises(Cancelled):
        render(tl, clip_map(still), out, progress=progress, cancel=token)
    assert seen and max(seen) < 0.9
    assert list(out.parent.iterdir()) == []


def test_cancel_from_another_thread(media_dir: Path, tmp_path: Path) -> None:
    still = clip_for(mediagen.make_image(media_dir / "still.png"))
    tl = timeline([("V1", [dict(clip=still, start=0, duration=120)])], size=(640, 480))
    token = CancelToken()
    threading.Timer(0.5, token.cancel).start()
    out = tmp_path / "out" / "long.mp4"
    out.parent.mkdir()
    with pytest.raises(Cancelled):
        render(tl, clip_map(still), out, cancel=token)
    assert list(out.parent.iterdir()) == []


def test_output_may_not_overwrite_an_input(av_clip: Clip, tmp_path: Path, copy_of: Any) -> None:
    source = clip_for(copy_of(av_clip.path))
    tl = timeline([("V1", [dict(clip=source, start=0, duration=1)])])
    before = source.path.read_bytes()
    with pytest.raises(InvalidInput, match="one of the render's inputs"):
        render(tl, clip_map(source), source.path)
    assert source.path.read_bytes() == before
