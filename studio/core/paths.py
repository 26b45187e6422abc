"""Where the studio keeps its files: platformdirs defaults, each folder overridable by env.

STUDIO_DATA_DIR, STUDIO_CONFIG_DIR and STUDIO_CACHE_DIR let tests and portable bundles
point the studio anywhere without touching the user's real folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "remix-studio"


def _dir(env: str, default: str) -> Path:
    value = os.environ.get(env)
    path = Path(value).expanduser() if value else Path(default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    return _dir("STUDIO_DATA_DIR", platformdirs.user_data_dir(APP_NAME))


def config_dir() -> Path:
    return _dir("STUDIO_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME))


def cache_dir() -> Path:
    return _dir("STUDIO_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME))


def media_path(sha256: str) -> Path:
    """Content-addressed location of a media file: media/ab/cd/<sha256>."""
    return data_dir() / "media" / sha256[:2] / sha256[2:4] / sha256


def store_path() -> Path:
    return data_dir() / "studio.db"
