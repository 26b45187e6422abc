"""Smart render: a cut-only H.264 timeline is joined from copied GOPs, re-encoding only near the cuts.

When every picture on the timeline is an untouched run of frames from an H.264 source whose size,
frame rate and pixel format already are the output's (one camera's clips cut together), re-encoding
the whole piece only loses quality and time. Each item is split at its source's keyframes:

    cut ... next IDR   re-encoded (the frames before the first whole GOP)
    IDR ... last IDR   copied packet for packet (whole closed GOPs)
    last IDR ... cut   re-encoded

Every piece goes to an MPEG-TS file (which carries the SPS/PPS in-band before each IDR, so pieces
from different encoders can follow one another), the pieces are joined by ffmpeg's concat demuxer
with exact durations, and the sound, rendered by the ordinary plan's audio graph, is muxed beside
them. Output frame k of an item is the same source frame the full render shows (the first frame at
or after its source in point), so the two paths differ only by encoding loss.

Anything that changes pixels (titles, fades, overlays, gaps, stills, scaling, rotation, another
frame rate or pixel format, open GOPs, variable timing) makes `plan_smart` return the reason, and
the caller renders the full way. So does a timeline where less than half the frames could be
copied: starting an ffmpeg per piece would then cost more than it saves.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.clips import Clip
from studio.core.paths import cache_dir
from studio.core.timecode import to_ffmpeg
from studio.core.timeline import VIDEO, Item, Timeline
from studio.media.ffmpeg import ffmpeg_path
from studio.media.formats import FORMATS, OutputFormat
from studio.media.render_plan import RenderPlan, TitleMode, build_plan

_HALF = Fraction(1, 2)
_SEEK_LEAD = Fraction(1, 4)
"""A re-encoded piece seeks a quarter frame before its first frame (ffmpeg keeps the frames at or
after the seek point, so rounding never loses it); a copied piece seeks a quarter frame after its
IDR (ffmpeg copies from the last keyframe at or before the seek point)."""
_COPY_WEIGHT = 0.05
"""Progress weight of a copied frame relative to a re-encoded one."""
_IDR = 5


@dataclass(frozen=True, slots=True)
class Piece:
    """`frames` frames of `source` from frame `first` (0 = the stream's first frame), copied or re-encoded."""

    source: str
    first: int
    frames: int
    copy: bool


@dataclass(frozen=True)
class SmartPlan:
    """The pieces of the picture, in order, and the plan that renders the sound."""

    pieces: tuple[Piece, ...]
    fps: Fraction
    format: OutputFormat
    audio: RenderPlan
    duration: Fraction

    @property
    def copied_frames(self) -> int:
        return sum(p.frames for p in self.pieces if p.copy)

    @property
    def encoded_frames(self) -> int:
        return sum(p.frames for p in self.pieces if not p.copy)


@dataclass(frozen=True, slots=True)
class _Layout:
    """A source's frames in presentation order: how many, and which start a closed GOP (IDR)."""

    frames: int
    idr: tuple[int, ...]


def plan_smart(
    timeline: Timeline, clips: Mapping[str, Clip], fmt: OutputFormat, titles: TitleMode
) -> SmartPlan | str:
    """The smart plan for `timeline`, or the reason (one short sentence) it must be fully rendered."""
    if fmt.video_codec != "libx264":
        return f"{fmt.name} output is not H.264"
    fps = Fraction(timeline.fps)
    total = _frame(timeline.duration, fps)
    if total <= 0:
        return "the timeline is empty"
    tracks = [
        (track, timeline.items_on(track.id)) for track in timeline.ordered_tracks(VIDEO) if not track.muted
    ]
    tracks = [(t, its) for t, its in tracks if any(_frame(i.end, fps) > _frame(i.start, fps) for i in its)]
    if len(tracks) != 1:
        return "no picture" if not tracks else "several video tracks are layered"
    track, items = tracks[0]
    layouts: dict[str, _Layout] = {}
    pieces: list[Piece] = []
    cursor = 0
    for item in items:
        first = _frame(item.start, fps)
        frames = min(_frame(item.end, fps), total) - first
        if frames <= 0:
            continue
        reason = _item_changes_pixels(item, clips, first, cursor)
        if reason:
            return f"{reason} on {track.name}"
        clip = clips[item.clip or ""]
        assert clip.path is not None
        path = str(Path(clip.path).resolve())
        if path not in layouts:
            layout = _source_layout(Path(path), timeline, fps)
            if isinstance(layout, str):
                return f"{clip.title or clip.id}: {layout}"
            layouts[path] = layout
        start = math.ceil(item.source_in * fps - Fraction(1, 1000))
        if start + frames > layouts[path].frames:
            return f"{clip.title or clip.id} ends before its item does"
        pieces += _split(path, start, frames, layouts[path].idr)
        cursor = first + frames
    if cursor < total:
        return "the picture ends before the sound (black at the end)"
    copied = sum(p.frames for p in pieces if p.copy)
    if copied * 2 < total:
        return f"only {copied} of {total} frames lie in whole GOPs of their sources: too few to copy"
    audio = build_plan(timeline, clips, FORMATS["m4a"], titles)
    return SmartPlan(tuple(pieces), fps, fmt, audio, timeline.duration)


def _frame(t: Fraction, fps: Fraction) -> int:
    return math.floor(t * fps + _HALF)


def _item_changes_pixels(item: Item, clips: Mapping[str, Clip], first: int, cursor: int) -> str:
    if item.kind != "clip":
        return "a title"
    if first > cursor:
        return "a gap (black)"
    if first < cursor:
        return "overlapping items"
    if item.fade_in or item.fade_out:
        return "a fade"
    clip = clips.get(item.clip or "")
    if clip is None or clip.path is None or not Path(clip.path).is_file():
        return "offline media"
    if clip.kind == "image" or not clip.has_video:
        return "a still or a clip without picture"
    return ""


def _source_layout(path: Path, timeline: Timeline, fps: Fraction) -> _Layout | str:
    """The frame layout of `path`, or why its frames cannot be copied into this timeline's output."""
    import av

    try:
        container = av.open(ffmpeg_path(path))
    except av.error.FFmpegError as exc:
        return f"unreadable ({exc})"
    with container:
        if not container.streams.video:
            return "no video stream"
        stream = container.streams.video[0]
        cc = stream.codec_context
        if cc.codec.name != "h264":
            return f"its video is {cc.codec.name}, not H.264"
        if (cc.width, cc.height) != (timeline.width, timeline.height):
            return f"its size {cc.width}x{cc.height} is not the project's {timeline.width}x{timeline.height}"
        if cc.pix_fmt != "yuv420p":
            return f"its pixel format {cc.pix_fmt} is not yuv420p"
        sar = stream.sample_aspect_ratio or cc.sample_aspect_ratio
        if sar and sar != 1:
            return f"its pixels are not square ({sar})"
        if "rotate" in stream.metadata or any(
            "display" in str(getattr(sd, "type", "")).lower() for sd in getattr(stream, "side_data", {}) or ()
        ):
            return "it carries a rotation"
        extradata = cc.extradata or b""
        if len(extradata) < 7 or extradata[0] != 1:
            return "its H.264 is not stored with an avcC header"
        length_size = (extradata[4] & 3) + 1
        stamps: list[tuple[int, bool]] = []
        for packet in container.demux(stream):
            if packet.pts is None or not packet.size:
                continue
            idr = bool(packet.is_keyframe) and _has_idr(bytes(packet), length_size)
            stamps.append((packet.pts, idr))
        time_base = stream.time_base
    if len(stamps) < 2 or time_base is None:
        return "too short to copy"
    stamps.sort()
    step = Fraction(1) / fps / Fraction(time_base)
    start = stamps[0][0]
    for index, (pts, _idr) in enumerate(stamps):
        if abs(pts - start - index * step) > 1:
            return f"its frame timing is not a constant {float(fps):g} fps"
    return _Layout(frames=len(stamps), idr=tuple(i for i, (_pts, idr) in enumerate(stamps) if idr))


def _has_idr(data: bytes, length_size: int) -> bool:
    """Whether a length-prefixed (avcC) H.264 packet holds an IDR slice."""
    at = 0
    while at + length_size < len(data):
        size = int.from_bytes(data[at : at + length_size], "big")
        at += length_size
        if at < len(data) and data[at] & 0x1F == _IDR:
            return True
        at += size
    return False


def _split(path: str, start: int, frames: int, idr: tuple[int, ...]) -> list[Piece]:
    """Re-encode up to the first IDR at or after `start`, copy whole GOPs, re-encode the rest."""
    end = start + frames
    first_idr = next((k for k in idr if k >= start), None)
    last_idr = next((k for k in reversed(idr) if k <= end), None)
    if first_idr is None or last_idr is None or first_idr >= last_idr:
        return [Piece(path, start, frames, copy=False)]
    pieces = []
    if first_idr > start:
        pieces.append(Piece(path, start, first_idr - start, copy=False))
    pieces.append(Piece(path, first_idr, last_idr - first_idr, copy=True))
    if end > last_idr:
        pieces.append(Piece(path, last_idr, end - last_idr, copy=False))
    return pieces


def piece_args(piece: Piece, fps: Fraction, fmt: OutputFormat) -> list[str]:
    """ffmpeg arguments (before the output) that write `piece` as an MPEG-TS video stream."""
    lead = _SEEK_LEAD if piece.copy else -_SEEK_LEAD
    seek = to_ffmpeg(max(Fraction(0), (piece.first + lead) / fps))
    codec = ["-c:v", "copy"] if piece.copy else ["-c:v", "libx264", *fmt.video_args]
    return [
        "-ss",
        seek,
        "-an",
        "-i",
        piece.source,
        "-map",
        "0:v:0",
        "-frames:v",
        str(piece.frames),
        *codec,
        "-map_metadata",
        "-1",
        "-f",
        "mpegts",
    ]


def run_smart(
    plan: SmartPlan,
    output: Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Render `plan` to `output` (atomically): the pieces, the sound, then one copying mux."""
    from studio.media.ffmpeg import run_ffmpeg
    from studio.media.render import run_plan

    weights = [p.frames * (_COPY_WEIGHT if p.copy else 1.0) for p in plan.pieces]
    sound_weight = 0.02 * sum(weights) + 1
    total = sum(weights) + sound_weight * 2
    done = 0.0

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(min(1.0, (done + fraction) / total), message)

    with _work_folder() as folder:
        names = []
        for index, piece in enumerate(plan.pieces):
            name = folder / f"piece{index:04d}.ts"
            verb = "copying" if piece.copy else "encoding"
            run_ffmpeg(piece_args(piece, plan.fps, plan.format), output=name, cancel=cancel)
            names.append(name)
            done += weights[index]
            report(0.0, f"{verb} piece {index + 1} of {len(plan.pieces)}")
        sound = folder / "sound.m4a"
        run_plan(plan.audio, sound, cancel=cancel)
        done += sound_weight
        report(0.0, "sound")
        listing = folder / "pieces.ffconcat"
        listing.write_text(_concat_list(names, plan), encoding="utf-8")
        args = [
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-i",
            str(sound),
            "-map",
            "0:v:0",
            "-map",
            "1:a:0",
            "-c",
            "copy",
            "-map_metadata",
            "-1",
            "-map_chapters",
            "-1",
            *plan.format.muxer_args,
            *(["-f", plan.format.muxer] if plan.format.muxer else []),
        ]
        run_ffmpeg(args, output=Path(output), cancel=cancel)
    if progress is not None:
        progress(1.0, "done")
    return Path(output)


def _concat_list(names: list[Path], plan: SmartPlan) -> str:
    lines = ["ffconcat version 1.0"]
    for name, piece in zip(names, plan.pieces, strict=True):
        quoted = str(name).replace("'", "'\\''")
        lines += [f"file '{quoted}'", f"duration {to_ffmpeg(Fraction(piece.frames) / plan.fps)}"]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def _work_folder() -> Iterator[Path]:
    root = cache_dir() / "smart"
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="render-", dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def describe(plan: SmartPlan) -> dict[str, Any]:
    """What `--json` says about the smart path: how much was copied and re-encoded."""
    return {
        "path": "smart",
        "pieces": len(plan.pieces),
        "copied_frames": plan.copied_frames,
        "encoded_frames": plan.encoded_frames,
    }

