"""`studio demo` run for real in a fresh data folder, its file read with the ffmpeg binary and mutagen."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from mutagen.mp4 import MP4

from tests import mediagen

NESTED = {"Priya Raman", "Lars Nørgaard", "Kofi Mensah"}
# Worked out by hand from the demo's timeline (12 s; V1: four 3 s clips, A1: 12 s music, A2: the test card's
# 3 s of sound; editor Mika) and the weighted-time/1 rules: picture 4500 / 12 s, sound 4500 / 15 s, editing
# 1000. The nested remix (3 s of picture) passes its 1125 through its own block: Priya 4500, Lars 4500,
# Kofi 1000 -> 506.25, 506.25, 112.5. Largest remainders: the .5 ties go to Ana and Kofi (name order).
EXPECTED = {
    "Zoë Ångström": 1125 + 900,
    "Amara Okafor": 1800,
    "Lucía Fernández": 1800,
    "Tomás O'Neill": 1125,
    "Mika Järvinen": 1000,
    "Ana Sousa": 563,
    "山田 花子": 562,
    "Priya Raman": 506,
    "Lars Nørgaard": 506,
    "Kofi Mensah": 113,
}


def studio(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "STUDIO_DATA_DIR": str(home / "data"),
        "STUDIO_CONFIG_DIR": str(home / "config"),
        "STUDIO_CACHE_DIR": str(home / "cache"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "studio.cli.main", *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done


def media_files(home: Path) -> list[Path]:
    return sorted(p for p in (home / "data" / "media").rglob("*") if p.is_file())


def test_demo_renders_a_remix_crediting_everyone_and_reuses_its_library(tmp_path: Path) -> None:
    home = tmp_path / "home"
    out = tmp_path / "out"
    summary = json.loads(studio(home, "demo", "--out", str(out), "--json").stdout)
    video = Path(summary["path"])
    assert video.parent == out and video.is_file()
    assert summary["clips_added"] == 7  # six generated sources and the nested remix

    info = mediagen.ffmpeg_info(video)
    duration = re.search(r"Duration: 00:00:(\d+\.\d+)", info)
    assert duration is not None, info
    assert abs(float(duration.group(1)) - 17.0) < 0.1, "12 s of remix and a 5 s credits roll"
    assert re.search(r"Video: h264.*640x360", info), info
    assert re.search(r"Audio: aac.*48000 Hz, stereo", info), info

    tags = MP4(video).tags
    assert tags is not None
    block = json.loads(bytes(tags["----:com.apple.iTunes:CREDITS_JSON"][0]).decode("utf-8"))
    shares = {c["name"]: c["share_bp"] for c in block["contributors"]}
    assert sum(shares.values()) == 10000
    assert shares == EXPECTED
    assert set(shares) >= NESTED
    via = {s["title"]: s["via"] for s in block["sources"]}
    nested_id = next(s["clip"] for s in block["sources"] if s["title"] == "Dusk variations")
    assert via["Dusk variations"] == []
    assert via["Dusk gradient"] == via["Cello drone"] == [nested_id]
    assert via["Mandelbrot zoom"] == []
    sidecar = json.loads(Path(summary["sidecar"]).read_text(encoding="utf-8"))
    assert sidecar["contributors"] == block["contributors"]
    # the sources' licences were checked; every source clip is attributed, the nested ones included
    assert block["work"]["licence"] == summary["licence"] == "CC-BY-SA-4.0"
    assert summary["attribution"] == block["attribution"] == sidecar["attribution"]
    for title in ("Dusk variations", "Dusk gradient", "Cello drone", "Mandelbrot zoom"):
        assert any(line.startswith(f'"{title}" by ') for line in block["attribution"]), title
    assert summary["signed_by"] == "" and any("unsigned: not logged in" in w for w in summary["warnings"])

    stored = media_files(home)
    again = studio(home, "demo", "--out", str(out))
    assert "reused" in again.stdout and "signature  unsigned" in again.stdout
    assert "unsigned: not logged in" in again.stderr
    assert str(video) in again.stdout
    assert "山田 花子" in again.stdout
    assert media_files(home) == stored
    reread = json.loads(bytes(MP4(video).tags["----:com.apple.iTunes:CREDITS_JSON"][0]).decode("utf-8"))
    assert {c["name"]: c["share_bp"] for c in reread["contributors"]} == EXPECTED
