"""Render plan: a timeline snapshot becomes one ffmpeg command with one filtergraph.

Pure: no process runs here, so the command can be printed (`studio render --dry-run`), tested, and
run by `studio.media.render` in a separate process. Positions are exact: each item starts on the
frame and the sample nearest its Fraction start, so cumulative rounding never drifts.

Structure of the graph:
- picture: the bottom video track is one `concat` of its items with black `color` gaps (cheapest for
  the common single-track cut); titles, overlapping items and higher tracks are `overlay`s on top,
  shifted to their start frame, with transparent letterbox bars so lower tracks show through.
- sound: comes from items on audio tracks (a video clip placed there gives its sound); items on video
  tracks are picture only (ARCHITECTURE section 7). Every audible item is trimmed, resampled to the
  project rate, made stereo, given its gain and fades, delayed by an exact number of samples, and
  summed by `amix normalize=0` over a silent `anullsrc` bed that sets the length.
- inputs: a video item is opened with input `-ss/-t` (accurate seek decodes only its part of the
  file; measured in bench/render.py against one input per file with `split`: the same CPU, and
  no decoded frames held back for cuts used out of order); audio is decoded from the start of its
  file and cut with `atrim`, because input seeking in MP3 and AAC is hundreds of samples off. An
  audio file used by several items is opened once and `asplit`.
- normalisation: every picture is brought to the project rate (`fps`, which also evens out variable
  frame rates), fitted inside the project size keeping its aspect (`scale` + `pad`, letterboxed),
  and to one pixel format; phone video is turned upright by ffmpeg's autorotate.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from hashlib import sha256
from pathlib import Path

from studio.core.clips import Clip
from studio.core.errors import InvalidInput, MediaError
from studio.core.timecode import to_ffmpeg
from studio.core.timeline import AUDIO, VIDEO, Item, Timeline, Track
from studio.media.formats import OutputFormat

_HALF = Fraction(1, 2)
_GRAPH_SPECIAL = "\\'[],;"


@dataclass(frozen=True, slots=True)
class DrawText:
    """Titles drawn by ffmpeg's drawtext filter with this font file."""

    fontfile: Path


@dataclass(frozen=True, slots=True)
class TitleImages:
    """Titles drawn beforehand into PNG cards in `folder` (for an ffmpeg without drawtext or a font)."""

    folder: Path


TitleMode = DrawText | TitleImages


@dataclass(frozen=True, slots=True)
class TitleCard:
    """A full-frame transparent PNG with centred text, to be drawn before the plan runs."""

    path: Path
    lines: tuple[str, ...]
    width: int
    height: int
    font_size: int


@dataclass(frozen=True)
class RenderPlan:
    """Everything needed to run the render: `args` go between ffmpeg's global options and the output."""

    args: tuple[str, ...]
    duration: Fraction
    format: OutputFormat
    filtergraph: str
    inputs: tuple[str, ...]
    title_cards: tuple[TitleCard, ...] = ()
    labels: tuple[str, ...] = ()  # what each input is, for errors: clip 'Title' (file)

    def command(self, exe: str, output: Path) -> list[str]:
        """The complete command line, as a person would run it by hand."""
        return [exe, "-hide_banner", "-y", *self.args, str(output)]


def title_layout(text: str, width: int, height: int) -> tuple[tuple[str, ...], int]:
    """Lines and font size of a title card, shared by drawtext and the PNG cards."""
    font_size = max(12, height // 10)
    per_line = max(8, int(width * 0.9 / (font_size * 0.6)))
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, per_line) or [""]
    return tuple(lines), font_size


def escape_filter_value(value: str) -> str:
    """Quote a value for a filter option inside a filtergraph, so no character of it is syntax.

    Two parsers read it: the option parser (single quotes, where a quote is written '\\'') and,
    before that, the graph parser, for which each of \\ ' [ ] , ; gets a backslash.
    """
    quoted = "'" + value.replace("'", "'\\''") + "'"
    return "".join("\\" + c if c in _GRAPH_SPECIAL else c for c in quoted)


def clip_label(clip: Clip) -> str:
    """How an error names a clip: its title and its file."""
    return f"clip '{clip.title or clip.id}' ({clip.path})"


def _image_demuxer(clip: Clip) -> list[str]:
    """Input options for a still whose demuxer ffmpeg picks by file extension (image2: TGA, and
    others without a signature): the library copy has no extension, so name the demuxer and decoder
    recorded when the original was probed."""
    video = clip.probe.get("video") if isinstance(clip.probe, dict) else None
    if clip.probe.get("container") == "image2" and isinstance(video, dict) and video.get("codec"):
        return ["-f", "image2", "-c:v", str(video["codec"])]
    return []


def _rate(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


@dataclass
class _Graph:
    """Collects inputs and filter chains while the plan is built."""

    inputs: list[list[str]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    chains: list[str] = field(default_factory=list)
    counter: int = 0

    def add_input(self, args: Sequence[str], label: str = "") -> int:
        self.inputs.append(list(args))
        self.labels.append(label or args[-1])
        return len(self.inputs) - 1

    def label(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def chain(self, sources: str, filters: Sequence[str], label: str) -> str:
        self.chains.append(f"{sources}{','.join(filters)}[{label}]")
        return f"[{label}]"


@dataclass(frozen=True, slots=True)
class _Placed:
    item: Item
    clip: Clip | None
    first_frame: int
    frames: int


class _Planner:
    def __init__(
        self,
        timeline: Timeline,
        clips: Mapping[str, Clip],
        fmt: OutputFormat,
        titles: TitleMode,
        seek_audio: bool = False,
    ):
        self.tl = timeline
        self.clips = clips
        self.fmt = fmt
        self.titles = titles
        self.seek_audio = seek_audio
        self.fps = timeline.fps
        self.width = timeline.width
        self.height = timeline.height
        self.rate = timeline.sample_rate
        self.graph = _Graph()
        self.cards: list[TitleCard] = []
        self.total_frames = self.frame(timeline.duration)
        self.total_samples = self.sample(timeline.duration)

    # -- exact positions ---------------------------------------------------------------------------
    def frame(self, t: Fraction) -> int:
        return math.floor(t * self.fps + _HALF)

    def sample(self, t: Fraction) -> int:
        return math.floor(t * self.rate + _HALF)

    # -- which items play --------------------------------------------------------------------------
    def active(self, kind: str) -> list[tuple[Track, list[Item]]]:
        """Tracks of `kind` bottom to top with the items that play: a muted track plays nothing, a
        muted item on an audio track is silent; items on video tracks are picture only, so muting
        one (as picture-only imports are) leaves its picture in."""
        out = []
        for track in self.tl.ordered_tracks(kind):
            if track.muted:
                continue
            items = [i for i in self.tl.items_on(track.id) if kind == VIDEO or not i.muted]
            out.append((track, items))
        return out

    def check_sources(self) -> None:
        """Raise one error listing every offline file, then one listing every out-of-range item."""
        kinds = [VIDEO, AUDIO] if self.fmt.has_video else [AUDIO]
        missing: dict[str, str] = {}
        out_of_range: list[str] = []
        tolerance = 1 / self.fps
        for kind in kinds:
            for track, items in self.active(kind):
                for item in items:
                    if item.kind != "clip":
                        continue
                    clip = self.clips.get(item.clip or "")
                    if clip is None:
                        missing[item.clip or item.id] = f"clip {item.clip} (item {item.id} on {track.name})"
                        continue
                    if clip.path is None or not Path(clip.path).is_file():
                        where = clip.path if clip.path is not None else "no local file"
                        missing[clip.id] = f"{clip.title or clip.id} ({where})"
                        continue
                    if (
                        clip.kind != "image"
                        and clip.duration is not None
                        and item.source_out > clip.duration + tolerance
                    ):
                        out_of_range.append(
                            f"item {item.id} on {track.name} uses {float(item.source_in):.3f}-"
                            f"{float(item.source_out):.3f} s of {clip.title or clip.id}, "
                            f"which is {float(clip.duration):.3f} s long"
                        )
        if missing:
            listed = "; ".join(missing[k] for k in sorted(missing, key=lambda k: missing[k]))
            raise MediaError(f"media offline ({len(missing)}): {listed}")
        if out_of_range:
            raise InvalidInput("item outside its clip: " + "; ".join(out_of_range))

    # -- picture -----------------------------------------------------------------------------------
    def video(self) -> str:
        base_items: list[_Placed] = []
        overlays: list[_Placed] = []
        bottom_found = False
        for _track, items in self.active(VIDEO):
            placed = [p for p in (self.place(i) for i in items) if p is not None]
            if not placed:
                continue
            if bottom_found:
                overlays += placed
                continue
            bottom_found = True
            end = 0
            for p in placed:
                if p.item.kind == "clip" and p.first_frame >= end:
                    base_items.append(p)
                    end = p.first_frame + p.frames
                else:
                    overlays.append(p)
        out = self.base(base_items)
        for p in overlays:
            layer = self.picture(p, overlay=True)
            out = self.graph.chain(
                f"{out}{layer}", ["overlay=eof_action=pass:repeatlast=0"], self.graph.label("v")
            )
        return out

    def place(self, item: Item) -> _Placed | None:
        first = self.frame(item.start)
        frames = min(self.frame(item.end), self.total_frames) - first
        if frames <= 0:
            return None
        if item.kind == "title":
            return _Placed(item, None, first, frames) if item.text.strip() else None
        clip = self.clips[item.clip or ""]
        if not clip.has_video and clip.kind != "image":
            return None
        return _Placed(item, clip, first, frames)

    def base(self, placed: list[_Placed]) -> str:
        segments: list[str] = []
        cursor = 0
        for p in placed:
            if p.first_frame > cursor:
                segments.append(self.black(p.first_frame - cursor))
            segments.append(self.picture(p, overlay=False))
            cursor = p.first_frame + p.frames
        if cursor < self.total_frames:
            segments.append(self.black(self.total_frames - cursor))
        if len(segments) == 1:
            return segments[0]
        return self.graph.chain(
            "".join(segments), [f"concat=n={len(segments)}:v=1:a=0"], self.graph.label("base")
        )

    def black(self, frames: int) -> str:
        src = f"color=c=black:s={self.width}x{self.height}:r={_rate(self.fps)}"
        return self.graph.chain(
            "", [src, "format=yuv420p", "setsar=1", f"trim=end_frame={frames}"], self.graph.label("gap")
        )

    def picture(self, p: _Placed, *, overlay: bool) -> str:
        """One item's frames at the project size and rate, exactly p.frames long."""
        pix = "yuva420p" if overlay else "yuv420p"
        seconds = Fraction(p.frames) / self.fps
        if p.item.kind == "title":
            source, filters = self.title_source(p, seconds)
        else:
            assert p.clip is not None and p.clip.path is not None
            path = str(Path(p.clip.path).resolve())
            margin = to_ffmpeg(seconds + 1 / self.fps)
            held: list[str] = []
            if p.clip.kind == "image":
                k = self.graph.add_input(["-an", *_image_demuxer(p.clip), "-i", path], clip_label(p.clip))
                held = ["loop=loop=-1:size=1", f"setpts=N/({_rate(self.fps)})/TB"]
            else:
                seek = ["-ss", to_ffmpeg(p.item.source_in)] if p.item.source_in else []
                k = self.graph.add_input(["-an", *seek, "-t", margin, "-i", path], clip_label(p.clip))
            source = f"[{k}:v:0]"
            w, h = self.width, self.height
            filters = [
                *held,
                "setpts=PTS-STARTPTS",
                f"fps={_rate(self.fps)}",
                f"scale=w='trunc(min({w},{h}*iw*sar/ih)/2)*2':h='trunc(min({h},{w}*ih/(iw*sar))/2)*2'",
                f"format={pix}",
                f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black{'@0' if overlay else ''}",
                "setsar=1",
                "tpad=stop=-1:stop_mode=clone",
                f"trim=end_frame={p.frames}",
            ]
        filters += self.video_fades(p.item, seconds, alpha=overlay)
        if overlay:
            filters.append(f"setpts=PTS+{p.first_frame}")
        return self.graph.chain(source, filters, self.graph.label("p"))

    def still_input(self, seconds: str, path: str) -> list[str]:
        """A PNG title card repeated at the project rate for `seconds`. (Imported stills are held by the
        `loop` filter instead: the GIF and ICO demuxers have no -loop option.)"""
        return ["-an", "-loop", "1", "-framerate", _rate(self.fps), "-t", seconds, "-i", path]

    def title_source(self, p: _Placed, seconds: Fraction) -> tuple[str, list[str]]:
        lines, size = title_layout(p.item.text, self.width, self.height)
        if isinstance(self.titles, TitleImages):
            key = f"{self.width}x{self.height}\0{size}\0" + "\n".join(lines)
            name = f"title-{sha256(key.encode()).hexdigest()[:24]}.png"
            card = TitleCard(self.titles.folder / name, lines, self.width, self.height, size)
            if card not in self.cards:
                self.cards.append(card)
            margin = to_ffmpeg(seconds + 1 / self.fps)
            k = self.graph.add_input(self.still_input(margin, str(card.path)), "a title card")
            return f"[{k}:v:0]", [
                f"fps={_rate(self.fps)}",
                "format=yuva420p",
                "setsar=1",
                f"trim=end_frame={p.frames}",
            ]
        text = escape_filter_value("\n".join(lines))
        font = escape_filter_value(str(self.titles.fontfile))
        draw = (
            f"drawtext=fontfile={font}:expansion=none:text={text}:fontsize={size}:fontcolor=white"
            f":text_align=C:x=(w-text_w)/2:y=(h-text_h)/2:shadowx=2:shadowy=2:shadowcolor=black@0.6"
        )
        src = f"color=c=black@0:s={self.width}x{self.height}:r={_rate(self.fps)}"
        return "", [src, "format=yuva420p", f"trim=end_frame={p.frames}", draw]

    def video_fades(self, item: Item, seconds: Fraction, *, alpha: bool) -> list[str]:
        out = []
        extra = ":alpha=1" if alpha else ""
        fade_in = min(item.fade_in, seconds)
        fade_out = min(item.fade_out, seconds)
        if fade_in > 0:
            out.append(f"fade=t=in:st=0:d={to_ffmpeg(fade_in)}{extra}")
        if fade_out > 0:
            out.append(f"fade=t=out:st={to_ffmpeg(seconds - fade_out)}:d={to_ffmpeg(fade_out)}{extra}")
        return out

    # -- sound -------------------------------------------------------------------------------------
    def audio(self) -> str:
        audible: list[tuple[Item, Clip]] = []
        for _track, items in self.active(AUDIO):
            for item in items:
                if item.kind != "clip":
                    continue
                clip = self.clips[item.clip or ""]
                end = min(self.sample(item.end), self.total_samples)
                if clip.has_audio and end > self.sample(item.start):
                    audible.append((item, clip))
        bed = self.graph.chain(
            "",
            [f"anullsrc=r={self.rate}:cl=stereo", f"atrim=end_sample={self.total_samples}"],
            self.graph.label("bed"),
        )
        self.skipped: dict[str, Fraction] = {}
        sources = self.audio_sources(audible)
        layers = [
            self.sound(item, sources[item.id], self.skipped[str(Path(clip.path or "").resolve())])
            for item, clip in audible
        ]
        out = bed
        if layers:
            out = self.graph.chain(
                bed + "".join(layers),
                [f"amix=inputs={len(layers) + 1}:normalize=0:duration=first"],
                self.graph.label("mix"),
            )
        final_rate = self.fmt.output_sample_rate(self.rate)
        tail = ["aformat=channel_layouts=stereo"]
        if final_rate != self.rate:
            tail.insert(0, f"aresample={final_rate}")
        return self.graph.chain(out, tail, "aout")

    def audio_sources(self, audible: list[tuple[Item, Clip]]) -> dict[str, str]:
        """One input per audio file, split when several items use it; item id -> stream label."""
        by_file: dict[str, list[Item]] = {}
        named: dict[str, str] = {}
        for item, clip in audible:
            assert clip.path is not None
            by_file.setdefault(str(Path(clip.path).resolve()), []).append(item)
            named.setdefault(str(Path(clip.path).resolve()), clip_label(clip))
        out: dict[str, str] = {}
        for path, items in by_file.items():
            until = max(i.source_out for i in items) + Fraction(1, 10)
            skip = min(i.source_in for i in items) if self.seek_audio else Fraction(0)
            self.skipped[path] = skip
            seek = ["-ss", to_ffmpeg(skip)] if skip else []
            k = self.graph.add_input(["-vn", *seek, "-t", to_ffmpeg(until - skip), "-i", path], named[path])
            if len(items) == 1:
                out[items[0].id] = f"[{k}:a:0]"
                continue
            labels = [self.graph.label("as") for _ in items]
            self.graph.chains.append(f"[{k}:a:0]asplit={len(items)}" + "".join(f"[{x}]" for x in labels))
            for item, label in zip(items, labels, strict=True):
                out[item.id] = f"[{label}]"
        return out

    def sound(self, item: Item, source: str, skipped: Fraction = Fraction(0)) -> str:
        start = self.sample(item.start)
        samples = min(self.sample(item.end), self.total_samples) - start
        seconds = Fraction(samples, self.rate)
        first = self.sample(item.source_in - skipped)
        filters = [
            f"aresample={self.rate}",
            "aformat=sample_fmts=fltp:channel_layouts=stereo",
            f"atrim=start_sample={first}:end_sample={first + samples}",
            "asetpts=PTS-STARTPTS",
        ]
        if item.gain_db:
            filters.append(f"volume={item.gain_db:.3f}dB")
        fade_in = min(item.fade_in, seconds)
        fade_out = min(item.fade_out, seconds)
        if fade_in > 0:
            filters.append(f"afade=t=in:ss=0:ns={self.sample(fade_in)}")
        if fade_out > 0:
            n = self.sample(fade_out)
            filters.append(f"afade=t=out:ss={samples - n}:ns={n}")
        filters += [f"apad=whole_len={samples}", f"atrim=end_sample={samples}"]
        if start:
            filters.append(f"adelay=delays={start}S:all=1")
        return self.graph.chain(source, filters, self.graph.label("a"))

    # -- the command -------------------------------------------------------------------------------
    def build(self) -> RenderPlan:
        if self.tl.duration <= 0 or self.total_frames <= 0:
            raise InvalidInput("the timeline is empty: there is nothing to render")
        if self.fmt.has_video and (self.width % 2 or self.height % 2):
            raise InvalidInput(
                f"the project size {self.width}x{self.height} must be even in both directions for "
                f"{self.fmt.name} video"
            )
        self.check_sources()
        maps: list[str] = []
        if self.fmt.has_video:
            maps += ["-map", self.video()]
        maps += ["-map", self.audio()]
        graph = ";".join(self.graph.chains)
        args: list[str] = []
        for input_args in self.graph.inputs:
            args += input_args
        args += [
            "-filter_complex",
            graph,
            *maps,
            *self.fmt.codec_args(),
            "-map_metadata",
            "-1",
            "-map_chapters",
            "-1",
        ]
        return RenderPlan(
            args=tuple(args),
            duration=self.tl.duration,
            format=self.fmt,
            filtergraph=graph,
            inputs=tuple(a[-1] for a in self.graph.inputs),
            labels=tuple(self.graph.labels),
            title_cards=tuple(self.cards),
        )


def build_plan(
    timeline: Timeline,
    clips: Mapping[str, Clip],
    fmt: OutputFormat,
    titles: TitleMode,
    *,
    seek_audio: bool = False,
) -> RenderPlan:
    """The ffmpeg command that renders `timeline` (a snapshot) to `fmt`.

    `clips` maps clip id -> Clip with a local path. Raises MediaError listing every offline file,
    InvalidInput for an item reaching past the end of its clip or an empty timeline. `seek_audio` opens
    sound files with input seeking to their first sample used instead of decoding them from the start:
    a few hundred samples off (see docs/decisions.md), which playback accepts to start at once from the
    middle of a long file; exports never use it.
    """
    return _Planner(timeline, clips, fmt, titles, seek_audio).build()
