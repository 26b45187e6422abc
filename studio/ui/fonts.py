"""Names in any script: fonts that cover what the default UI font lacks (CJK, Arabic, Indic ...).

Qt already falls back through fontconfig to any installed font that has a missing character. A bundle
runs on machines that may have none, so it carries a wide-coverage font in resources/fonts (see
build_installer.py and docs/decisions.md); those fonts are registered here and put behind the default
family, so a name typed in any of their scripts draws as itself instead of as boxes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


def bundled_font_files(resources: Path) -> list[Path]:
    folder = resources / "fonts"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in FONT_SUFFIXES)


def install_fallbacks(app: QApplication, resources: Path) -> list[str]:
    """Register the bundled fonts and make them the fallbacks of the application font (and of the
    families style sheets and painters name). Returns the families added."""
    added: list[str] = []
    for path in bundled_font_files(resources):
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id >= 0:
            added += [f for f in QFontDatabase.applicationFontFamilies(font_id) if f not in added]
    if not added:
        return []
    font = app.font()
    primary = font.family()
    font.setFamilies([primary, *added])
    app.setFont(font)
    for family in {primary, "Sans Serif", "sans-serif", "monospace", QFont().defaultFamily()}:
        QFont.insertSubstitutions(family, added)
    return added
