"""Timelines as other editors write them, built with the opentimelineio library itself.

Each builder writes an .otio file with `opentimelineio.adapters.write_to_file` and returns its path,
so the import tests read files produced by the reference implementation, not by our exporter.
Frame counts are given at the rate named in each builder; the tests work out the expected exact
times from those counts by hand.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange
NTSC = 24000 / 1001


def frames(start: float, duration: float, rate: float = 24) -> otio.opentime.TimeRange:
    return TR(RT(start, rate), RT(duration, rate))


def clip(name: str, media: Path | str | None, start: float, duration: float, rate: float = 24,
         available: tuple[float, float] | None = None) -> otio.schema.Clip:
    """A clip showing [start, start + duration) frames of `media` (a path, a URL string or None)."""
    if media is None:
        ref: otio.core.MediaReference = otio.schema.MissingReference()
    else:
        url = media.as_uri() if isinstance(media, Path) else media
        ref = otio.schema.ExternalReference(target_url=url)
        if available is not None:
            ref.available_range = frames(available[0], available[1], rate)
    return otio.schema.Clip(name=name, media_reference=ref, source_range=frames(start, duration, rate))


def gap(duration: float, rate: float = 24) -> otio.schema.Gap:
    return otio.schema.Gap(source_range=frames(0, duration, rate))


def write(timeline: otio.schema.Timeline, path: Path) -> Path:
    otio.adapters.write_to_file(timeline, str(path))
    return path


def gaps_timeline(path: Path, video: Path, audio: Path) -> Path:
    """V: gap 12, video [6, 30), gap 24, video [0, 12)   A: gap 6, audio at 48 kHz [4800, 28800) samples."""
    tl = otio.schema.Timeline(name="Gaps")
    v = otio.schema.Track(name="Picture", kind=otio.schema.TrackKind.Video)
    v.extend([gap(12), clip("shot one", video, 6, 24), gap(24), clip("shot two", video, 0, 12)])
    a = otio.schema.Track(name="Sound", kind=otio.schema.TrackKind.Audio)
    a.extend([gap(6), clip("tone", audio, 4800, 24000, rate=48000)])
    tl.tracks.extend([v, a])
    return write(tl, path)


def transitions_timeline(path: Path, video: Path) -> Path:
    """A [0, 48) frames, a 6+6 frame dissolve, B [12, 36): the cut stays at frame 48."""
    tl = otio.schema.Timeline(name="Dissolves")
    v = otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video)
    dissolve = otio.schema.Transition(
        name="Cross Dissolve", transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
        in_offset=RT(6, 24), out_offset=RT(6, 24),
    )
    v.extend([clip("A", video, 0, 48), dissolve, clip("B", video, 12, 24)])
    tl.tracks.append(v)
    return write(tl, path)


def nested_timeline(path: Path, video: Path) -> Path:
    """Track "main": A [0, 24) frames; a stack trimmed to [6, 30) holding a track with B [0, 48) and,
    as its upper layer, C [0, 12); D [0, 12); a nested track trimmed to [12, 24) holding E [0, 48).
    A second top-level video track "over" holds F [0, 24) after a 24-frame gap."""
    tl = otio.schema.Timeline(name="Nested")
    main = otio.schema.Track(name="main", kind=otio.schema.TrackKind.Video)
    inner = otio.schema.Track(name="inner", kind=otio.schema.TrackKind.Video)
    inner.append(clip("B", video, 0, 48))
    stack = otio.schema.Stack(name="nest", source_range=frames(6, 24))
    stack.extend([inner, clip("C", video, 0, 12)])
    nested_track = otio.schema.Track(name="sub", kind=otio.schema.TrackKind.Video)
    nested_track.source_range = frames(12, 12)
    nested_track.append(clip("E", video, 0, 48))
    main.extend([clip("A", video, 0, 24), stack, clip("D", video, 0, 12), nested_track])
    over = otio.schema.Track(name="over", kind=otio.schema.TrackKind.Video)
    over.extend([gap(24), clip("F", video, 0, 24)])
    tl.tracks.extend([main, over])
    return write(tl, path)


def markers_timeline(path: Path, video: Path) -> Path:
    """Markers on the stack (frame 36), on a track (frame 6) and on a clip placed at frame 12 that
    shows media frames [24, 72): its marker at media frame 36 sits at timeline frame 24."""
    tl = otio.schema.Timeline(name="Review")
    tl.tracks.markers.append(
        otio.schema.Marker(name="Review", marked_range=frames(36, 0), comment="tighter here",
                           color=otio.schema.MarkerColor.RED)
    )
    v = otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video)
    v.markers.append(otio.schema.Marker(name="track note", marked_range=frames(6, 0)))
    shot = clip("shot", video, 24, 48)
    shot.markers.append(otio.schema.Marker(name="", comment="flash frame", marked_range=frames(36, 0)))
    v.extend([gap(12), shot])
    tl.tracks.append(v)
    return write(tl, path)


def ntsc_timeline(path: Path, video: Path) -> Path:
    """23.976 fps (24000/1001): gap 5 frames, video [1001, 1025) frames; a 29.97 audio track."""
    tl = otio.schema.Timeline(name="NTSC", global_start_time=RT(86400, NTSC))
    v = otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video)
    v.extend([gap(5, NTSC), clip("shot", video, 1001, 24, rate=NTSC, available=(0, 2000))])
    a = otio.schema.Track(name="A", kind=otio.schema.TrackKind.Audio)
    a.extend([gap(3, 30000 / 1001), clip("shot", video, 10, 30, rate=30000 / 1001, available=(0, 2000))])
    tl.tracks.extend([v, a])
    return write(tl, path)


def no_media_timeline(path: Path, image_dir: Path) -> Path:
    """Media that cannot be used: a missing reference, an image sequence, an absent file, a
    foreign generator, and a reference to a file that another tool moved (relative URL)."""
    tl = otio.schema.Timeline(name="Offline")
    v = otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video)
    seq = otio.schema.ImageSequenceReference(
        target_url_base=image_dir.as_uri() + "/", name_prefix="frame.", name_suffix=".png",
        start_frame=1, frame_step=1, rate=24, frame_zero_padding=4,
    )
    seq_clip = otio.schema.Clip(name="sequence", media_reference=seq, source_range=frames(0, 12))
    bars = otio.schema.Clip(
        name="bars", source_range=frames(0, 12),
        media_reference=otio.schema.GeneratorReference(generator_kind="SMPTEBars", parameters={}),
    )
    v.extend([
        clip("lost", None, 0, 12),
        seq_clip,
        clip("gone", Path("/nonexistent/media/gone.mov"), 0, 12),
        bars,
        clip("gone again", Path("/nonexistent/media/gone.mov"), 12, 12),
    ])
    tl.tracks.append(v)
    return write(tl, path)
