"""`studio` with no command: the desktop app.

Startup shows the window as soon as it is built and does everything else afterwards on the event loop
(library load, welcome on first run), so the window is up about as fast as an empty one. Media
libraries (numpy, PyAV, moviepy) are imported only when first used.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from studio import __version__
from studio.core.paths import config_dir

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
    return app


def build_window(show_welcome: bool = True):  # type: ignore[no-untyped-def]
    """The main window on the open project (the one used last, as its journal left it)."""
    from studio.core.store import Store
    from studio.services.sync_status import SyncStatusModel
    from studio.ui import theme
    from studio.ui.main_window import MainWindow

    settings = app_settings()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setWindowIcon(theme.app_icon())
    name = str(settings.value("ui/theme", "dark"))
    window = MainWindow(Store(), settings, SyncStatusModel(str(settings.value("sync/server", "") or "")))
    window.set_theme(name if name in theme.THEMES else "dark")
    window.open_last_project()
    if show_welcome and not settings.value("welcome/done", False, type=bool):
        QTimer.singleShot(300, window.show_welcome)
    return window


def run_app(argv: Sequence[str]) -> int:
    app = create_app(argv)
    window = build_window(show_welcome=os.environ.get("STUDIO_NO_WELCOME") != "1")
    window.show()
    code = app.exec()
    window.store.close()
    return int(code)


if __name__ == "__main__":
    sys.exit(run_app(sys.argv))
