"""Preferences: the server connection, default export, theme and how often to sync. Stored with QSettings."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.core.paths import cache_dir, data_dir
from studio.services.export import FORMAT_NAMES
from studio.ui.connect import ConnectForm
from studio.ui.export_dialog import QUALITY
from studio.ui.sync_controller import SYNC_INTERVAL_KEY, SyncController
from studio.ui.theme import THEMES

KEYS = {
    "theme": "ui/theme",
    "export_format": "export/format",
    "export_quality": "export/quality",
    "export_folder": "export/folder",
}


class PreferencesDialog(QDialog):
    def __init__(
        self, settings: QSettings, controller: SyncController, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(560)
        self.settings = settings
        self.controller = controller
        server = QGroupBox("Server")
        self.connect_form = ConnectForm(controller)
        self.interval = QSpinBox()
        self.interval.setRange(10, 3600)
        self.interval.setSuffix(" s")
        self.interval.setValue(controller.interval_s())
        server_layout = QVBoxLayout(server)
        server_layout.addWidget(self.connect_form)
        every = QFormLayout()
        every.addRow("Sync every", self.interval)
        server_layout.addLayout(every)
        self.theme = QComboBox()
        self.theme.addItems(list(THEMES))
        self.theme.setCurrentText(str(settings.value(KEYS["theme"], "dark")))
        self.export_format = QComboBox()
        self.export_format.addItems(list(FORMAT_NAMES))
        self.export_format.setCurrentText(str(settings.value(KEYS["export_format"], "mp4")))
        self.export_quality = QComboBox()
        self.export_quality.addItems(list(QUALITY))
        self.export_quality.setCurrentText(str(settings.value(KEYS["export_quality"], "Standard (720p)")))
        self.export_folder = QLineEdit(str(settings.value(KEYS["export_folder"], "") or ""))
        form = QFormLayout()
        form.addRow("Theme", self.theme)
        form.addRow("Export format", self.export_format)
        form.addRow("Export quality", self.export_quality)
        form.addRow("Export folder", self.export_folder)
        data = QLabel(f"Library and projects: {data_dir()}\nCaches (thumbnails, previews): {cache_dir()}")
        data.setObjectName("muted")
        form.addRow("Folders", data)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._on_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(server)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _on_accepted(self) -> None:
        values = {
            "theme": self.theme.currentText(),
            "export_format": self.export_format.currentText(),
            "export_quality": self.export_quality.currentText(),
            "export_folder": self.export_folder.text().strip(),
        }
        for name, value in values.items():
            self.settings.setValue(KEYS[name], value)
        self.settings.setValue(SYNC_INTERVAL_KEY, self.interval.value())
        self.settings.sync()
        if self.controller.connected:
            self.controller.timer.start(self.interval.value() * 1000)
        self.accept()
