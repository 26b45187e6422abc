"""The frame the preview shows at the playhead, compared with the frame ffmpeg itself decodes there."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np

from studio.media.still_frame import RgbFrame, frame_at
from tests import mediagen


def ffmpeg_frame(path: Path, at: float, width: int, height: int) -> np.ndarray:
    raw = subprocess.run(
        [mediagen.ffmpeg(), "-v", "error", "-nostdin", "-ss", str(at), "-i", str(path), "-frames:v", "1",
         "-vf", f"scale={width}:{height}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3).astype(np.int16)


def pixels(frame: RgbFrame) -> np.ndarray:
    data = np.frombuffer(frame.data, np.uint8).reshape(frame.height, frame.line_size)
    return data[:, : frame.width * 3].reshape(frame.height, frame.width, 3).astype(np.int16)


def test_the_frame_at_a_time_is_the_one_ffmpeg_decodes_there(tmp_path: Path) -> None:
    video = mediagen.make_video(tmp_path / "pattern.mp4", 2, audio=False)
    frame = frame_at(video, Fraction(6, 5), 160)
    assert (frame.width, frame.height) == (160, 120) and len(frame.data) >= frame.line_size * 119 + 480
    seen = pixels(frame)
    same = np.abs(seen - ffmpeg_frame(video, 1.2, 160, 120)).mean()
    other = np.abs(seen - ffmpeg_frame(video, 0.4, 160, 120)).mean()
    assert same < 4 and other > 3 * same  # neighbouring frames differ by about 6
