"""`studio render` vs a hand-written single ffmpeg filtergraph, and vs moviepy, on an 8-cut 720p edit.

The timeline: eight 3 s cuts from eight generated 1280x720 30 fps clips on V1, their sound on A1, and a
music bed on A2 at -8 dB with 1 s fades. Measured alternately (order swapped every round):

1. `.venv/bin/studio render project.studio -o out.mp4` as a subprocess (Python start-up, credits,
   tags, sidecar and verification included) against one hand-written ffmpeg command with the same
   cuts and encoder settings (concat + amix). Budget: <= 1.10x (median of per-round ratios).
2. moviepy 2 (concatenate_videoclips + CompositeAudioClip + write_videofile, same codec settings) in
   a subprocess against the same hand-written command, to show the gap.
3. Input strategy, on one 30 s source cut eight times out of order: our plan's command (one input
   per cut with -ss/-t) against the same graph fed by a single input and split/asplit (which has to
   hold decoded frames until the later cuts need them: see the peak memory).

4. Smart render: four 15 s cuts, off the keyframes, from two 60 s 1280x720 30 fps H.264 sources
   with a 2 s GOP (as a camera writes them), sound on A1. `studio render` (which copies the
   untouched GOPs) and `studio render --full-render` are each compared with one hand-written ffmpeg
   re-encode of the same cut, in the same rounds. Target: smart <= 0.50x, every frame >= 35 dB PSNR
   against the hand-written file (ffmpeg's psnr filter), the exact duration, and no decode error.

Each line also gives CPU time (user + system, children included), which moves far less than wall
time on a shared machine, and the peak resident memory.

Usage: .venv/bin/python bench/render.py [--rounds N] [--skip-moviepy] [--only smart]
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import mediagen  # noqa: E402

BUDGET = 1.10
SMART_BUDGET = 0.50
SMART_PSNR = 35.0
SMART_CUTS = ((0, Fraction(37, 10)), (1, Fraction(1013, 30)), (0, Fraction(2113, 100)), (1, Fraction(7, 3)))
SMART_CUT_S = 15
SMART_SOURCE_S = 60
CUTS = 8
CUT_S = 3
SOURCE_IN = Fraction(1, 4)
FPS = 30
SIZE = (1280, 720)
MUSIC_DB = -8
ENCODE = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
          "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart"]
STUDIO = Path(sys.executable).with_name("studio")


# --- media and project ------------------------------------------------------------------------------


def make_media(work: Path) -> tuple[list[Path], Path, Path]:
    sources = [
        mediagen.make_video(work / f"cut{i}.mp4", CUT_S + 1, size="1280x720", rate=FPS,
                            frequency=300 + 60 * i)
        for i in range(CUTS)
    ]
    music = mediagen.make_audio(work / "music.m4a", CUTS * CUT_S + 1, frequency=523)
    long_source = mediagen.make_video(work / "long.mp4", 30, size="1280x720", rate=FPS)
    return sources, music, long_source


def write_project(work: Path, sources: list[Path], music: Path, name: str = "edit") -> Path:
    from studio.core.clips import Clip, Credit
    from studio.core.fractional_index import keys_after
    from studio.core.projectfile import save_project_file
    from studio.core.timeline import AUDIO, VIDEO, Item, Timeline, Track, new_id
    from studio.media.hashing import sha256_file
    from studio.media.probe import probe

    def clip(path: Path, who: str) -> Clip:
        info = probe(path)
        return Clip(id=sha256_file(path), title=path.stem, kind="video" if info.has_video else "audio",
                    duration=info.duration, credits=(Credit(who),), licence="CC-BY-4.0",
                    has_video=info.has_video, has_audio=info.has_audio, path=path, probe=info.to_dict())

    cuts = [clip(p, f"Camera {i}") for i, p in enumerate(sources)]
    bed = clip(music, "Composer")
    tl = Timeline()
    tl.settings.update(name=name, width=SIZE[0], height=SIZE[1], fps=Fraction(FPS), sample_rate=48000)
    keys = keys_after(None, 3)
    tracks = [Track(id=new_id(), kind=k, name=n, order=o) for (k, n), o in
              zip([(VIDEO, "V1"), (AUDIO, "A1"), (AUDIO, "A2")], keys, strict=True)]
    for t in tracks:
        tl.tracks[t.id] = t
    for i, c in enumerate(cuts):
        for track in tracks[:2]:
            item = Item(id=new_id(), track=track.id, start=Fraction(i * CUT_S), duration=Fraction(CUT_S),
                        source_in=SOURCE_IN, clip=c.id)
            tl.items[item.id] = item
    total = Fraction(CUTS * CUT_S)
    music_item = Item(id=new_id(), track=tracks[2].id, start=Fraction(0), duration=total, clip=bed.id,
                      gain_db=MUSIC_DB, fade_in=Fraction(1), fade_out=Fraction(1))
    tl.items[music_item.id] = music_item
    path = work / f"{name}.studio"
    save_project_file(path, f"bench-{name}", name, tl, {c.id: c for c in [*cuts, bed]})
    return path


# --- the commands -----------------------------------------------------------------------------------


def hand_written(sources: list[Path], music: Path, out: Path) -> list[str]:
    """What a person would write for this edit: cuts concatenated with their sound, music mixed in."""
    args = [mediagen.ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    for src in sources:
        args += ["-ss", str(float(SOURCE_IN)), "-t", str(CUT_S), "-i", str(src)]
    args += ["-i", str(music)]
    total = CUTS * CUT_S
    pairs = "".join(f"[{i}:v][{i}:a]" for i in range(CUTS))
    graph = (
        f"{pairs}concat=n={CUTS}:v=1:a=1[v][cuts];"
        f"[{CUTS}:a]atrim=0:{total},volume={MUSIC_DB}dB,afade=t=in:d=1,afade=t=out:st={total - 1}:d=1[bed];"
        "[cuts][bed]amix=inputs=2:normalize=0:duration=first[a]"
    )
    return [*args, "-filter_complex", graph, "-map", "[v]", "-map", "[a]", *ENCODE, str(out)]


MOVIEPY_JOB = """
import sys
from moviepy import AudioFileClip, CompositeAudioClip, VideoFileClip, concatenate_videoclips
from moviepy.audio.fx import AudioFadeIn, AudioFadeOut, MultiplyVolume
out, music, start, cut, db, *sources = sys.argv[1:]
start, cut, db = float(start), float(cut), float(db)
cuts = [VideoFileClip(s).subclipped(start, start + cut) for s in sources]
video = concatenate_videoclips(cuts)
total = video.duration
bed = AudioFileClip(music).subclipped(0, total).with_effects(
    [MultiplyVolume(10 ** (db / 20)), AudioFadeIn(1), AudioFadeOut(1)])
video = video.with_audio(CompositeAudioClip([video.audio, bed]))
video.write_videofile(out, fps=30, codec="libx264", preset="veryfast", audio_codec="aac",
                      audio_bitrate="192k", logger=None,
                      ffmpeg_params=["-crf", "20", "-pix_fmt", "yuv420p", "-movflags", "+faststart"])
"""


def moviepy_command(sources: list[Path], music: Path, out: Path) -> list[str]:
    return [sys.executable, "-c", MOVIEPY_JOB, str(out), str(music), str(float(SOURCE_IN)), str(CUT_S),
            str(MUSIC_DB), *map(str, sources)]


def split_variant(plan_args: list[str], long_source: Path) -> list[str]:
    """Our plan's graph with the per-cut inputs replaced by one input of the file, split, and trims."""
    at = plan_args.index("-filter_complex")
    marks = [i for i in range(at) if plan_args[i] == "-i"]
    starts = [0, *(m + 2 for m in marks[:-1])]
    inputs = [plan_args[s:m] for s, m in zip(starts, marks, strict=True)]  # each input's options
    rest = plan_args[at:]
    graph = rest[1]
    video_cuts = [(n, opts) for n, opts in enumerate(inputs) if f"[{n}:v:0]" in graph]
    labels = [f"[src{n}]" for n, _ in video_cuts]
    chains = [f"[0:v:0]split={len(labels)}{''.join(labels)}"]
    for (n, opts), label in zip(video_cuts, labels, strict=True):
        ss = float(opts[opts.index("-ss") + 1]) if "-ss" in opts else 0.0
        t = float(opts[opts.index("-t") + 1])
        chains.append(f"{label}trim=start={ss}:duration={t},setpts=PTS-STARTPTS[cut{n}]")
        graph = graph.replace(f"[{n}:v:0]", f"[cut{n}]")
    for n, _opts in enumerate(inputs):
        graph = graph.replace(f"[{n}:a:0]", "[0:a:0]")
    return [mediagen.ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-i", str(long_source), "-filter_complex", ";".join(chains) + ";" + graph, *rest[2:]]


def long_source_plan(long_source: Path, out: Path) -> list[str]:
    """Our plan for eight 3 s cuts out of one 30 s source, out of order, with its sound on A1."""
    from studio.core.clips import Clip
    from studio.core.fractional_index import keys_after
    from studio.core.timeline import AUDIO, VIDEO, Item, Timeline, Track, new_id
    from studio.media.formats import get_format
    from studio.media.hashing import sha256_file
    from studio.media.probe import probe
    from studio.media.render import plan_render

    info = probe(long_source)
    source = Clip(id=sha256_file(long_source), title="long", kind="video", duration=info.duration,
                  has_video=True, has_audio=True, path=long_source)
    tl = Timeline()
    tl.settings.update(width=SIZE[0], height=SIZE[1], fps=Fraction(FPS), sample_rate=48000)
    v, a = (Track(id=new_id(), kind=k, name=n, order=o)
            for (k, n), o in zip([(VIDEO, "V1"), (AUDIO, "A1")], keys_after(None, 2), strict=True))
    tl.tracks.update({v.id: v, a.id: a})
    order = [6, 1, 7, 3, 0, 5, 2, 4]
    for slot, piece in enumerate(order):
        for track in (v, a):
            item = Item(id=new_id(), track=track.id, start=Fraction(slot * CUT_S), duration=Fraction(CUT_S),
                        source_in=Fraction(piece * CUT_S) + SOURCE_IN, clip=source.id)
            tl.items[item.id] = item
    plan = plan_render(tl, {source.id: source}, get_format("mp4"))
    return [mediagen.ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *plan.args, str(out)]


# --- smart render ---------------------------------------------------------------------------------


def make_camera_sources(work: Path) -> list[Path]:
    """Two 60 s 720p30 H.264 files with a 2 s GOP and no scene-cut keyframes, as a camera writes."""
    camera = ["-preset", "veryfast", "-g", str(2 * FPS), "-keyint_min", str(2 * FPS), "-sc_threshold", "0"]
    return [
        mediagen.make_video(work / f"camera{n}.mp4", SMART_SOURCE_S, size="1280x720", rate=FPS,
                            vcodec="libx264", frequency=330 + 110 * n, extra=camera)
        for n in range(2)
    ]


def write_cut_project(work: Path, sources: list[Path]) -> Path:
    from studio.core.fractional_index import keys_after
    from studio.core.projectfile import save_project_file
    from studio.core.timeline import AUDIO, VIDEO, Item, Timeline, Track, new_id

    clips = [_clip(p) for p in sources]
    tl = Timeline()
    tl.settings.update(name="cuts", width=SIZE[0], height=SIZE[1], fps=Fraction(FPS), sample_rate=48000)
    v, a = (Track(id=new_id(), kind=k, name=n, order=o)
            for (k, n), o in zip([(VIDEO, "V1"), (AUDIO, "A1")], keys_after(None, 2), strict=True))
    tl.tracks.update({v.id: v, a.id: a})
    for slot, (n, source_in) in enumerate(SMART_CUTS):
        for track in (v, a):
            item = Item(id=new_id(), track=track.id, start=Fraction(slot * SMART_CUT_S),
                        duration=Fraction(SMART_CUT_S), source_in=source_in, clip=clips[n].id)
            tl.items[item.id] = item
    path = work / "cuts.studio"
    save_project_file(path, "bench-cuts", "cuts", tl, {c.id: c for c in clips})
    return path


def _clip(path: Path) -> object:
    from studio.core.clips import Clip, Credit
    from studio.media.hashing import sha256_file
    from studio.media.probe import probe

    info = probe(path)
    return Clip(id=sha256_file(path), title=path.stem, kind="video", duration=info.duration,
                credits=(Credit("Camera"),), licence="CC-BY-4.0", has_video=True, has_audio=True,
                path=path, probe=info.to_dict())


def hand_written_cut(sources: list[Path], out: Path) -> list[str]:
    """The same four cuts as one hand-written re-encode (input seek, concat, same encoder settings)."""
    args = [mediagen.ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    for n, source_in in SMART_CUTS:
        args += ["-ss", f"{float(source_in):.6f}", "-t", str(SMART_CUT_S), "-i", str(sources[n])]
    pairs = "".join(f"[{i}:v][{i}:a]" for i in range(len(SMART_CUTS)))
    graph = f"{pairs}concat=n={len(SMART_CUTS)}:v=1:a=1[v][a]"
    return [*args, "-filter_complex", graph, "-map", "[v]", "-map", "[a]", *ENCODE, str(out)]


def check_smart_output(out: Path, reference: Path) -> tuple[float, float, str]:
    """(lowest per-frame PSNR against `reference`, duration in s, decoder errors) read with ffmpeg."""
    import re

    import av

    psnr = subprocess.run(
        [mediagen.ffmpeg(), "-hide_banner", "-i", str(out), "-i", str(reference), "-lavfi",
         "[0:v]settb=1/90000[x];[1:v]settb=1/90000[y];[x][y]psnr=stats_file=-", "-f", "null", "-"],
        capture_output=True, text=True, check=True).stdout
    values = [float(v) for v in re.findall(r"psnr_avg:(\S+)", psnr)]
    errors = subprocess.run([mediagen.ffmpeg(), "-v", "error", "-i", str(out), "-f", "null", "-"],
                            capture_output=True, text=True).stderr.strip()
    with av.open(str(out)) as container:
        duration = container.duration / 1e6
    return min(values), duration, errors


def smart_case(work: Path, env: dict[str, str], rounds: int) -> None:
    print("generating two 60 s 720p30 H.264 camera sources (GOP 2 s) ...", flush=True)
    sources = make_camera_sources(work)
    project = write_cut_project(work, sources)
    smart_out, full_out, hand_out = work / "smart.mp4", work / "full.mp4", work / "hand-cut.mp4"
    smart = [str(STUDIO), "render", str(project), "-o", str(smart_out)]
    full = [*[str(STUDIO), "render", str(project), "-o", str(full_out)], "--full-render"]
    hand = hand_written_cut(sources, hand_out)
    total = len(SMART_CUTS) * SMART_CUT_S
    print(f"timeline: {len(SMART_CUTS)} cuts of {SMART_CUT_S} s off the keyframes; {rounds} rounds, "
          "alternating smart, full and hand-written", flush=True)
    walls: dict[str, list[float]] = {"smart": [], "full": [], "hand": []}
    cpus: dict[str, list[float]] = {"smart": [], "full": [], "hand": []}
    runs = {"smart": smart, "full": full, "hand": hand}
    for r in range(rounds):
        order = ["smart", "hand", "full"] if r % 2 == 0 else ["full", "hand", "smart"]
        for name in order:
            m = timed(runs[name], env)
            walls[name].append(m.wall)
            cpus[name].append(m.cpu)
        print(f"  round {r + 1}: smart {walls['smart'][-1]:.2f} s, full {walls['full'][-1]:.2f} s, "
              f"hand-written {walls['hand'][-1]:.2f} s", flush=True)
    for name in ("smart", "full"):
        ratios = [a / b for a, b in zip(walls[name], walls["hand"], strict=True)]
        cpu_ratios = [a / b for a, b in zip(cpus[name], cpus["hand"], strict=True)]
        print(f"{name} render / hand-written re-encode: median {statistics.median(walls[name]):.2f} s vs "
              f"{statistics.median(walls['hand']):.2f} s, wall ratio {statistics.median(ratios):.3f}x, "
              f"CPU ratio {statistics.median(cpu_ratios):.3f}x", flush=True)
    smart_ratio = statistics.median(a / b for a, b in zip(walls["smart"], walls["hand"], strict=True))
    verdict = "within" if smart_ratio <= SMART_BUDGET else "OVER"
    print(f"=> smart render {smart_ratio:.3f}x the hand-written re-encode ({verdict} target {SMART_BUDGET}x)")
    for name, out in (("smart", smart_out), ("full", full_out)):
        low, duration, errors = check_smart_output(out, hand_out)
        good = low >= SMART_PSNR and abs(duration - total) < 1 / FPS and not errors
        print(f"=> {name}: lowest frame PSNR {low:.2f} dB against the hand-written file, duration "
              f"{duration:.3f} s of {total} s, decoder errors: {errors or 'none'} "
              f"({'OK' if good else 'FAILS the target'})")


# --- timing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    wall: float
    cpu: float  # user + system of the process and every process it waited for
    peak_mb: float  # largest resident set among them


def timed(command: list[str], env: dict[str, str]) -> Measured:
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-2000:]
            raise SystemExit(f"failed: {shlex.join(command)[:300]}\n{tail}")
    return Measured(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


Run = Callable[[], Measured]


def compare(label: str, ours: Run, reference: Run, rounds: int) -> float:
    """Alternate the two (order swapped each round); print and return the median wall-time ratio.

    The CPU-time ratio is printed too: on a shared machine it moves far less than wall time."""
    ratios, cpu_ratios, ours_s, ref_s = [], [], [], []
    for r in range(rounds):
        if r % 2 == 0:
            a, b = ours(), reference()
        else:
            b, a = reference(), ours()
        ours_s.append(a)
        ref_s.append(b)
        ratios.append(a.wall / b.wall)
        cpu_ratios.append(a.cpu / b.cpu)
        print(f"  {label} round {r + 1}: {a.wall:.2f} s vs {b.wall:.2f} s = {a.wall / b.wall:.3f}x "
              f"(CPU {a.cpu:.1f} s vs {b.cpu:.1f} s; peak {a.peak_mb:.0f} MB vs {b.peak_mb:.0f} MB)",
              flush=True)
    ratio = statistics.median(ratios)
    print(f"{label}: median {statistics.median(m.wall for m in ours_s):.2f} s vs "
          f"{statistics.median(m.wall for m in ref_s):.2f} s, wall ratio {ratio:.3f}x, "
          f"CPU ratio {statistics.median(cpu_ratios):.3f}x", flush=True)
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-moviepy", action="store_true")
    parser.add_argument("--only", choices=["smart"], help="run only this case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        work = Path(tmp)
        env = dict(os.environ)
        for key in ("STUDIO_DATA_DIR", "STUDIO_CACHE_DIR", "STUDIO_CONFIG_DIR"):
            env[key] = os.environ[key] = str(work / key.lower())
        if args.only == "smart":
            smart_case(work, env, args.rounds)
            return 0
        print("generating 720p sources ...", flush=True)
        sources, music, long_source = make_media(work)
        project = write_project(work, sources, music)
        studio_cmd = [str(STUDIO), "render", str(project), "-o", str(work / "studio.mp4")]
        hand_cmd = hand_written(sources, music, work / "hand.mp4")
        print(f"timeline: {CUTS} cuts of {CUT_S} s at {SIZE[0]}x{SIZE[1]} {FPS} fps + music bed; "
              f"{args.rounds} rounds each, alternating", flush=True)
        ratio = compare("studio render / hand-written ffmpeg", lambda: timed(studio_cmd, env),
                        lambda: timed(hand_cmd, env), args.rounds)
        verdict = "within" if ratio <= BUDGET else "OVER"
        print(f"=> studio render {ratio:.3f}x the hand-written filtergraph ({verdict} budget {BUDGET}x)")
        if not args.skip_moviepy:
            mp_cmd = moviepy_command(sources, music, work / "moviepy.mp4")
            mp_ratio = compare("moviepy / hand-written ffmpeg", lambda: timed(mp_cmd, env),
                               lambda: timed(hand_cmd, env), args.rounds)
            print(f"=> moviepy {mp_ratio:.3f}x the hand-written filtergraph; studio render is "
                  f"{mp_ratio / ratio:.2f}x faster than moviepy")
        per_cut = long_source_plan(long_source, work / "per-cut.mp4")
        split = [*split_variant(per_cut[per_cut.index("-y") + 1:-1], long_source), str(work / "split.mp4")]
        strategy = compare("one input per cut (-ss/-t) / one input + split", lambda: timed(per_cut, env),
                           lambda: timed(split, env), args.rounds)
        print(f"=> per-cut inputs take {strategy:.3f}x the time of a split single input")
        smart_case(work, env, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
