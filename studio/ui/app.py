"""`studio` with no command: the desktop app.

Startup shows the window as a light skeleton and builds the rest on the event loop right after its
first paint (docks one per turn, the store and the last project on a worker, the welcome on first
run), so the window is up about as fast as an empty one. Media libraries (numpy, PyAV, moviepy) and
the store's sqlite-utils are imported off the UI thread or when first used.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from studio.ui import import_hook

import_hook.install()  # before the studio's own Qt modules are imported

from studio import __version__  # noqa: E402
from studio.core.paths import config_dir  # noqa: E402

if TYPE_CHECKING:
    from studio.ui.main_window import MainWindow

QUIT_AFTER_ENV = "STUDIO_QUIT_AFTER_MS"
ORGANISATION = "Remix Studio"
APPLICATION = "Remix Studio"


def app_settings() -> QSettings:
    """Settings in the studio's config folder (STUDIO_CONFIG_DIR), as an INI file."""
    return QSettings(str(config_dir() / "studio-ui.ini"), QSettings.Format.IniFormat)


def create_app(argv: Sequence[str]) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(list(argv))
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("remix-studio")
    _install_fonts(app)
    return app


def _install_fonts(app: QApplication) -> None:
    """The bundled fallback fonts, when this is a bundle that carries them (a stat otherwise)."""
    from studio.ui import theme

    try:
        resources = theme.resources_dir()
    except FileNotFoundError:
        return  # the window says which resources are missing when it loads its style
    from studio.ui.fonts import bundled_font_files, install_fallbacks

    if bundled_font_files(resources):
        install_fallbacks(app, resources)


def build_window(show_welcome: bool = True) -> MainWindow:
    """The main window, as a skeleton that builds itself once shown (its `ready` signal says when the
    docks are up and the project used last is open, as its journal left it); finish_startup() builds
    it at once instead."""
    from studio.ui import theme
    from studio.ui.main_window import MainWindow

    settings = app_settings()
    name = str(settings.value("ui/theme", "dark"))
    welcome = show_welcome and not settings.value("welcome/done", False, type=bool)
    window = MainWindow(settings, show_welcome=welcome)
    window.set_theme(name if name in theme.THEMES else "dark")
    return window


def quit_after_ms() -> int | None:
    """STUDIO_QUIT_AFTER_MS: quit cleanly that many ms after the window is ready (smoke tests).

    Counted from ready, not from the first paint, so a loaded machine that opens the project slowly still
    quits with the project on the timeline.
    """
    value = os.environ.get(QUIT_AFTER_ENV, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(f"{QUIT_AFTER_ENV} must be a whole number of milliseconds, not {value!r}")
    return int(value)


def quit_everything() -> None:
    """Close every window (the main window saves its layout and stops its work), then leave the loop."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.closeAllWindows()
        app.quit()


def run_app(argv: Sequence[str]) -> int:
    try:
        quit_after = quit_after_ms()
    except ValueError as exc:
        print(f"studio: error: {exc}", file=sys.stderr)
        return 2
    app = create_app(argv)
    window = build_window(show_welcome=os.environ.get("STUDIO_NO_WELCOME") != "1")
    if quit_after is not None:
        window.ready.connect(lambda: QTimer.singleShot(quit_after, quit_everything))
    window.show()
    code = app.exec()
    window.release()
    return int(code)


if __name__ == "__main__":
    sys.exit(run_app(sys.argv))
