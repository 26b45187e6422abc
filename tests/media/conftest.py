"""Media fixtures: generated once per test session (per xdist worker) with the real ffmpeg binary."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests import mediagen


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session-wide folder for generated media; mediagen returns files already made there."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def studio_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the studio's data and cache folders at this test's temp folder."""
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("STUDIO_FFMPEG", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def clip(media_dir: Path) -> Path:
    """320x240, 25 fps, 2 s H.264 with 48 kHz stereo AAC."""
    return mediagen.make_video(media_dir / "clip.mp4", 2)


@pytest.fixture(scope="session")
def tone(media_dir: Path) -> Path:
    """1 s of a 440 Hz tone, 48 kHz stereo WAV."""
    return mediagen.make_audio(media_dir / "tone.wav", 1)


@pytest.fixture(scope="session")
def silence(media_dir: Path) -> Path:
    """1 s of digital silence, 48 kHz mono WAV."""
    return mediagen.make_audio(media_dir / "silence.wav", 1, channels=1, silent=True)


@pytest.fixture(scope="session")
def still(media_dir: Path) -> Path:
    """A 320x240 PNG."""
    return mediagen.make_image(media_dir / "still.png")


@pytest.fixture()
def copy_of(tmp_path: Path):
    """Copy a generated file into this test's folder, so a test may change it."""

    def make(source: Path, name: str | None = None) -> Path:
        target = tmp_path / "work" / (name or source.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return target

    return make
