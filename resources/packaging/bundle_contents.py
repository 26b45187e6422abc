"""What goes into the standalone bundle and what stays out (kept small on purpose)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

# Qt modules the studio never imports; PySide6 wheels carry them and they would double the bundle.
QT_EXCLUDES = [
    "PySide6.Qt3DAnimation", "PySide6.Qt3DCore", "PySide6.Qt3DExtras", "PySide6.Qt3DInput",
    "PySide6.Qt3DLogic", "PySide6.Qt3DRender", "PySide6.QtBluetooth", "PySide6.QtCharts",
    "PySide6.QtDataVisualization", "PySide6.QtDesigner", "PySide6.QtGraphs", "PySide6.QtHelp",
    "PySide6.QtLocation", "PySide6.QtNfc", "PySide6.QtPdf", "PySide6.QtPdfWidgets", "PySide6.QtPositioning",
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuick3D", "PySide6.QtQuickControls2",
    "PySide6.QtQuickWidgets", "PySide6.QtRemoteObjects", "PySide6.QtScxml", "PySide6.QtSensors",
    "PySide6.QtSerialBus", "PySide6.QtSerialPort", "PySide6.QtSpatialAudio", "PySide6.QtSql",
    "PySide6.QtStateMachine", "PySide6.QtTest", "PySide6.QtTextToSpeech", "PySide6.QtUiTools",
    "PySide6.QtWebChannel", "PySide6.QtWebEngineCore", "PySide6.QtWebEngineQuick",
    "PySide6.QtWebEngineWidgets", "PySide6.QtWebSockets", "PySide6.QtWebView", "PySide6.QtHttpServer",
]
# Development and test tools that live in the same environment.
TOOL_EXCLUDES = [
    "tkinter", "pytest", "_pytest", "hypothesis", "schemathesis", "mypy", "ruff", "IPython",
    "matplotlib", "PyInstaller", "setuptools", "pip",
]


def excludes() -> list[str]:
    return QT_EXCLUDES + TOOL_EXCLUDES


def hiddenimports(collect_submodules: Callable[[str], list[str]]) -> list[str]:
    """Commands are discovered at run time, so every studio module is named explicitly."""
    modules = collect_submodules("studio")
    for package in ("uvicorn", "sqlalchemy.dialects", "alembic", "keyring.backends"):
        modules += collect_submodules(package)
    return modules


def binaries() -> list[tuple[str, str]]:
    import imageio_ffmpeg

    return [(imageio_ffmpeg.get_ffmpeg_exe(), "imageio_ffmpeg/binaries")]


def datas(root: Path) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for path in sorted((root / "resources").iterdir()):
        if path.name == "packaging" or path.name.startswith("."):
            continue
        out.append((str(path), "resources" if path.is_file() else f"resources/{path.name}"))
    migrations = root / "studio" / "server" / "migrations"
    if migrations.is_dir():
        out.append((str(migrations), "studio/server/migrations"))
    for schema in sorted((root / "studio" / "protocol" / "schemas").glob("*.schema.json")):
        out.append((str(schema), "studio/protocol/schemas"))
    return out
