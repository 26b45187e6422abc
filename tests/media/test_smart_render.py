"""Smart render: a cut-only H.264 timeline copies its sources' untouched GOPs and re-encodes only near
the cuts. Checked against the full render of the same timeline with ffmpeg's own psnr filter, its
decoder (not one error) and PyAV's frame count; anything that changes pixels falls back."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import av
import pytest

from studio.core.cancel import CancelToken
from studio.core.clips import Clip
from studio.core.errors import Cancelled
from studio.core.paths import cache_dir
from studio.core.projectfile import save_project_file
from studio.media.ffmpeg import ffmpeg_exe
from studio.media.formats import get_format
from studio.media.render import plan_render, run_plan, title_mode
from studio.media.smart_render import SmartPlan, plan_smart, run_smart
from tests import mediagen
from tests.media.test_render_plan import clip_for, clip_map, timeline

STUDIO = Path(sys.executable).with_name("studio")
FPS = 25
GOP = 25  # one IDR a second, as cameras write


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[Clip, Clip]:
    folder = tmp_path_factory.mktemp("smart-media")
    camera = ["-preset", "veryfast", "-g", str(GOP), "-keyint_min", str(GOP), "-sc_threshold", "0"]
    made = []
    for n in range(2):
        path = folder / f"camera{n}.mp4"
        mediagen.run(["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate={FPS}:duration=10",
                      "-f", "lavfi", "-i", f"sine=frequency={440 + 220 * n}:duration=10",
                      "-c:v", "libx264", *camera, "-pix_fmt", "yuv420p", "-c:a", "aac", str(path)])
        made.append(clip_for(path))
    return made[0], made[1]


def cut_only(a: Clip, b: Clip, **extra: object) -> object:
    """Four cuts off the keyframes (source in points mid-GOP, lengths not whole GOPs), sound on A1."""
    cuts = [(a, "0.52", 0, "3.2"), (b, "1.16", "3.2", "3.84"), (a, "4.08", "7.04", "3.4"),
            (b, "0.4", "10.44", "1.2")]
    video = [dict(clip=c, source_in=i, start=s, duration=d, **extra) for c, i, s, d in cuts]
    sound = [dict(clip=c, source_in=i, start=s, duration=d) for c, i, s, d in cuts]
    return timeline([("V1", video), ("A1", sound)], fps=FPS)


def psnr_min(a: Path, b: Path) -> float:
    """The lowest per-frame PSNR (average of the planes) of `a` against `b`, from ffmpeg's psnr filter."""
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(a), "-i", str(b), "-lavfi",
         "[0:v]settb=1/90000[x];[1:v]settb=1/90000[y];[x][y]psnr=stats_file=-", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    values = [float(v) for v in re.findall(r"psnr_avg:(\S+)", done.stdout)]
    assert values, done.stderr[-500:]
    return min(values)


def decode_errors(path: Path) -> str:
    done = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "null", "-"],
                          capture_output=True, text=True)
    return done.stderr.strip() + ("" if done.returncode == 0 else f" (exit {done.returncode})")


def video_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_cut_only_timeline_copies_gops_and_matches_the_full_render(sources: tuple[Clip, Clip],
                                                                   tmp_path: Path) -> None:
    tl = cut_only(*sources)
    clips = clip_map(*sources)
    fmt = get_format("mp4")
    smart = plan_smart(tl, clips, fmt, title_mode(ffmpeg_exe()))
    assert isinstance(smart, SmartPlan), smart
    assert smart.copied_frames > smart.encoded_frames > 0
    assert [p.copy for p in smart.pieces].count(True) == 3  # the 1.2 s cut holds no whole GOP
    quick = run_smart(smart, tmp_path / "smart.mp4")
    full = run_plan(plan_render(tl, clips, fmt), tmp_path / "full.mp4")
    total = round(tl.duration * FPS)
    assert video_frames(quick) == video_frames(full) == total
    assert decode_errors(quick) == ""
    assert psnr_min(quick, full) >= 35.0
    with av.open(str(quick)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
        assert abs(container.duration / 1e6 - float(tl.duration)) < 1 / FPS


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (dict(fade_in="0.5"), "a fade"),
    ],
)
def test_anything_that_changes_pixels_falls_back(sources: tuple[Clip, Clip], extra: dict[str, str],
                                                 reason: str) -> None:
    tl = cut_only(*sources, **extra)
    chosen = plan_smart(tl, clip_map(*sources), get_format("mp4"), title_mode(ffmpeg_exe()))
    assert isinstance(chosen, str) and reason in chosen


def test_other_reasons_for_the_full_render(sources: tuple[Clip, Clip], tmp_path: Path) -> None:
    a, b = sources
    modes = title_mode(ffmpeg_exe())
    clips = clip_map(a, b)
    gap = timeline([("V1", [dict(clip=a, start=0, duration=1), dict(clip=b, start=2, duration=1)])], fps=FPS)
    assert "gap" in str(plan_smart(gap, clips, get_format("mp4"), modes))
    title = timeline([("V1", [dict(clip=a, start=0, duration=2)]),
                      ("V2", [dict(kind="title", text="Hello", start=0, duration=1)])], fps=FPS)
    assert "layered" in str(plan_smart(title, clips, get_format("mp4"), modes))
    scaled = timeline([("V1", [dict(clip=a, start=0, duration=2)])], fps=FPS, size=(640, 480))
    assert "size" in str(plan_smart(scaled, clips, get_format("mp4"), modes))
    other_rate = timeline([("V1", [dict(clip=a, start=0, duration=2)])], fps=30)
    assert "fps" in str(plan_smart(other_rate, clips, get_format("mp4"), modes))
    assert "not H.264" in str(plan_smart(cut_only(a, b), clips, get_format("webm"), modes))
    short = timeline([("V1", [dict(clip=a, source_in="0.5", start=0, duration="1.2")])], fps=FPS)
    assert "too few to copy" in str(plan_smart(short, clips, get_format("mp4"), modes))
    still = clip_for(mediagen.make_image(tmp_path / "still.png"))
    with_still = timeline([("V1", [dict(clip=still, start=0, duration=1)])], fps=FPS)
    assert "still" in str(plan_smart(with_still, clip_map(still), get_format("mp4"), modes))


def test_cancel_leaves_nothing(sources: tuple[Clip, Clip], tmp_path: Path) -> None:
    smart = plan_smart(cut_only(*sources), clip_map(*sources), get_format("mp4"), title_mode(ffmpeg_exe()))
    assert isinstance(smart, SmartPlan)
    token = CancelToken()
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(Cancelled):  # cancelled once the first piece is written
        run_smart(smart, out / "never.mp4", cancel=token, progress=lambda _f, _m: token.cancel())
    assert list(out.iterdir()) == []
    assert list((cache_dir() / "smart").iterdir()) == []


def test_render_json_says_which_path_was_taken(sources: tuple[Clip, Clip], tmp_path: Path) -> None:
    project = tmp_path / "cuts.studio"
    save_project_file(project, "p-cuts", "Cuts", cut_only(*sources), clip_map(*sources))
    reports = {}
    for flags in ([], ["--full-render"]):
        out = tmp_path / f"cuts{len(flags)}.mp4"
        done = subprocess.run([str(STUDIO), "render", str(project), "-o", str(out), "--json", *flags],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        reports[len(flags)] = json.loads(done.stdout)["render"]
        assert decode_errors(out) == ""
    assert reports[0]["path"] == "smart" and reports[0]["copied_frames"] > 0
    assert reports[1] == {"path": "full", "reason": "smart render was turned off"}


def test_dry_run_says_when_smart_render_would_be_used(sources: tuple[Clip, Clip], tmp_path: Path) -> None:
    """`render --dry-run` renders nothing, prints the full-render command, and says (stderr, and --json
    "render") which path a real render takes, with the same counts the smart plan has."""
    project = tmp_path / "cuts.studio"
    save_project_file(project, "p-cuts", "Cuts", cut_only(*sources), clip_map(*sources))
    smart = plan_smart(cut_only(*sources), clip_map(*sources), get_format("mp4"), title_mode(ffmpeg_exe()))
    assert isinstance(smart, SmartPlan)
    out = tmp_path / "cuts.mp4"

    def dry(*flags: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(STUDIO), "render", str(project), "-o", str(out), "--dry-run", *flags],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done

    text = dry()
    assert text.stderr.strip() == (
        f"studio: smart render would be used ({smart.copied_frames} frames copied, {smart.encoded_frames} "
        "re-encoded); the command below is the full render that --full-render runs"
    )
    assert shlex.split(text.stdout.strip())[-1] == str(out)
    doc = json.loads(dry("--json").stdout)
    assert doc["render"] == {"path": "smart", "pieces": len(smart.pieces),
                             "copied_frames": smart.copied_frames, "encoded_frames": smart.encoded_frames}
    assert json.loads(dry("--json", "--full-render").stdout)["render"] == {
        "path": "full", "reason": "smart render was turned off"}
    assert dry("--full-render").stderr.strip() == "studio: full render (smart render was turned off)"
    faded = tmp_path / "faded.studio"
    save_project_file(faded, "p-faded", "Faded", cut_only(*sources, fade_in="0.5"), clip_map(*sources))
    done = subprocess.run([str(STUDIO), "render", str(faded), "-o", str(out), "--dry-run"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr.startswith("studio: full render (") and "fade" in done.stderr
    assert not out.exists()
