"""First run: a short welcome offering the demo library, a server connection, or a local server.

Nothing here waits on the network: connecting runs on the network pool (the form says how it went),
and the demo library is made by the demo service on the import pool: real media from
ffmpeg's generators, imported with credits, a nested remix and the demo remix project.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui import tasks
from studio.ui.connect import ConnectForm
from studio.ui.icons import app_icon, icon

if TYPE_CHECKING:
    from studio.services.account import Account
    from studio.ui.main_window import MainWindow

WELCOMED_KEY = "welcome/done"


def open_demo_library(window: MainWindow) -> tasks.TaskHandle:
    """Seed the demo library and its remix with the demo service (studio.services.demo, as `studio demo`
    does) on the import pool, then show the remix project."""
    from studio.services import demo

    def done(result: demo.DemoResult) -> None:
        window.catalog.reload()
        window.document.open(result.project)
        window.post(
            f"Demo library ready: drag clips to the timeline, press Space to play. "
            f"Its remix, with credits, is at {result.path}",
            15000,
        )

    return window.run_task(
        "import",
        "Preparing the demo library",
        lambda ctx: demo.run_demo(progress=ctx.progress, cancel=ctx.cancel),
        done,
    )


class WelcomeDialog(QDialog):
    def __init__(self, window: MainWindow, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.window_ = window
        self.settings = settings
        self.setWindowTitle("Welcome to Remix Studio")
        self.setMinimumWidth(560)
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(64, 64))
        heading = QLabel("Welcome to Remix Studio")
        heading.setObjectName("heading")
        intro = QLabel(
            "Remix clips that people share, with their credits kept all the way through: every export "
            "names who made what, and how the work is shared."
        )
        intro.setWordWrap(True)
        intro.setObjectName("muted")
        top = QHBoxLayout()
        top.addWidget(logo)
        text = QVBoxLayout()
        text.addWidget(heading)
        text.addWidget(intro)
        top.addLayout(text, 1)
        card = QFrame()
        card.setObjectName("welcomeCard")
        actions = QVBoxLayout(card)
        self.demo_button = self._choice(
            "demo", "Open the demo library", "Credited clips, a remix of a remix, and its export"
        )
        self.demo_button.clicked.connect(self._on_demo_clicked)
        actions.addWidget(self.demo_button)
        connect_heading = QLabel("Or connect to a server to share clips and remix with others")
        connect_heading.setObjectName("muted")
        actions.addWidget(connect_heading)
        self.connect_form = ConnectForm(window.sync)
        self.connect_form.connected.connect(self._on_connected)
        actions.addWidget(self.connect_form)
        self.local_button = self._choice(
            "cloud-sync", "Start a local server", "Share with others on this machine"
        )
        self.local_button.clicked.connect(self._on_local_clicked)
        actions.addWidget(self.local_button)
        skip = QPushButton("Start with an empty project")
        skip.clicked.connect(self._on_skip_clicked)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(card)
        layout.addWidget(skip, 0, Qt.AlignmentFlag.AlignRight)
        # Enter in the connect form connects (its fields submit it); no button of the dialog is the
        # default one, so Enter never opens the demo library or skips by accident.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)

    def _choice(self, icon_name: str, title: str, note: str) -> QPushButton:
        button = QPushButton(icon(icon_name), f"{title}\n{note}")
        button.setObjectName("welcomeAction")
        return button

    def _done(self) -> None:
        self.settings.setValue(WELCOMED_KEY, True)
        self.settings.sync()
        self.accept()

    def _on_connected(self, account: Account) -> None:
        """Say it where it stays visible: the dialog closes now."""
        self.window_.post(f"Connected to {account.server} as {account.username}.", 15000)
        self._done()

    def _on_demo_clicked(self) -> None:
        open_demo_library(self.window_)
        self._done()

    def _on_local_clicked(self) -> None:
        """Start `studio serve` here (it outlives the app; Sync ▸ Stop the local server ends it) and,
        once it answers, fill the form in for a new account on it."""
        sync = self.window_.sync
        self.local_button.setEnabled(False)
        self.connect_form.state.setText("Starting a local server…")
        sync.local_server_changed.connect(self._on_local_server_changed)
        sync.local_server_failed.connect(self._on_local_server_failed)
        sync.start_local_server()

    def _on_local_server_changed(self, server: Any) -> None:
        if server is None:
            return
        self.local_button.setEnabled(True)
        self.connect_form.server.setText(server.url)
        self.connect_form.create_account.setChecked(True)
        self.connect_form.state.setText(
            f"A local server runs at {server.url}: choose an account and a password."
        )
        self.connect_form.account.setFocus()

    def _on_local_server_failed(self, message: str) -> None:
        self.local_button.setEnabled(True)
        self.connect_form.state.setText(f"The local server could not be started: {message}")

    def _on_skip_clicked(self) -> None:
        self._done()
