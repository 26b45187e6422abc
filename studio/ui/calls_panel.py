"""Open calls in the Shared tab: the calls of the spaces the account can read, a call's brief and rules,
its answers (all of them for its owner, who can accept them), and answering by dropping a library clip
on the list."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.display import shown
from studio.ui.payouts_panel import _NetworkWidget
from studio.ui.timeline.view import CLIPS_MIME
from studio.ui.untrusted import PlainLabel


class CallList(QListWidget):
    """The calls; library clips dropped on a call answer it."""

    clips_dropped = Signal(str, list)  # call id, clip ids

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(CLIPS_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(CLIPS_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if not event.mimeData().hasFormat(CLIPS_MIME):
            super().dropEvent(event)
            return
        item = self.itemAt(event.position().toPoint()) or self.currentItem()
        try:
            ids = json.loads(bytes(event.mimeData().data(CLIPS_MIME).data()).decode("utf-8"))
        except ValueError:
            ids = []
        if item is not None and isinstance(ids, list):
            event.acceptProposedAction()
            self.clips_dropped.emit(str(item.data(Qt.ItemDataRole.UserRole)), [str(i) for i in ids])
        else:
            event.ignore()


class CallsPanel(_NetworkWidget):
    def __init__(self, username: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.username = username
        self.calls = CallList()
        self.calls.setMaximumHeight(140)
        self.refresh_button = QPushButton("Refresh calls")
        self.details = PlainLabel("Drop a published clip on a call to answer it.")
        self.details.setWordWrap(True)
        self.answers = QListWidget()
        self.answers.setMaximumHeight(110)
        self.accept_button = QPushButton("Accept answer")
        self.found: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        head = QHBoxLayout()
        head.addWidget(QLabel("Open calls"), 1)
        head.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.calls)
        layout.addWidget(self.details)
        layout.addWidget(self.answers)
        layout.addWidget(self.accept_button)
        layout.addWidget(self.status)
        self.refresh_button.clicked.connect(lambda: self.refresh())
        self.calls.currentItemChanged.connect(lambda *_: self._on_call_selected())
        self.calls.clips_dropped.connect(self.answer)
        self.accept_button.clicked.connect(self._on_accept_clicked)
        self.accept_button.setVisible(False)

    def refresh(self, then_say: str = "") -> None:
        """Reload the calls; `then_say` is shown once they are in."""
        from studio.services import calls

        def listed(found: list[dict[str, Any]]) -> None:
            self._on_calls(found)
            self.status.setText(then_say)

        self.run("Loading calls", calls.list_calls, listed)

    def _on_calls(self, found: list[dict[str, Any]]) -> None:
        chosen = self.current["id"] if self.current else None
        self.found = found
        self.calls.clear()
        for doc in found:
            item = QListWidgetItem(shown(f"{doc['brief'][:60]} · {doc['status']} · due {doc['due'][:10]}"))
            item.setData(Qt.ItemDataRole.UserRole, doc["id"])
            self.calls.addItem(item)
            if doc["id"] == chosen:
                self.calls.setCurrentItem(item)
        if self.calls.currentItem() is None and found:
            self.calls.setCurrentRow(0)

    def _on_call_selected(self) -> None:
        item = self.calls.currentItem()
        call_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self.current = next((c for c in self.found if c["id"] == call_id), None)
        doc = self.current
        self.answers.clear()
        if doc is None:
            self.details.setText("Drop a published clip on a call to answer it.")
            self.accept_button.setVisible(False)
            return
        wants = [f"at most {doc['length_s']:g} s" if doc.get("length_s") else "", doc.get("licence") or ""]
        rules = ", ".join(w for w in wants if w) or "any clip"
        self.details.setText(
            f"{doc['brief']}\nby @{doc['owner']} in {doc['space']} · due {doc['due']} · wants {rules} · "
            f"{doc['answer_count']} answer(s)"
        )
        for a in doc["answers"]:
            accepted = " · accepted" if a["accepted"] else ""
            item = QListWidgetItem(shown(f"{a['clip'][:12]} by @{a['by']}{accepted}"))
            item.setData(Qt.ItemDataRole.UserRole, a["clip"])
            self.answers.addItem(item)
        self.accept_button.setVisible(doc["owner"] == self.username)

    def answer(self, call_id: str, clip_ids: list[str]) -> None:
        from studio.services import calls

        def send() -> list[dict[str, Any]]:
            return [calls.answer(call_id, clip) for clip in clip_ids]

        def answered(_docs: list[dict[str, Any]]) -> None:
            self.refresh(f"answered with {len(clip_ids)} clip(s)")

        self.run("Answering the call", send, answered)

    def _on_accept_clicked(self) -> None:
        from studio.services import calls

        item = self.answers.currentItem()
        if self.current is None or item is None:
            self.status.setText("select an answer to accept")
            return
        call_id, clip = self.current["id"], str(item.data(Qt.ItemDataRole.UserRole))
        self.run(
            "Accepting and pulling the clip", lambda: calls.accept(call_id, clip), lambda _d: self.refresh()
        )
