"""What a media file holds: duration, streams, size, frame rate, rotation, sample rate, channels.

PyAV reads the container in-process (ffmpeg's own demuxers, structured, a few milliseconds),
since the bundled ffmpeg has no ffprobe. The result is stored with the clip as JSON.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from studio.core.errors import MediaError
from studio.core.timecode import from_json, to_json
from studio.media.ffmpeg import ffmpeg_path

PROBE_SCHEMA = "studio.probe/1"
IMAGE_DEFAULT_DURATION = Fraction(5)
"""How long a still image lasts when first placed on a timeline."""

_IMAGE_CODECS = {
    "png",
    "mjpeg",
    "jpegls",
    "webp",
    "bmp",
    "tiff",
    "gif",
    "jpeg2000",
    "jpegxl",
    "qoi",
    "ppm",
    "pgm",
}
_TIMING_SAMPLE = 120
_TAIL_S = Fraction(3)
_TOLERANCE_S = Fraction(1, 2)
_SHORTEST_S = Fraction(1, 100)
_DECODE_LIMIT = 600


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """The main picture stream. `rotation` is counter-clockwise degrees (0, 90, 180, 270) to apply
    for display, as in ffmpeg's -display_rotation; width and height are the coded (unrotated) size."""

    width: int
    height: int
    frame_rate: Fraction | None
    codec: str
    pix_fmt: str | None
    rotation: int
    variable_frame_rate: bool

    @property
    def display_size(self) -> tuple[int, int]:
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """The main sound stream."""

    codec: str
    sample_rate: int
    channels: int
    channel_layout: str


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """Probe result. `duration` is None for still images (see IMAGE_DEFAULT_DURATION)."""

    duration: Fraction | None
    container: str
    video: VideoInfo | None
    audio: AudioInfo | None
    is_image: bool

    @property
    def has_video(self) -> bool:
        return self.video is not None

    @property
    def has_audio(self) -> bool:
        return self.audio is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": PROBE_SCHEMA,
            "duration": None if self.duration is None else to_json(self.duration),
            "container": self.container,
            "is_image": self.is_image,
            "video": None
            if self.video is None
            else {
                "width": self.video.width,
                "height": self.video.height,
                "frame_rate": None if self.video.frame_rate is None else to_json(self.video.frame_rate),
                "codec": self.video.codec,
                "pix_fmt": self.video.pix_fmt,
                "rotation": self.video.rotation,
                "variable_frame_rate": self.video.variable_frame_rate,
            },
            "audio": None
            if self.audio is None
            else {
                "codec": self.audio.codec,
                "sample_rate": self.audio.sample_rate,
                "channels": self.audio.channels,
                "channel_layout": self.audio.channel_layout,
            },
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> MediaInfo:
        if not isinstance(doc, dict) or doc.get("schema") != PROBE_SCHEMA:
            raise MediaError(f"stored probe data is not {PROBE_SCHEMA}: {str(doc)[:80]}")
        try:
            v, a = doc["video"], doc["audio"]
            return cls(
                duration=None if doc["duration"] is None else from_json(doc["duration"]),
                container=str(doc["container"]),
                is_image=bool(doc["is_image"]),
                video=None
                if v is None
                else VideoInfo(
                    width=int(v["width"]),
                    height=int(v["height"]),
                    frame_rate=None if v["frame_rate"] is None else from_json(v["frame_rate"]),
                    codec=str(v["codec"]),
                    pix_fmt=v["pix_fmt"],
                    rotation=int(v["rotation"]),
                    variable_frame_rate=bool(v["variable_frame_rate"]),
                ),
                audio=None
                if a is None
                else AudioInfo(
                    codec=str(a["codec"]),
                    sample_rate=int(a["sample_rate"]),
                    channels=int(a["channels"]),
                    channel_layout=str(a["channel_layout"]),
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MediaError(f"stored probe data is damaged ({exc!r})") from exc


def open_container(path: Path) -> Any:
    """Open `path` with PyAV; MediaError naming the file if it is missing, empty or not media."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if not path.is_file():
        raise MediaError(f"{path} is not a file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path} is empty (0 bytes), not a media file")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise MediaError(f"{path} cannot be read: {exc.strerror or exc}") from None
    import av

    try:
        container = av.open(ffmpeg_path(path), metadata_errors="replace")
    except av.error.FFmpegError as exc:
        raise MediaError(_open_error(path, exc)) from exc
    if container.format.name == "tty":
        container.close()
        raise MediaError(f"{path} is a text file, not a media file (ffmpeg would show it as ANSI art)")
    return container


def probe(path: Path) -> MediaInfo:
    """Read a media file's streams. Raises MediaError naming the file and what is wrong with it."""
    import av

    path = Path(path)
    with open_container(path) as container:
        video_stream = next(
            (s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic),
            None,
        )
        audio_stream = next(iter(container.streams.audio), None)
        if video_stream is None and audio_stream is None:
            raise MediaError(
                f"{path} has no audio or video stream ({container.format.name}), not a media file"
            )
        _check_complete(path, path.stat().st_size, container)
        is_image = (
            video_stream is not None
            and audio_stream is None
            and _looks_like_image(path, container, video_stream)
        )
        video = _video_info(path, container, video_stream, is_image) if video_stream is not None else None
        audio = _audio_info(audio_stream) if audio_stream is not None else None
        claimed = None if is_image else _duration(container, video_stream, audio_stream)
        fmt = container.format.name
    if video is None and audio_stream is not None:
        _first_sound(path)
    duration = None if is_image else measured_duration(path, claimed)
    return MediaInfo(duration, fmt, video, audio, is_image)


def measured_duration(path: Path, claimed: Fraction | None) -> Fraction:
    """The length of `path` that its data holds, which a header cut short or damaged overstates
    (a 100-byte AIFC claiming 1,533 s). Long intact files are not decoded: the packets near the end
    of the claimed length are enough to show it is there. A file whose header claims more than its
    data reaches, or no length at all, is decoded from the start up to its first error."""
    if claimed is not None:
        tail_end = _packet_end(path, max(Fraction(0), claimed - _TAIL_S))
        if tail_end is not None and tail_end >= claimed - max(_TOLERANCE_S, claimed / 50):
            return claimed
    decoded = _decoded_end(path)
    if decoded is None or decoded < _SHORTEST_S:
        claims = f"its header claims {float(claimed):.3f} s but " if claimed else ""
        got = f"only {float(decoded) * 1000:.1f} ms" if decoded else "nothing"
        raise MediaError(f"{path} is damaged or cut short: {claims}{got} of it can be decoded")
    return decoded


def _main_streams(container: Any) -> list[Any]:
    import av

    video = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
    return video[:1] + list(container.streams.audio)[:1]


def _start(container: Any, stream: Any) -> Fraction:
    if stream.start_time is not None and stream.time_base is not None:
        return Fraction(stream.start_time) * Fraction(stream.time_base)
    return Fraction(container.start_time or 0, 1_000_000)


def _packet_end(path: Path, from_s: Fraction) -> Fraction | None:
    """The latest end time of a packet of the main streams after seeking to `from_s`."""
    import av

    end: Fraction | None = None
    with av.open(ffmpeg_path(path)) as container:
        streams = _main_streams(container)
        try:
            if from_s > 0:
                container.seek(int(from_s * 1_000_000), backward=True)
            for packet in container.demux(*streams):
                if packet.pts is None or packet.time_base is None:
                    continue
                tb = Fraction(packet.time_base)
                stop = (packet.pts + (packet.duration or 0)) * tb - _start(container, packet.stream)
                end = stop if end is None else max(end, stop)
        except av.error.FFmpegError:
            pass
    return end


def _decoded_end(path: Path) -> Fraction | None:
    """Decode the main streams from the start to the first error; the end of the last good frame."""
    import av

    end: Fraction | None = None
    with av.open(ffmpeg_path(path)) as container:
        streams = _main_streams(container)
        starts: dict[int, Fraction | None] = {
            s.index: _start(container, s) if s.start_time is not None or container.start_time else None
            for s in streams
        }
        played = dict.fromkeys(starts, Fraction(0))  # for streams without timestamps (raw H.264)
        try:
            for packet in container.demux(*streams):
                for frame in packet.decode():
                    stream = packet.stream
                    if stream.type == "audio":
                        length = Fraction(frame.samples, frame.sample_rate or 1)
                    else:
                        rate = stream.guessed_rate or stream.average_rate
                        length = 1 / Fraction(rate) if rate else Fraction(0)
                    played[stream.index] += length
                    if frame.pts is None or frame.time_base is None:
                        stop = played[stream.index]
                    else:
                        at = frame.pts * Fraction(frame.time_base)
                        start = starts.get(stream.index)
                        if start is None:  # no start in the header (elementary streams): the first frame's
                            start = starts[stream.index] = at
                        stop = at + length - start
                    end = stop if end is None else max(end, stop)
        except av.error.FFmpegError:
            pass
    return end


def _first_sound(path: Path) -> None:
    """Decode the first sound of an audio file, so one ffmpeg cannot decode is refused at import."""
    import av

    with av.open(ffmpeg_path(path)) as container:
        stream = container.streams.audio[0]
        codec = stream.codec_context.codec.canonical_name
        try:
            for packet in container.demux(stream):
                for _frame in packet.decode():
                    return
        except av.error.FFmpegError as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise MediaError(f"{path}: its {codec} sound cannot be decoded ({reason})") from exc
    raise MediaError(f"{path}: no sound could be decoded from its {codec} stream")


def _open_error(path: Path, exc: Exception) -> str:
    reason = getattr(exc, "strerror", None) or str(exc)
    with open(path, "rb") as fh:
        head = fh.read(12)
    if head[4:8] == b"ftyp":
        return (
            f"{path} is an incomplete or damaged MP4/MOV file: its index (the moov atom) is missing "
            f"or unreadable, as when a recording or download was cut short (ffmpeg: {reason})"
        )
    return f"{path} is not a media file that ffmpeg can read (ffmpeg: {reason})"


def _check_complete(path: Path, size: int, container: Any) -> None:
    """Files whose index points past their end were cut short (e.g. an interrupted copy)."""
    for stream in container.streams:
        entries = stream.index_entries
        if len(entries):
            last = entries[len(entries) - 1]
            end = last.pos + last.size
            if last.pos >= 0 and end > size:
                raise MediaError(
                    f"{path} is truncated: its {stream.type} data runs to byte {end} "
                    f"but the file has only {size} bytes"
                )


def _looks_like_image(path: Path, container: Any, stream: Any) -> bool:
    """A still: read by an image demuxer (image2, *_pipe, ico), or one picture in an image codec
    (a one-frame GIF); any codec counts, so TGA and PCX are stills too."""
    fmt = container.format.name
    if fmt in ("image2", "ico") or fmt.endswith("_pipe"):
        return True
    codec = stream.codec_context.codec.canonical_name
    return codec in _IMAGE_CODECS and (stream.frames or 0) <= 1 and _pictures(path, limit=2) <= 1


def _pictures(path: Path, *, limit: int) -> int:
    """How many video packets `path` holds, counting up to `limit`."""
    import av

    count = 0
    with av.open(ffmpeg_path(path)) as container:
        for packet in container.demux(container.streams.video[0]):
            if packet.size:
                count += 1
                if count >= limit:
                    break
    return count


def _video_info(path: Path, container: Any, stream: Any, is_image: bool) -> VideoInfo:
    cc = stream.codec_context
    use_index = len(stream.index_entries) >= 2 and len(stream.index_entries) == (stream.frames or 0)
    want_pts = not is_image and not use_index
    rotation, pts = _scan_video(path, container, stream, want_pts=want_pts, still=is_image)
    if use_index:
        entries = stream.index_entries
        count = min(len(entries), _TIMING_SAMPLE)
        pts = [entries[i].timestamp for i in range(count)]
    vfr = False if is_image else _is_variable(pts)
    rate: Fraction | None = None
    if not is_image:
        chosen = stream.average_rate if vfr else (stream.guessed_rate or stream.average_rate)
        rate = Fraction(chosen) if chosen else None
    if rotation == 0 and "rotate" in stream.metadata:
        try:
            rotation = (-round(float(stream.metadata["rotate"]))) % 360
        except ValueError:
            rotation = 0
    return VideoInfo(
        width=cc.width,
        height=cc.height,
        frame_rate=rate,
        codec=cc.codec.canonical_name,
        pix_fmt=cc.pix_fmt,
        rotation=rotation,
        variable_frame_rate=vfr,
    )


def _scan_video(
    path: Path, container: Any, stream: Any, *, want_pts: bool, still: bool = False
) -> tuple[int, list[int]]:
    """Decode the first picture (its display matrix gives the rotation; it also proves the codec is
    decodable) and, when the container has no full index, collect packet timestamps for timing."""
    import av

    kind = "picture" if still else "video"
    rotation: int | None = None
    pts: list[int] = []
    seen = 0
    try:
        for packet in container.demux(stream):
            seen += 1
            if want_pts and packet.pts is not None and packet.size:
                pts.append(packet.pts)
            if rotation is None:
                for frame in packet.decode():
                    rotation = round(frame.rotation) % 360
                    break
            if rotation is not None and (not want_pts or len(pts) >= _TIMING_SAMPLE):
                break
            if seen >= _DECODE_LIMIT and rotation is None:
                break
    except av.error.FFmpegError as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise MediaError(
            f"{path}: its {stream.codec_context.codec.canonical_name} {kind} cannot be decoded ({reason})"
        ) from exc
    if rotation is None:
        raise MediaError(
            f"{path}: no picture could be decoded from its {stream.codec_context.codec.canonical_name} {kind}"
        )
    return rotation, pts


def _is_variable(pts: list[int]) -> bool:
    """Frame durations that differ by more than rounding (one tick) and more than 10 %."""
    stamps = sorted(set(pts))
    deltas = [b - a for a, b in itertools.pairwise(stamps)]
    if len(deltas) < 2:
        return False
    low, high = min(deltas), max(deltas)
    return high - low > 1 and high > low * 1.1


def _audio_info(stream: Any) -> AudioInfo:
    cc = stream.codec_context
    layout = cc.layout
    return AudioInfo(
        codec=cc.codec.canonical_name,
        sample_rate=int(cc.sample_rate),
        channels=int(layout.nb_channels),
        channel_layout=str(layout.name),
    )


def _duration(container: Any, video: Any, audio: Any) -> Fraction | None:
    if container.duration is not None and container.duration > 0:
        return Fraction(container.duration, 1_000_000)
    spans = [
        Fraction(s.duration) * Fraction(s.time_base)
        for s in (video, audio)
        if s is not None and s.duration is not None and s.time_base is not None
    ]
    best = max(spans, default=None)
    if best is None or not math.isfinite(float(best)) or best <= 0:
        return None
    return best
