"""The Help menu's dialogs: the keyboard shortcuts the action table binds, and About."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtWidgets

from studio import __version__
from studio.ui.actions import shortcut_rows

if TYPE_CHECKING:
    from PySide6.QtGui import QAction


def shortcuts_dialog(parent: QtWidgets.QWidget, actions: dict[str, QAction]) -> QtWidgets.QDialog:
    """A read-only table of every action that has keys, and its keys."""
    dialog = QtWidgets.QDialog(parent)
    dialog.setWindowTitle("Keyboard shortcuts")
    table = QtWidgets.QTableWidget(0, 2)
    table.setHorizontalHeaderLabels(["Action", "Keys"])
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    for name, keys in shortcut_rows(actions):
        row = table.rowCount()
        table.insertRow(row)
        table.setItem(row, 0, QtWidgets.QTableWidgetItem(name))
        table.setItem(row, 1, QtWidgets.QTableWidgetItem(keys))
    table.resizeColumnsToContents()
    layout = QtWidgets.QVBoxLayout(dialog)
    layout.addWidget(table)
    dialog.resize(460, 560)
    return dialog


def show_about(parent: QtWidgets.QWidget) -> None:
    QtWidgets.QMessageBox.about(
        parent,
        "About Remix Studio",
        f"<b>Remix Studio {__version__}</b><p>Remix contributed clips on a timeline and export pieces "
        "that carry their credits, through remixes of remixes.</p>",
    )
