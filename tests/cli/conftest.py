"""Run the installed `studio` command in a subprocess, with the test's own data folders."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import mediagen

STUDIO = Path(sys.executable).parent / "studio"

Run = Callable[..., subprocess.CompletedProcess[str]]


def run_studio(*args: object, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`studio ARGS...`; the environment (STUDIO_DATA_DIR ...) comes from the autouse fixture."""
    return subprocess.run([str(STUDIO), *map(str, args)], capture_output=True, text=True, timeout=timeout)


@pytest.fixture()
def studio(studio_dirs: dict[str, str]) -> Run:
    return run_studio


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr}"
    return done.stdout


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The error message of a failed command, checked to be one line on stderr and nothing on stdout."""
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("studio: error: "), done.stderr
    return lines[0]


@pytest.fixture(scope="module")
def cli_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli-media")
    return {
        "video": mediagen.make_video(folder / "harbour.mp4", 2, size="160x120"),
        "tone": mediagen.make_audio(folder / "gulls.wav", 1),
        "junk": mediagen.make_not_media(folder / "notes.mp4"),
    }
