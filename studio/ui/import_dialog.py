"""Importing files with their credits: who made them and in which roles, the licence, what they remix.

The dialog only gathers the answers (an ImportRequest); run_import does the work on the import pool
with its own store connection, so hashing and copying large files never touches the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.clips import Clip, Credit
from studio.core.display import shown
from studio.ui.credits_editor import CreditsEditor
from studio.ui.icons import icon
from studio.ui.licence_choices import LICENCES
from studio.ui.untrusted import PlainLabel

ROLES = ("creator", "camera", "music", "sound", "performer", "voice", "editor", "writer", "animation")
MEDIA_FILTER = (
    "Media (*.mp4 *.mov *.mkv *.webm *.m4v *.mp3 *.wav *.flac *.ogg *.opus *.m4a *.png *.jpg *.jpeg *.webp)"
)


@dataclass
class ImportRequest:
    paths: list[Path]
    title: str | None = None
    credits: list[Credit] = field(default_factory=list)
    licence: str | None = None
    lineage: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def run_import(request: ImportRequest, progress: ProgressCallback, cancel: CancelToken) -> list[Clip]:
    """Import the files into the local library (runs on a worker thread with its own store connection)."""
    from studio.services.library import import_with_details
    from studio.services.projects import open_store

    with open_store() as store:
        return import_with_details(
            store,
            request.paths,
            title=request.title,
            creators=request.credits,
            licence=request.licence,
            lineage=request.lineage,
            tags=request.tags,
            progress=progress,
            cancel=cancel,
        )


IMPORT_FOLDER_KEY = "import/folder"


class ImportDialog(QDialog):
    """Files, then the credits form: contributors with roles, licence, lineage and tags."""

    def __init__(
        self,
        paths: list[str],
        library: list[Clip],
        parent: QWidget | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import media")
        self.setMinimumWidth(560)
        self.settings = settings
        self.files = QListWidget()
        self.files.setMaximumHeight(90)
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        add_files = QPushButton(icon("folder"), "Add files…")
        add_files.clicked.connect(self._on_add_files_clicked)
        self.remove_files = QPushButton("Remove")
        self.remove_files.setToolTip("Take the selected files off the list (Delete)")
        self.remove_files.clicked.connect(self._on_remove_files_clicked)
        self.files.installEventFilter(self)  # Delete in the list removes the selected files
        self.title = QLineEdit()
        self.title.setPlaceholderText("From the file name (or the file's own credits)")
        self.people = CreditsEditor()
        self.licence = QComboBox()
        self.licence.setEditable(True)
        self.licence.addItem("")
        self.licence.addItems(LICENCES)
        self.licence.setToolTip("An SPDX licence id; empty keeps the file's own or none")
        self.lineage = QListWidget()
        self.lineage.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.lineage.setMaximumHeight(100)
        for clip in library:
            entry = QListWidgetItem(
                shown(f"{clip.title}  ·  {', '.join(c.name for c in clip.credits) or 'no credits'}")
            )
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Unchecked)
            entry.setData(Qt.ItemDataRole.UserRole, clip.id)
            self.lineage.addItem(entry)
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("beach, summer, loop")
        self.error = PlainLabel()  # names files
        self.error.setObjectName("muted")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self._on_accepted)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        form = QFormLayout()
        files_row = QHBoxLayout()
        files_row.addWidget(self.files, 1)
        file_buttons = QVBoxLayout()
        file_buttons.addWidget(add_files)
        file_buttons.addWidget(self.remove_files)
        file_buttons.addStretch(1)
        files_row.addLayout(file_buttons)
        form.addRow("Files", files_row)
        form.addRow("Title", self.title)
        form.addRow("Credits", self.people)
        form.addRow("Licence", self.licence)
        form.addRow("Remixes", self.lineage)
        form.addRow("Tags", self.tags)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        for path in paths:
            self.files.addItem(str(path))
        self._sync_ok()

    def _sync_ok(self) -> None:
        self.ok_button.setEnabled(self.files.count() > 0)

    def start_folder(self) -> Path:
        """Where the file picker opens: where files were last picked, else beside a listed file."""
        remembered = self.settings.value(IMPORT_FOLDER_KEY, "") if self.settings is not None else ""
        if remembered and Path(str(remembered)).is_dir():
            return Path(str(remembered))
        if self.files.count():
            return Path(self.files.item(0).text()).parent
        return Path.home()

    def _on_add_files_clicked(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import media", str(self.start_folder()), MEDIA_FILTER)
        for path in paths:
            self.files.addItem(path)
        if paths and self.settings is not None:
            self.settings.setValue(IMPORT_FOLDER_KEY, str(Path(paths[0]).parent))
        self._sync_ok()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.files
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
        ):
            if event.type() == QEvent.Type.ShortcutOverride:
                event.accept()  # the key is the list's, not the main window's Delete
                return True
            if event.type() == QEvent.Type.KeyPress:
                self._on_remove_files_clicked()
                return True
        return super().eventFilter(watched, event)

    def _on_remove_files_clicked(self) -> None:
        for entry in self.files.selectedItems():
            self.files.takeItem(self.files.row(entry))
        self._sync_ok()

    def add_person(self, name: str, roles: str) -> None:
        self.people.add_person(name, roles)

    def request(self) -> ImportRequest:
        credits = self.people.credits()
        lineage = [
            self.lineage.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.lineage.count())
            if self.lineage.item(i).checkState() == Qt.CheckState.Checked
        ]
        licence = self.licence.currentText().strip() or None
        return ImportRequest(
            paths=[Path(self.files.item(i).text()) for i in range(self.files.count())],
            title=self.title.text().strip() or None,
            credits=credits,
            licence=licence,
            lineage=lineage,
            tags=[t.strip() for t in self.tags.text().split(",") if t.strip()],
        )

    def _on_accepted(self) -> None:
        from studio.services.library import check_licence

        try:
            check_licence(self.licence.currentText())
        except Exception as exc:
            self.error.setText(str(exc))
            return
        missing = [p for p in self.request().paths if not p.is_file()]
        if missing:
            self.error.setText(f"Not a file: {missing[0]}")
            return
        self.accept()
