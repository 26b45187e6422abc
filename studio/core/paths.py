"""Where the studio keeps its files: platformdirs defaults, each folder overridable by env.

STUDIO_DATA_DIR, STUDIO_CONFIG_DIR and STUDIO_CACHE_DIR let tests and portable bundles
point the studio anywhere without touching the user's real folders. A bundle runs portable
(everything in `studio-data/` next to the executable) when a file named `portable` sits beside
the executable or STUDIO_PORTABLE=1 is set.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "remix-studio"
PORTABLE_MARKER = "portable"


def portable_root() -> Path | None:
    """The folder for data, config and cache in portable mode, or None when not portable."""
    exe_dir = Path(sys.executable).resolve().parent
    if os.environ.get("STUDIO_PORTABLE") == "1" or (
        getattr(sys, "frozen", False) and (exe_dir / PORTABLE_MARKER).exists()
    ):
        return exe_dir / "studio-data"
    return None


def _dir(env: str, default: str, portable_name: str) -> Path:
    value = os.environ.get(env)
    root = None if value else portable_root()
    if value:
        path = Path(value).expanduser()
    elif root is not None:
        path = root / portable_name
    else:
        path = Path(default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    return _dir("STUDIO_DATA_DIR", platformdirs.user_data_dir(APP_NAME), "data")


def config_dir() -> Path:
    return _dir("STUDIO_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME), "config")


def cache_dir() -> Path:
    return _dir("STUDIO_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME), "cache")


def media_path(sha256: str) -> Path:
    """Content-addressed location of a media file: media/ab/cd/<sha256>."""
    return data_dir() / "media" / sha256[:2] / sha256[2:4] / sha256


def store_path() -> Path:
    return data_dir() / "studio.db"
