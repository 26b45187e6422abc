"""Export: format and quality, the credits review (each contributor's proposed share, editable, with the
method shown), an optional credits roll, progress and cancel; then the file in the file manager and an
offer to make it a new clip (published when a server is connected, else added to the library).

The export renders a snapshot, so editing can go on meanwhile. The work runs on the export pool:
credits block -> render (one ffmpeg process) -> credits embedded -> sidecar -> re-read and checked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core import credits as credits_mod
from studio.core.clips import Clip
from studio.core.display import shown
from studio.core.errors import StudioError
from studio.core.spans import cut_to_span
from studio.core.timeline import Timeline
from studio.services.export import FORMAT_NAMES
from studio.ui import tasks
from studio.ui.catalog import ClipCatalog
from studio.ui.document import ProjectDocument
from studio.ui.icons import icon
from studio.ui.licence_choices import LICENCES
from studio.ui.licence_panel import LicencePanel
from studio.ui.signature_badge import signature_note
from studio.ui.snapshots import at_height
from studio.ui.untrusted import PlainLabel

if TYPE_CHECKING:
    from studio.services.export import ExportResult

QUALITY = {"Draft (540p)": 540, "Standard (720p)": 720, "High (1080p)": 1080, "Project size": 0}


@dataclass
class ExportSettings:
    output: Path
    title: str
    licence: str
    fmt: str = "mp4"
    height: int = 720
    editors: list[str] = field(default_factory=list)
    method: str = credits_mod.WEIGHTED_TIME
    manual: dict[str, int] | None = None
    credits_roll: bool = False
    span: tuple[Fraction, Fraction] | None = None
    rights_cleared: list[str] = field(default_factory=list)
    commercial: bool = False
    work_id: str = ""  # the project's id: every export of a project is the same work, as from the CLI


def export_piece(
    timeline: Timeline, clips: dict[str, Clip], settings: ExportSettings, ctx: tasks.TaskContext
) -> ExportResult:
    """Run the export service on a snapshot at the chosen size and span; the result says who signed
    it ("" when unsigned, with the reason among the warnings) and which render path was taken."""
    from studio.services.export import ResolvedTimeline, export_timeline

    snapshot = at_height(timeline, settings.height) if settings.height else timeline.snapshot()
    result = export_timeline(
        ResolvedTimeline(snapshot, clips, settings.work_id, settings.title),
        settings.output,
        fmt=settings.fmt,
        title=settings.title,
        licence=settings.licence or None,
        editors=settings.editors,
        method=settings.method,
        manual=settings.manual,
        credits_roll=settings.credits_roll,
        span=settings.span,
        rights_cleared=settings.rights_cleared,
        commercial=settings.commercial,
        progress=ctx.progress,
        cancel=ctx.cancel,
    )
    return result


class ExportDialog(QDialog):
    exported = Signal(str)  # the file written
    publish_requested = Signal(str)  # the file written, to become a new clip

    def __init__(
        self,
        document: ProjectDocument,
        catalog: ClipCatalog,
        parent: QWidget | None = None,
        mark_range: tuple[Fraction, Fraction] | None = None,
        online: bool = False,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setMinimumWidth(680)
        self.document = document
        self.catalog = catalog
        self.mark_range = mark_range
        self.snapshot = document.timeline.snapshot()
        self.clips = catalog.resolved(self.snapshot.clip_ids())
        self.rows: list[credits_mod.ShareRow] = []
        self.task: tasks.TaskHandle | None = None
        self.block: dict[str, Any] | None = None
        self.stored = settings
        name = document.name or "Remix"
        remembered = _Remembered(settings, name)
        self._build_fields(name, remembered, mark_range)
        self._build_review()
        self._build_actions(online)
        self._lay_out()
        self.refresh_proposal()

    def _build_fields(
        self, name: str, remembered: _Remembered, mark_range: tuple[Fraction, Fraction] | None
    ) -> None:
        """Title, licence, editors, format, range and file, each set to what was used last."""
        self.title = QLineEdit(name)
        self.licence = QComboBox()
        self.licence.setEditable(True)
        self.licence.addItems(["", *LICENCES])  # "": the least permissive licence the sources allow
        self.licences = LicencePanel()
        self.licences.changed.connect(self._refresh_licences)
        self._look_up_space_rule()
        self.licence.currentTextChanged.connect(lambda _t: self._refresh_licences())
        self.editors = QLineEdit(remembered.editors or ", ".join(self.snapshot.editors))
        self.editors.setPlaceholderText("Who edited this piece (comma separated); empty: no editing share")
        self.format = QComboBox()
        self.format.addItems(list(FORMAT_NAMES))
        self.quality = QComboBox()
        self.quality.addItems(list(QUALITY))
        self.quality.setCurrentText(remembered.quality)
        self.range = QComboBox()
        self.range.addItem("Whole timeline")
        if mark_range is not None:
            self.range.addItem("Marked range (I–O)")
        self.range.currentIndexChanged.connect(lambda _i: self.refresh_proposal())
        self.output = QLineEdit(remembered.output)
        self.browse = QPushButton(icon("folder"), "Choose…")
        self.browse.clicked.connect(self._on_browse_clicked)
        self.format.currentTextChanged.connect(self._on_format_changed)
        self.roll = QCheckBox("Append a credits roll")
        self.format.setCurrentText(remembered.fmt)
        self.method = QComboBox()
        self.method.addItems(list(credits_mod.METHODS))
        self.method.currentTextChanged.connect(lambda _m: self.refresh_proposal())
        self.method_note = QLabel()
        self.method_note.setObjectName("muted")
        self.method_note.setWordWrap(True)

    def _build_review(self) -> None:
        """The credits review: one row per contributor, and the proposal following the editors typed."""
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(
            ["Contributor", "Roles", "Picture s", "Sound s", "Editing s", "Share %"]
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # names and roles whole
        header.setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.itemChanged.connect(self._on_share_edited)
        self.total = QLabel()
        self.editors.editingFinished.connect(self.refresh_proposal)
        self._editors_typed = QTimer(self)  # the proposal follows the names as they are typed
        self._editors_typed.setSingleShot(True)
        self._editors_typed.setInterval(400)
        self._editors_typed.timeout.connect(self.refresh_proposal)
        self.editors.textEdited.connect(lambda _text: self._editors_typed.start())

    def _build_actions(self, online: bool) -> None:
        """Progress, status lines and the buttons (show and publish appear once a file is written)."""
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.status = PlainLabel()  # names files, clips and server messages
        self.status.setWordWrap(True)
        self.render_path = PlainLabel()  # which render path the last export took
        self.render_path.setVisible(False)
        self.export_button = QPushButton(icon("export"), "Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.show_button = QPushButton(icon("folder"), "Show in folder")
        self.show_button.clicked.connect(self._on_show_clicked)
        self.publish_button = QPushButton(
            icon("publish"), "Publish as a new clip" if online else "Add to the library as a new clip"
        )
        self.publish_button.clicked.connect(self._on_publish_clicked)
        for button in (self.show_button, self.publish_button):
            button.setVisible(False)

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("Licence", self.licence)
        form.addRow("Editors", self.editors)
        fmt_row = QHBoxLayout()
        fmt_row.addWidget(self.format)
        fmt_row.addWidget(self.quality)
        fmt_row.addWidget(self.range)
        form.addRow("Format", fmt_row)
        out_row = QHBoxLayout()
        out_row.addWidget(self.output, 1)
        out_row.addWidget(self.browse)
        form.addRow("File", out_row)
        form.addRow("", self.roll)
        review = QGroupBox("Credits review")
        review_layout = QVBoxLayout(review)
        method_row = QHBoxLayout()
        method_row.addWidget(QLabel("Share method"))
        method_row.addWidget(self.method)
        method_row.addStretch(1)
        review_layout.addLayout(method_row)
        review_layout.addWidget(self.method_note)
        review_layout.addWidget(self.table)
        review_layout.addWidget(self.total)
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.publish_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(review, 1)
        layout.addWidget(self.licences)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.render_path)
        layout.addLayout(buttons)

    # -- proposal ----------------------------------------------------------------------------------
    def editor_names(self) -> list[str]:
        return [n.strip() for n in self.editors.text().split(",") if n.strip()]

    def exported_timeline(self) -> Timeline:
        """What the export renders and credits: the whole snapshot, or the marked range of it."""
        if self.mark_range is not None and self.range.currentIndex() == 1:
            return cut_to_span(self.snapshot, *self.mark_range)
        return self.snapshot

    def refresh_proposal(self) -> None:
        """Propose the shares again (range, editors or method changed). With manual shares, the
        seconds are proposed anew and the typed shares stay with their people (a new editor gets 0)."""
        method = self.method.currentText()
        typed = self.shares() if method == credits_mod.MANUAL else {}
        try:
            self.rows = credits_mod.propose_shares(
                self.exported_timeline(),
                self.clips,
                method=credits_mod.WEIGHTED_TIME if method == credits_mod.MANUAL else method,
                editors=self.editor_names(),
            )
        except StudioError as exc:
            self.rows = []
            self.status.setText(f"The shares cannot be proposed: {exc}")
        else:
            self.status.clear()
        if method == credits_mod.MANUAL:
            self.rows = [replace(row, share_bp=typed.get(row.contributor_id, 0)) for row in self.rows]
        notes = {
            credits_mod.WEIGHTED_TIME: "Picture 45 %, sound 45 %, editing 10 %: each earns the seconds "
            "their clips play; a pool nobody claims is shared over the others. Edit a share to override.",
            credits_mod.EQUAL_PER_CONTRIBUTOR: "Everyone credited gets the same share.",
            credits_mod.MANUAL: "Shares as typed below; they must add up to 100 %.",
        }
        self.method_note.setText(notes.get(method, method))
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for row in self.rows:
            n = self.table.rowCount()
            self.table.insertRow(n)
            values = [
                row.name,
                ", ".join(row.roles),
                f"{float(row.picture_s):.1f}",
                f"{float(row.sound_s):.1f}",
                f"{float(row.editing_s):.1f}",
                f"{row.share_bp / 100:.2f}",
            ]
            for col, value in enumerate(values):
                cell = QTableWidgetItem(value if col == 5 else shown(value))  # 5: the share, editable
                if col != 5:
                    cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(n, col, cell)
        self.table.blockSignals(False)
        self._refresh_licences()

    def shares(self) -> dict[str, int]:
        """contributor id -> basis points as shown in the table."""
        out = {}
        for n, row in enumerate(self.rows):
            cell = self.table.item(n, 5)
            try:
                text = cell.text() if cell is not None else ""
                out[row.contributor_id] = round(float(text.replace("%", "").strip()) * 100)
            except ValueError:
                out[row.contributor_id] = 0
        return out

    def _show_total(self) -> None:
        total = sum(self.shares().values())
        self.total.setText(f"Total {total / 100:.2f} %" + ("" if total == 10000 else "  — must be 100 %"))
        self.export_button.setEnabled(total == 10000 and bool(self.rows) and self.licences.ok)

    def _look_up_space_rule(self) -> None:
        """Read on the project pool whether the project's space is marked for commercial work; Export waits
        for the answer, so the rule cannot be missed by exporting fast."""
        session, store = self.document.session, self.document.store
        space = session.info.space if session is not None else ""
        if not space or store is None:
            return
        from studio.services.export import commercial_space_name

        self.licences.space_known = False
        tasks.submit(
            "project",
            lambda _ctx: commercial_space_name(store, space),
            name="space rule",
            on_done=self.licences.apply_space_rule,
            on_failed=lambda exc: self.status.setText(f"Could not read the project's space: {exc}"),
            owner=self,
        )

    def _refresh_licences(self) -> None:
        self.licences.refresh(self.exported_timeline(), self.clips, self.licence.currentText())
        self._show_total()

    def _on_share_edited(self, cell: QTableWidgetItem) -> None:
        if cell.column() != 5:
            return
        if self.method.currentText() != credits_mod.MANUAL:
            self.method.blockSignals(True)
            self.method.setCurrentText(credits_mod.MANUAL)
            self.method.blockSignals(False)
            self.method_note.setText("Shares as typed below (manual/1); they must add up to 100 %.")
        self._show_total()

    def set_share(self, row: int, percent: float) -> None:
        cell = self.table.item(row, 5)
        if cell is None:
            raise IndexError(f"the share table has no row {row}")
        cell.setText(f"{percent:.2f}")

    # -- output ------------------------------------------------------------------------------------
    def _on_format_changed(self, fmt: str) -> None:
        path = Path(self.output.text())
        self.output.setText(str(path.with_suffix("." + fmt)))
        self.roll.setEnabled(fmt in ("mp4", "webm", "mkv"))
        self.quality.setEnabled(fmt in ("mp4", "webm", "mkv"))

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.output.text())
        if path:
            self.output.setText(path)

    def settings(self) -> ExportSettings:
        method = self.method.currentText()
        span = self.mark_range if self.range.currentIndex() == 1 else None
        return ExportSettings(
            output=Path(self.output.text()).expanduser(),
            title=self.title.text().strip(),
            licence=self.licence.currentText().strip(),
            fmt=self.format.currentText(),
            height=QUALITY[self.quality.currentText()],
            editors=self.editor_names(),
            method=method,
            manual=self.shares() if method == credits_mod.MANUAL else None,
            credits_roll=self.roll.isChecked() and self.roll.isEnabled(),
            span=span,
            rights_cleared=self.licences.rights_cleared(),
            commercial=self.licences.commercial.isChecked(),
            work_id=self.document.session.id if self.document.session is not None else "",
        )

    def start(self) -> tasks.TaskHandle | None:
        settings = self.settings()
        if not settings.title:
            self.status.setText("Give the piece a title")
            return None
        problem = target_problem(settings.output)
        if problem is not None:
            self.status.setText(f"Cannot export there: {problem}")
            return None
        _Remembered.store(self.stored, self.document.name or "Remix", settings)
        snapshot, clips = self.snapshot, self.clips
        self.export_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.status.setText("Exporting…")
        self.output_path = settings.output
        self.task = tasks.submit(
            "export",
            lambda ctx: export_piece(snapshot, clips, settings, ctx),
            name="export",
            on_progress=self._on_progress,
            on_done=self._on_done,
            on_failed=self._on_failed,
            on_cancelled=self._on_cancelled,
            owner=self,
        )
        return self.task

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(max(0.0, fraction) * 1000))
        if message:
            self.status.setText(f"Exporting… {message}")

    def _on_done(self, result: ExportResult) -> None:
        self.task = None
        self.block = block = result.block
        self.render_path.setText(render_path_text(result.render))
        self.render_path.setVisible(True)
        self.progress.setValue(1000)
        people = ", ".join(f"{p['name']} {p['share_bp'] / 100:.1f} %" for p in block["contributors"])
        self.status.setText(
            f"Exported {self.output_path.name} with credits: {people}\n"
            + signature_note(result.signed_by, result.warnings)
        )
        self.cancel_button.setText("Close")
        for button in (self.show_button, self.publish_button):
            button.setVisible(True)
        self.exported.emit(str(self.output_path))

    def _on_failed(self, exc: BaseException) -> None:
        self.task = None
        self.export_button.setEnabled(True)
        self.status.setText(f"Export failed: {exc}")

    def _on_cancelled(self) -> None:
        self.task = None
        self.export_button.setEnabled(True)
        self.progress.setVisible(False)
        self.status.setText("Export cancelled; nothing was written.")

    def _on_cancel_clicked(self) -> None:
        if self.task is not None:
            self.task.cancel()
        else:
            self.reject()

    def _on_show_clicked(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.output_path.parent)))

    def _on_publish_clicked(self) -> None:
        """The export becomes a clip: its embedded credits name the people and its sources its lineage."""
        self.publish_requested.emit(str(self.output_path))
        self.accept()

    def reject(self) -> None:
        """Escape or Close while the export runs keeps the dialog and its progress up: Cancel stops it."""
        if self.task is not None:
            self.status.setText("The export is still running: press Cancel to stop it.")
            return
        super().reject()

    def closeEvent(self, event: Any) -> None:
        if self.task is not None:
            self.task.cancel()
        super().closeEvent(event)


def render_path_text(render: dict[str, Any]) -> str:
    """A short line on how the export was rendered: frames copied (smart) or every frame re-encoded."""
    if render.get("path") == "smart":
        return f"Smart render: {render['copied_frames']} frames copied, {render['encoded_frames']} re-encoded"
    return f"Full render ({render.get('reason', '')})"


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in name).strip() or "export"


def target_problem(output: Path) -> str | None:
    """Why `output` cannot be written (checked before any rendering starts), or None when it can.
    Makes the missing folders on the way, as the export would."""
    if output.is_dir():
        return f"{output} is a folder; give a file name"
    if not output.name or output.suffix == "":
        return f"{output} has no file extension (for example .mp4)"
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"the folder {output.parent} cannot be made ({exc.strerror or exc})"
    if not os.access(output.parent, os.W_OK | os.X_OK):
        return f"the folder {output.parent} is not writable"
    if output.exists() and not os.access(output, os.W_OK):
        return f"{output} exists and is not writable"
    return None


class _Remembered:
    """The export's defaults: the Preferences' format, quality and folder, then what this project's
    last export used (its editors and file)."""

    def __init__(self, settings: QSettings | None, project: str) -> None:
        def value(key: str, default: str) -> str:
            found = settings.value(key, default) if settings is not None else default
            return str(found or default)

        self.fmt = value("export/format", "mp4")
        if self.fmt not in FORMAT_NAMES:
            self.fmt = "mp4"
        self.quality = value("export/quality", "Standard (720p)")
        if self.quality not in QUALITY:
            self.quality = "Standard (720p)"
        folder = Path(value("export/folder", str(Path.home() / "Videos"))).expanduser()
        self.output = value(
            f"export/projects/{_safe(project)}/file", str(folder / f"{_safe(project)}.{self.fmt}")
        )
        if Path(self.output).suffix[1:] in FORMAT_NAMES:
            self.fmt = Path(self.output).suffix[1:]
        self.editors = value(f"export/projects/{_safe(project)}/editors", "")

    @staticmethod
    def store(settings: QSettings | None, project: str, chosen: ExportSettings) -> None:
        if settings is None:
            return
        settings.setValue(f"export/projects/{_safe(project)}/file", str(chosen.output))
        settings.setValue(f"export/projects/{_safe(project)}/editors", ", ".join(chosen.editors))
        settings.sync()
