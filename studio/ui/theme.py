"""Themes: the dark and light style sheets in resources/, the palette, and the colours the custom-painted
widgets use (timeline, ruler, preview). Icons in the theme's colours are in studio.ui.icons."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("dark", "light")
_MARKER = "dark.qss"


def resource_candidates() -> list[Path]:
    """Where resources/ may be, most specific first: $STUDIO_RESOURCES_DIR; in a frozen bundle, its
    data folder (PyInstaller's sys._MEIPASS, which holds `resources/` copied by the bundle spec) and
    beside the executable; else beside the package in a checkout or an installed tree."""
    places = []
    override = os.environ.get("STUDIO_RESOURCES_DIR")
    if override:
        places.append(Path(override))
    if getattr(sys, "frozen", False):
        bundle_data = getattr(sys, "_MEIPASS", None)
        if bundle_data:
            places.append(Path(bundle_data) / "resources")
        exe_dir = Path(sys.executable).resolve().parent
        places += [exe_dir / "_internal" / "resources", exe_dir / "resources"]
    places.append(Path(__file__).resolve().parents[2] / "resources")
    return places


@cache
def resources_dir() -> Path:
    """The first candidate folder that holds the style sheets; a clear error naming every place tried."""
    places = resource_candidates()
    for place in places:
        if (place / _MARKER).is_file():
            return place
    tried = ", ".join(str(p) for p in places)
    raise FileNotFoundError(f"the studio's resources (style sheets, icons) are missing: looked in {tried}")


@dataclass(frozen=True)
class Colors:
    """Colours the custom-painted widgets (timeline, ruler, preview) use for one theme."""

    name: str
    window: str
    text: str
    muted: str
    accent: str
    track_bg: str
    track_alt_bg: str
    track_line: str
    ruler_bg: str
    ruler_tick: str
    video_clip: str
    audio_clip: str
    title_clip: str
    clip_text: str
    selection: str
    playhead: str
    conflict: str
    waveform: str
    locked_hatch: str
    snap_line: str


DARK = Colors(
    name="dark",
    window="#1b1c20",
    text="#e7e8ec",
    muted="#9aa0ab",
    accent="#ff7a3d",
    track_bg="#202228",
    track_alt_bg="#1d1f24",
    track_line="#30333b",
    ruler_bg="#26282e",
    ruler_tick="#7d838f",
    video_clip="#3a6ea5",
    audio_clip="#2f8f6b",
    title_clip="#8a55c9",
    clip_text="#f4f6fa",
    selection="#ffd24d",
    playhead="#ff4d4d",
    conflict="#ff9f1a",
    waveform="#bff2dc",
    locked_hatch="#00000060",
    snap_line="#ffd24d",
)
LIGHT = Colors(
    name="light",
    window="#f3f3f5",
    text="#1d1f24",
    muted="#5f6672",
    accent="#e0571b",
    track_bg="#fafafb",
    track_alt_bg="#f1f2f4",
    track_line="#d9dbe1",
    ruler_bg="#e9eaee",
    ruler_tick="#6b717c",
    video_clip="#5b8fd0",
    audio_clip="#3fae84",
    title_clip="#9a6ad6",
    clip_text="#ffffff",
    selection="#ff9800",
    playhead="#e53935",
    conflict="#e67e00",
    waveform="#0f5c40",
    locked_hatch="#00000030",
    snap_line="#ff9800",
)
_current: list[Colors] = [DARK]


def colors() -> Colors:
    return _current[0]


def style_sheet(name: str) -> str:
    """The app's style sheet for a theme (resources/<name>.qss with its resource paths filled in)."""
    folder = resources_dir()
    return (folder / f"{name}.qss").read_text(encoding="utf-8").replace("@resources@", folder.as_posix())


def apply_theme(app: QApplication, name: str, *, with_style_sheet: bool = True) -> Colors:
    """Style the whole app with resources/<name>.qss and a matching palette; returns its colours.
    Without the style sheet only the palette and colours change (a window still building its widgets
    sets the sheet once they exist)."""
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r} (themes: {', '.join(THEMES)})")
    qss = style_sheet(name) if with_style_sheet else ""
    chosen = DARK if name == "dark" else LIGHT
    _current[0] = chosen
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor(chosen.window))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(chosen.text))
    palette.setColor(QPalette.ColorRole.Base, QColor(chosen.track_bg))
    palette.setColor(QPalette.ColorRole.Text, QColor(chosen.text))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor(chosen.text))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(chosen.accent))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor(chosen.muted))
    app.setPalette(palette)
    if with_style_sheet:
        app.setStyleSheet(qss)
    return chosen
