"""Names in other scripts draw as themselves, not as boxes: glyphs are looked up as Qt lays the text out.

With the machine's fonts (fontconfig falls back to any installed font), and in a bundle on a machine
whose fontconfig knows only DejaVu, where the font the installer bundles in resources/fonts must do it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deps import missing_dependency

pytestmark = pytest.mark.qt
ROOT = Path(__file__).resolve().parents[2]
NAMES = "山田 花子 · 김민준 · 陈静 · Ørjan Ñúñez · محمد · Ξανθή"

_MISSING_GLYPHS = """
import json, sys
from PySide6.QtGui import QTextLayout
from studio.ui.app import create_app
app = create_app(sys.argv)
layout = QTextLayout(sys.argv[1], app.font())
layout.beginLayout(); layout.createLine(); layout.endLayout()
runs = layout.glyphRuns()
print(json.dumps({"missing": sum(1 for r in runs for g in r.glyphIndexes() if g == 0),
                  "fonts": sorted({r.rawFont().familyName() for r in runs})}))
"""


def _cjk_font_file() -> Path:
    listed = (
        subprocess.run(["fc-list", ":lang=ko", "file"], capture_output=True, text=True).stdout
        if shutil.which("fc-list")
        else ""
    )
    files = sorted(line.strip().rstrip(":") for line in listed.splitlines() if line.strip())
    if not files:
        missing_dependency(
            "no font for Chinese, Japanese and Korean (Debian: fonts-wqy-microhei, as .ci/run installs)"
        )
    return Path(files[0])


def _layout(text: str, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _MISSING_GLYPHS, text],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_names_in_other_scripts_find_glyphs_in_the_installed_fonts():
    _cjk_font_file()
    assert _layout(NAMES, {})["missing"] == 0


def test_a_bundle_draws_them_with_its_own_font_where_the_machine_has_none(tmp_path):
    font = _cjk_font_file()
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    if not dejavu.is_dir():
        missing_dependency("DejaVu fonts are not installed (Debian: fonts-dejavu-core)")
    config = tmp_path / "fonts.conf"
    config.write_text(
        f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><dir>{dejavu}</dir>'
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>"
    )
    resources = tmp_path / "resources"
    shutil.copytree(ROOT / "resources", resources, ignore=shutil.ignore_patterns("packaging"))
    env = {"FONTCONFIG_FILE": str(config), "STUDIO_RESOURCES_DIR": str(resources)}
    without = _layout(NAMES, env)
    assert without["missing"], "the machine-only setup already covers the names: the test shows nothing"
    (resources / "fonts").mkdir()
    shutil.copy2(font, resources / "fonts" / font.name)
    bundled = _layout(NAMES, env)
    assert bundled["missing"] == 0, bundled
