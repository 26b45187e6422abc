"""First run: a short welcome offering the demo library, a server connection, or a local server.

Nothing here waits on the network: connecting only stores the address (the sync client checks it in
the background), and the demo library is made on the import pool with real media from ffmpeg's
generators, imported with credits and laid out as a remix project.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.clips import Clip, Credit
from studio.core.paths import cache_dir
from studio.ui import tasks
from studio.ui.theme import app_icon, icon

if TYPE_CHECKING:
    from studio.ui.main_window import MainWindow

WELCOMED_KEY = "welcome/done"
DEMO_PROJECT = "Demo remix"
# title, kind, seconds, lavfi source, credits, licence, tags
DEMO_CLIPS: list[tuple[str, str, int, str, list[tuple[str, str]], str, list[str]]] = [
    (
        "Harbour at dawn",
        "video",
        8,
        "testsrc2=size=640x360:rate=25",
        [("Ann Lee", "camera")],
        "CC-BY-4.0",
        ["city", "morning"],
    ),
    (
        "Market crowd",
        "video",
        6,
        "smptehdbars=size=640x360:rate=25",
        [("Bob Diaz", "camera")],
        "CC-BY-SA-4.0",
        ["city"],
    ),
    (
        "Neon night",
        "video",
        7,
        "mandelbrot=size=640x360:rate=25",
        [("Chen Wu", "animation")],
        "CC-BY-4.0",
        ["night", "abstract"],
    ),
    (
        "Rain on glass",
        "video",
        5,
        "life=size=640x360:rate=25:mold=10:ratio=0.3",
        [("Ann Lee", "camera")],
        "CC0-1.0",
        ["texture"],
    ),
    (
        "Warm pad",
        "audio",
        20,
        "sine=frequency=220:sample_rate=48000",
        [("Dee Okafor", "music")],
        "CC-BY-4.0",
        ["music", "ambient"],
    ),
    (
        "Street voices",
        "audio",
        9,
        "anoisesrc=color=pink:amplitude=0.2:sample_rate=48000",
        [("Bob Diaz", "sound")],
        "CC-BY-4.0",
        ["ambience"],
    ),
]


def make_demo_media(folder: Path, ctx: tasks.TaskContext) -> list[tuple[Path, tuple[Any, ...]]]:
    """Render the demo clips with ffmpeg's own sources (no download), skipping those already made."""
    from studio.media.ffmpeg import run_ffmpeg

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n, spec in enumerate(DEMO_CLIPS):
        title, kind, seconds, source, *_ = spec
        path = folder / f"{n:02d}-{title.lower().replace(' ', '-')}.{'mp4' if kind == 'video' else 'wav'}"
        if not path.is_file():
            args = ["-f", "lavfi", "-t", str(seconds), "-i", source]
            if kind == "video":
                tone = f"sine=frequency={330 + 110 * n}:sample_rate=48000"
                args += ["-f", "lavfi", "-t", str(seconds), "-i", tone, "-map", "0:v", "-map", "1:a"]
                args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
                args += ["-shortest"]
            else:
                args += ["-ac", "2", "-c:a", "pcm_s16le"]
            run_ffmpeg(args, duration=seconds, cancel=ctx.cancel, output=path)
        out.append((path, spec))
        ctx.progress((n + 1) / len(DEMO_CLIPS) * 0.5, f"made {title}")
    return out


def build_demo(ctx: tasks.TaskContext) -> list[Clip]:
    """Make, import and credit the demo clips (worker thread, own store connection)."""
    from studio.core.library import save_clip
    from studio.core.store import Store
    from studio.services.library import import_files

    made = make_demo_media(cache_dir() / "demo-media", ctx)
    store = Store()
    clips = []
    try:
        for path, (title, _kind, _s, _src, people, licence, tags) in made:
            ctx.cancel.raise_if_cancelled()
            (result,) = import_files(
                store, [path], title=title, creators=[Credit(n, (r,)) for n, r in people], licence=licence
            )
            clips.append(save_clip(store, replace(result.clip, tags=tuple(tags)), source_name=path.name))
        ctx.progress(1.0, "demo library ready")
    finally:
        store.close()
    return clips


def lay_out_demo(window: MainWindow, clips: list[Clip]) -> None:
    """A remix on the timeline: picture from four clips, music and ambience, a title on top."""
    by_title = {c.title: c for c in clips}
    document = window.document
    if DEMO_PROJECT in document.project_names():
        document.open(DEMO_PROJECT)
        return
    from studio.ui.timeline import edit_ops

    document.create(DEMO_PROJECT, edit_ops.default_tracks())
    panel = window.timeline
    v1 = document.timeline.ordered_tracks("video")[0].id
    a2 = document.timeline.ordered_tracks("audio")[1].id
    t = Fraction(0)
    for title in ("Harbour at dawn", "Market crowd", "Neon night", "Rain on glass"):
        clip = by_title[title]
        placed = panel.place_clips([clip.id], v1, t)
        t = document.timeline.items[placed[0]].end
    panel.place_clips([by_title["Warm pad"].id], a2, Fraction(0))
    panel.place_clips([by_title["Street voices"].id], a2, Fraction(20))
    panel.set_playhead(Fraction(1))
    panel.add_title("Harbour Stories")
    title_item = next(i for i in document.timeline.items.values() if i.kind == "title")
    panel.set_item_fields(title_item.id, "Fade title", fade_in=Fraction(1, 2), fade_out=Fraction(1, 2))
    music = next(i for i in document.timeline.items.values() if i.clip == by_title["Warm pad"].id)
    panel.set_item_fields(music.id, "Music level", gain_db=-6.0, fade_out=Fraction(2))
    document.apply("Editor", lambda tl: [_editors_op(tl, ["Eve Martin"])])


def _editors_op(timeline: Any, names: list[str]) -> dict[str, Any]:
    from studio.core.ops import set_settings

    return set_settings(timeline, editors=names)


def open_demo_library(window: MainWindow) -> tasks.TaskHandle:
    def done(clips: list[Clip]) -> None:
        window.catalog.add(clips)
        lay_out_demo(window, clips)
        window.timeline.zoom_fit()
        window.post("Demo library ready: drag clips to the timeline, press Space to play")

    return window.run_task("import", "Preparing the demo library", build_demo, done)


def start_local_server(data: Path) -> subprocess.Popen[bytes]:
    """`studio serve` on this machine (loopback), as its own process."""
    exe = shutil.which("studio")
    cmd = [exe] if exe else [sys.executable, "-m", "studio.cli.main"]
    return subprocess.Popen([*cmd, "serve", "--data", str(data), "--port", "8750"], stdin=subprocess.DEVNULL)


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
            "demo", "Open the demo library", "Six credited clips and a remix to explore"
        )
        self.demo_button.clicked.connect(self._on_demo_clicked)
        actions.addWidget(self.demo_button)
        self.server = QLineEdit(str(settings.value("sync/server", "") or ""))
        self.server.setPlaceholderText("https://studio.example.org")
        self.account = QLineEdit(str(settings.value("sync/account", "") or ""))
        self.account.setPlaceholderText("your account name (new or existing)")
        form = QFormLayout()
        form.addRow("Server", self.server)
        form.addRow("Account", self.account)
        actions.addLayout(form)
        self.connect_button = self._choice(
            "server", "Connect to this server", "Sign in, or create the account"
        )
        self.connect_button.clicked.connect(self._on_connect_clicked)
        actions.addWidget(self.connect_button)
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

    def _choice(self, icon_name: str, title: str, note: str) -> QPushButton:
        button = QPushButton(icon(icon_name), f"{title}\n{note}")
        button.setObjectName("welcomeAction")
        return button

    def _done(self) -> None:
        self.settings.setValue(WELCOMED_KEY, True)
        self.settings.sync()
        self.accept()

    def _on_demo_clicked(self) -> None:
        open_demo_library(self.window_)
        self._done()

    def _on_connect_clicked(self) -> None:
        self.settings.setValue("sync/server", self.server.text().strip())
        self.settings.setValue("sync/account", self.account.text().strip())
        if self.server.text().strip():
            self.window_.sync_status.offline(f"Connecting to {self.server.text().strip()}…")
        self._done()

    def _on_local_clicked(self) -> None:
        from studio.core.paths import data_dir

        self.window_.local_server = start_local_server(data_dir() / "server")
        self.settings.setValue("sync/server", "http://127.0.0.1:8750")
        self.window_.sync_status.offline("Local server starting at http://127.0.0.1:8750")
        self._done()

    def _on_skip_clicked(self) -> None:
        self._done()
