"""Every still format ffmpeg reads imports as an image and renders from its extensionless library copy:
GIF and ICO (whose demuxers have no -loop), TGA (read by extension only), PCX, BMP and PNG. The
rendered picture is compared with the original decoded by ffmpeg itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from studio.core.library import get_clip
from studio.media.formats import get_format
from studio.media.render import plan_render, run_plan
from studio.services.library import import_files
from studio.services.projects import open_store
from tests import mediagen
from tests.media.test_render import ffmpeg_duration, frame_at
from tests.media.test_render_plan import clip_map, timeline

SIZE = "64x48"


def original_rgb(path: Path) -> np.ndarray:
    """The still's first picture as ffmpeg decodes it, in RGB."""
    raw = subprocess.run([mediagen.ffmpeg(), "-v", "error", "-i", str(path), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    width, height = map(int, SIZE.split("x"))
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3)


@pytest.mark.parametrize("suffix", [".gif", ".ico", ".tga", ".pcx", ".bmp", ".png"])
def test_still_imports_as_an_image_and_renders_from_the_library(suffix: str, media_dir: Path,
                                                                tmp_path: Path) -> None:
    source = mediagen.make_image(media_dir / f"still-{SIZE}{suffix}", SIZE)
    with open_store() as store:
        (imported,) = import_files(store, [source])
        clip = get_clip(store, imported.clip.id)
    assert clip.kind == "image" and clip.duration is None
    assert clip.path is not None and clip.path.suffix == "" and clip.path != source
    tl = timeline([("V1", [dict(clip=clip, start=0, duration=1)])], size=(64, 48))
    out = run_plan(plan_render(tl, clip_map(clip), get_format("mp4")), tmp_path / "still.mp4")
    assert abs(ffmpeg_duration(out) - 1.0) <= 0.05
    rendered = frame_at(out, 0.5).astype(int)
    expected = original_rgb(source).astype(int)
    assert np.abs(rendered - expected).mean() < 12  # the picture, through yuv420p and H.264
