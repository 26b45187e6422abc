"""`studio credits FILE [--json]` run as a real process: exit codes 0, 1 and 2 and its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from studio.media.tags import embed_credits
from tests import mediagen
from tests.media.test_tags import BLOCK

STUDIO = Path(sys.executable).with_name("studio")


def studio(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    return subprocess.run([str(STUDIO), *map(str, args)], capture_output=True, text=True, timeout=60, env=env)


def test_prints_credits(media_dir: Path, copy_of) -> None:
    target = copy_of(mediagen.make_audio(media_dir / "cli.mp3", 1), "cli.mp3")
    embed_credits(target, BLOCK)
    done = studio("credits", target)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("Title:") and "夜市" in line for line in lines)
    assert any("CC-BY-SA-4.0" in line for line in lines)
    music = next(line for line in lines if "Борис 李" in line)
    assert "50 %" in music and "music" in music
    lens = next(line for line in lines if "The Lens" in line)
    assert "25 %" in lens and "camera, editor" in lens

    as_json = studio("credits", target, "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == BLOCK


def test_exit_1_without_credits(clip: Path) -> None:
    done = studio("credits", clip)
    assert done.returncode == 1
    assert done.stdout == "" and "no studio credits" in done.stderr and str(clip) in done.stderr


def test_exit_2_for_missing_or_not_media(tmp_path: Path, media_dir: Path) -> None:
    missing = studio("credits", tmp_path / "nowhere.mp4")
    assert missing.returncode == 2 and "nowhere.mp4" in missing.stderr
    text = mediagen.make_not_media(media_dir / "letter.wav")
    wrong = studio("credits", text, "--json")
    assert wrong.returncode == 2 and "letter.wav" in wrong.stderr and "not a media file" in wrong.stderr
    assert wrong.stdout == ""
