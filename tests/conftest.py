"""Test-wide isolation: every test gets its own data, config and cache folders, and Qt runs offscreen."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("STUDIO_KEYRING", "file")


@pytest.fixture(autouse=True)
def studio_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point STUDIO_DATA_DIR / STUDIO_CONFIG_DIR / STUDIO_CACHE_DIR at fresh folders for each test."""
    base = tmp_path_factory.mktemp("studio-home")
    dirs = {
        "STUDIO_DATA_DIR": str(base / "data"),
        "STUDIO_CONFIG_DIR": str(base / "config"),
        "STUDIO_CACHE_DIR": str(base / "cache"),
    }
    for key, value in dirs.items():
        monkeypatch.setenv(key, value)
    return dirs
