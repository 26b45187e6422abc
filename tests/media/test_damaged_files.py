"""Real encodes cut short or corrupted, as downloads and copies leave them: probe() reports the length
their data holds (measured here by ffmpeg decoding it to raw PCM), never the one their header claims,
and refuses what cannot be decoded; the library then refuses items past that real end."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from studio.core.errors import InvalidInput, MediaError
from studio.media.formats import get_format
from studio.media.probe import probe
from studio.media.render import plan_render
from tests import mediagen
from tests.media.test_render_plan import clip_for, clip_map, timeline

RATE = 44100


def truncated(source: Path, path: Path, size: int) -> Path:
    path.write_bytes(source.read_bytes()[:size])
    return path


def decoded_seconds(path: Path) -> Fraction:
    """How much sound ffmpeg decodes from `path` (raw mono s16 at RATE), errors and all."""
    done = subprocess.run(
        [mediagen.ffmpeg(), "-v", "quiet", "-i", str(path), "-vn", "-ac", "1", "-ar", str(RATE),
         "-f", "s16le", "-"], capture_output=True)
    return Fraction(len(done.stdout), 2 * RATE)


def header_seconds(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        return container.duration / 1e6


@pytest.mark.parametrize(("suffix", "keep"), [(".flac", 32 * 1024), (".mp3", 24 * 1024), (".wav", 5000),
                                              (".ogg", 16 * 1024)])
def test_a_file_cut_short_has_the_length_its_data_holds(media_dir: Path, tmp_path: Path, suffix: str,
                                                        keep: int) -> None:
    whole = mediagen.make_audio(media_dir / f"whole20{suffix}", 20, sample_rate=RATE)
    cut = truncated(whole, tmp_path / f"cut{suffix}", keep)
    info = probe(cut)
    real = decoded_seconds(cut)
    assert 0 < real < 10
    assert abs(info.duration - real) <= Fraction(1, 20), (info.duration, real, header_seconds(cut))
    assert abs(probe(whole).duration - 20) <= Fraction(1, 20)  # an intact file keeps its length


def test_aifc_header_without_data_is_refused(media_dir: Path, tmp_path: Path) -> None:
    whole = media_dir / "whole.aifc"
    if not whole.exists():
        mediagen.run(["-f", "lavfi", "-i", "sine=duration=30", "-c:a", "pcm_alaw", "-f", "aiff", whole])
    cut = truncated(whole, tmp_path / "cut.aifc", 100)
    assert header_seconds(cut) > 20  # the header still claims the whole length
    with pytest.raises(MediaError, match=r"cut\.aifc is damaged or cut short: its header claims 30\.000 s"):
        probe(cut)


def test_corrupted_sound_is_refused_by_name(media_dir: Path, tmp_path: Path) -> None:
    whole = mediagen.make_audio(media_dir / "whole5.flac", 5, sample_rate=RATE)
    data = bytearray(whole.read_bytes())
    header = 8192  # STREAMINFO, seek table and the first frames stay; everything after is noise
    data[header:] = bytes((i * 97 + 13) % 256 for i in range(len(data) - header))
    broken = tmp_path / "noise.flac"
    broken.write_bytes(bytes(data))
    try:
        info = probe(broken)
    except MediaError as exc:
        assert "noise.flac" in str(exc)
    else:  # what did decode is all it is credited with
        assert info.duration is not None and info.duration <= decoded_seconds(broken) + Fraction(1, 20)
        assert info.duration < 5


def test_items_past_the_real_end_are_refused(media_dir: Path, tmp_path: Path) -> None:
    whole = mediagen.make_audio(media_dir / "whole20.flac", 20, sample_rate=RATE)
    cut = clip_for(truncated(whole, tmp_path / "cut.flac", 32 * 1024))
    tl = timeline([("A1", [dict(clip=cut, start=0, source_in=5, duration=10)])])
    with pytest.raises(InvalidInput, match="item outside its clip"):
        plan_render(tl, clip_map(cut), get_format("wav"))


def test_a_library_copy_damaged_after_import_is_named_by_its_clip(media_dir: Path, tmp_path: Path) -> None:
    from studio.core.clips import Credit
    from studio.core.library import get_clip
    from studio.services.export import export_timeline
    from studio.services.library import import_files
    from studio.services.projects import add_clip, new_project, open_project, open_store

    source = mediagen.make_video(media_dir / "harbour-at-dawn.mp4", 1, size="160x120")
    with open_store() as store:
        (imported,) = import_files(
            store, [source], title="Harbour at dawn", creators=[Credit("Ann")], licence="CC-BY-4.0"
        )
        clip = get_clip(store, imported.clip.id)
        assert clip.path is not None
        new_project(store, "dawn")
        add_clip(open_project(store, "dawn"), clip.id, track="V1")
        data = bytearray(clip.path.read_bytes())
        data[len(data) // 3:] = bytes(len(data) - len(data) // 3)  # the disk lost two thirds of it
        clip.path.chmod(0o644)
        clip.path.write_bytes(bytes(data))
        with pytest.raises(MediaError) as err:
            export_timeline("dawn", tmp_path / "dawn.mp4", store=store)
    assert "clip 'Harbour at dawn'" in str(err.value) and str(clip.path) in str(err.value)
    assert not (tmp_path / "dawn.mp4").exists()


@pytest.mark.parametrize(("suffix", "codec"), [(".h264", "libx264"), (".m2v", "mpeg2video")])
def test_elementary_streams_without_a_length_in_their_header(media_dir: Path, suffix: str,
                                                             codec: str) -> None:
    path = media_dir / f"elementary{suffix}"
    if not path.exists():
        mediagen.run(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=3", "-c:v", codec,
                      "-f", {".h264": "h264", ".m2v": "mpeg2video"}[suffix], path])
    assert header_seconds_or_none(path) is None
    crcs = subprocess.run([mediagen.ffmpeg(), "-v", "error", "-i", str(path), "-f", "framecrc", "-"],
                          capture_output=True, text=True, check=True).stdout
    frames = sum(1 for line in crcs.splitlines() if line and not line.startswith("#"))
    assert frames == 75
    assert probe(path).duration == Fraction(frames, 25)


def header_seconds_or_none(path: Path) -> float | None:
    import av

    with av.open(str(path)) as container:
        return None if container.duration is None else container.duration / 1e6
