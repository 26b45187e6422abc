"""The contributors table the import dialog and the inspector share: a name and its roles per row."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.clips import Credit

DEFAULT_ROLE = "creator"


class CreditsEditor(QWidget):
    """Editable rows of contributor and comma-separated roles, with Add and Remove buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Contributor", "Roles"])
        roles_header = QTableWidgetItem("Roles")
        roles_header.setToolTip("Comma separated: camera, sound, music …")
        self.table.setHorizontalHeaderItem(1, roles_header)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(110)
        self.table.setMaximumHeight(160)
        add = QPushButton("Add contributor")
        add.clicked.connect(lambda: self.add_person("", DEFAULT_ROLE))
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self.table.removeRow(self.table.currentRow()))
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def add_person(self, name: str, roles: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(name))
        self.table.setItem(row, 1, QTableWidgetItem(roles))

    def set_credits(self, credits: Iterable[Credit]) -> None:
        self.table.setRowCount(0)
        for credit in credits:
            self.add_person(credit.name, ", ".join(credit.roles))

    def credits(self) -> list[Credit]:
        """The rows with a name, white space folded; a row without roles credits a creator."""
        out = []
        for row in range(self.table.rowCount()):
            name_cell, roles_cell = self.table.item(row, 0), self.table.item(row, 1)
            name = " ".join((name_cell.text() if name_cell else "").split())
            roles = tuple(
                r.strip() for r in (roles_cell.text() if roles_cell else "").split(",") if r.strip()
            )
            if name:
                out.append(Credit(name=name, roles=roles or (DEFAULT_ROLE,)))
        return out
