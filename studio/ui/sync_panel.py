"""Sync in the window: the status-bar badge fed by the sync status model, and the conflicts panel.

The status model may change on any thread (the sync client runs on the network pool); the bridge
re-emits each change as a queued Qt signal so widgets only ever update on the main thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core import edits
from studio.core.display import shown
from studio.core.errors import StudioError
from studio.core.timecode import format_clock
from studio.services.sync_status import (
    CONFLICTS,
    ERROR,
    OFFLINE,
    SYNCING,
    UP_TO_DATE,
    SyncStatus,
    SyncStatusModel,
)
from studio.ui.document import ProjectDocument
from studio.ui.icons import icon
from studio.ui.theme import colors
from studio.ui.untrusted import PlainLabel, escaped

_ICONS = {
    OFFLINE: "cloud-off",
    SYNCING: "cloud-sync",
    UP_TO_DATE: "cloud-ok",
    CONFLICTS: "warning",
    ERROR: "error",
}


BADGE_CHARS = 48  # longer states are cut in the status bar; the tooltip has the whole text


class StatusBridge(QObject):
    """Carries SyncStatusModel changes to the main thread."""

    status_changed = Signal(object)

    def __init__(self, model: SyncStatusModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._unsubscribe = model.subscribe(self.status_changed.emit)

    def close(self) -> None:
        self._unsubscribe()


class SyncBadge(QWidget):
    """'● Up to date' / 'Syncing 40 %' with a bar / '3 conflicts' in the status bar; click for details."""

    clicked = Signal()

    def __init__(self, bridge: StatusBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = QLabel()
        self.text = PlainLabel()
        self.text.setObjectName("syncBadge")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFixedWidth(90)
        self.bar.setTextVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.icon)
        layout.addWidget(self.text)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        bridge.status_changed.connect(self._on_status_changed)
        self._on_status_changed(bridge.model.status)

    def _on_status_changed(self, status: SyncStatus) -> None:
        palette = colors()
        color = {CONFLICTS: palette.conflict, ERROR: palette.playhead, UP_TO_DATE: palette.audio_clip}.get(
            status.state, palette.muted
        )
        self.icon.setPixmap(icon(_ICONS[status.state], color).pixmap(16, 16))
        described = status.describe()
        self.text.setText(described if len(described) <= BADGE_CHARS else described[: BADGE_CHARS - 1] + "…")
        self.setToolTip(escaped(status.reason or status.message or described))
        self.bar.setVisible(status.state == SYNCING)
        self.bar.setValue(round(status.progress * 1000))
        self.state = status.state

    def mousePressEvent(self, event: object) -> None:
        self.clicked.emit()


class ConflictsPanel(QWidget):
    """Every unresolved conflict: the open project's (field values, edits to deleted items, overlapping
    items), and after a sync those of other shared projects and of records the server flagged, each
    with its choices."""

    record_resolution_requested = Signal(dict, object)  # the record conflict, the value chosen
    open_project_requested = Signal(str)  # a project with conflicts of its own
    refused_settle_requested = Signal(str, bool)  # a refused change id, True to drop it (False: retry)

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.clip_title: Callable[[str], str | None] = lambda _clip_id: None  # set by the window
        self.from_sync: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._on_current_changed)
        self.summary = PlainLabel()
        self.summary.setWordWrap(True)
        self.choices = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addLayout(self.choices)
        document.changed.connect(self.refresh)
        self.refresh()

    def set_sync_conflicts(self, conflicts: list[dict[str, Any]]) -> None:
        """What the last sync left (studio.services.sync.conflicts): shown beside the open project's."""
        self.from_sync = list(conflicts)
        self.refresh()

    def set_sync_refused(self, refused: list[dict[str, Any]]) -> None:
        """Changes the server refused in the last sync, each with its reason and a retry or give-up."""
        self.refused = list(refused)
        self.refresh()

    def _elsewhere(self) -> list[dict[str, Any]]:
        """Sync conflicts not in the open project (that one's are read from its timeline, always fresh)."""
        session = self.document.session
        here = session.id if session is not None else None
        return [c for c in self.from_sync if c.get("where") == "record" or c.get("project_id") != here]

    def count(self) -> int:
        tl = self.document.timeline
        return len(tl.conflicts) + len(tl.overlaps()) + len(self._elsewhere()) + len(self.refused)

    def _name(self, entity: str, target: str) -> str:
        """What a person calls the thing: the clip's title and track, a title's text, a track's name."""
        tl = self.document.timeline
        if entity == "item" and target in tl.items:
            item = tl.items[target]
            track = tl.tracks.get(item.track)
            title = (item.text or "Title") if item.kind == "title" else self.clip_title(item.clip or "")
            where = f" on {track.name}" if track is not None else ""
            title = title or f"clip {(item.clip or '')[:8]}"
            return f"“{title}”{where} at {format_clock(item.start, tl.fps)}"
        if entity == "track" and target in tl.tracks:
            return f"Track {tl.tracks[target].name}"
        return f"{entity.title()} {target[:8]}"

    def _add(self, text: str, data: object) -> None:
        entry = QListWidgetItem(icon("warning", colors().conflict), shown(text))
        entry.setData(Qt.ItemDataRole.UserRole, data)
        self.list.addItem(entry)

    def refresh(self) -> None:
        tl = self.document.timeline
        self.list.clear()
        for conflict in sorted(tl.conflicts.values(), key=lambda c: c.id):
            what = self._name(conflict.entity, conflict.target)
            if conflict.kind == "field":
                field = _FIELD_NAMES.get(conflict.field or "", conflict.field or "the whole record")
                shown = " or ".join(_value(conflict.field, v, tl.fps) for v in conflict.values[:2])
                text = f"{what}: two edits of its {field} ({shown})"
            else:
                text = f"{what} was edited by one person and deleted by another"
            self._add(text, {"timeline": conflict.id})
        for a, b in tl.overlaps():
            track = tl.tracks.get(a.track)
            where = track.name if track else a.track
            self._add(f"Items overlap on {where} at {format_clock(b.start)}", {"overlap": [a.id, b.id]})
        for found in self._elsewhere():
            if found.get("where") == "record":
                what = f"{found['kind']} {str(found['id'])[:12]}"
                text = f"{what}: {found.get('field')} changed here and on the server"
            else:
                text = f"Project {found['project']}: {found['kind']} conflict on {found['entity']}"
            self._add(text, {"sync": found})
        for change in self.refused:
            what = (
                "project edits" if change["kind"] == "ops" else f"{change['kind']} {str(change['id'])[:12]}"
            )
            self._add(f"Refused by the server: {what} — {change['detail']}", {"refused": change})
        n = self.count()
        self.summary.setText("No conflicts." if n == 0 else f"{n} to resolve. Pick one to see the choices.")
        self._clear_choices()

    def _clear_choices(self) -> None:
        while self.choices.count():
            taken = self.choices.takeAt(0)
            widget = taken.widget() if taken is not None else None
            if widget is not None:
                widget.deleteLater()

    def _choice(self, label: str, action: Any) -> None:
        button = QPushButton(label)
        button.clicked.connect(lambda _=False: action())
        self.choices.addWidget(button)

    def _on_current_changed(self, row: int) -> None:
        self._clear_choices()
        entry = self.list.item(row) if row >= 0 else None
        data = entry.data(Qt.ItemDataRole.UserRole) if entry is not None else None
        if not isinstance(data, dict):
            return
        if "overlap" in data:
            first, second = data["overlap"]
            self._choice("Keep both: move one to a free track", lambda: self.keep_both(first, second))
        elif "refused" in data:
            change = data["refused"]["change"]
            self._choice(
                "Try again on the next sync", lambda: self.refused_settle_requested.emit(change, False)
            )
            self._choice("Give up this change", lambda: self.refused_settle_requested.emit(change, True))
        elif "sync" in data:
            found = data["sync"]
            if found.get("where") == "record":
                server, mine = found.get("server"), found.get("client")
                for label, value in (
                    (f"Keep the server's: {_short(server)}", server),
                    (f"Keep mine: {_short(mine)}", mine),
                ):
                    self._choice(label, lambda v=value: self.record_resolution_requested.emit(found, v))
            else:
                self._choice(
                    f"Open {found['project']} to resolve",
                    lambda: self.open_project_requested.emit(found["project"]),
                )
        else:
            self._timeline_choices(data["timeline"])

    def _timeline_choices(self, conflict_id: str) -> None:
        conflict = self.document.timeline.conflicts.get(conflict_id)
        if conflict is None:
            return
        if conflict.kind == "deleted":
            options = [(0, f"Keep the {conflict.entity}"), (1, f"Delete the {conflict.entity}")]
        else:
            fps = self.document.timeline.fps
            whose = ("the value in effect now", "the other edit's")
            options = [
                (i, f"Keep {whose[min(i, 1)]}: {_value(conflict.field, v, fps)}")
                for i, v in enumerate(conflict.values)
            ]
        for index, label in options:
            self._choice(label, lambda c=conflict.id, i=index: self.resolve(c, i))

    def resolve(self, conflict_id: str, choice: int) -> bool:
        return self.document.apply(
            "Resolve conflict", lambda tl: edits.resolve_conflict(tl, conflict_id, choice)
        )

    def keep_both(self, first: str, second: str) -> bool:
        """Two items placed over each other by concurrent edits: the second moves to a free track."""
        from studio.services.sync import keep_both

        session = self.document.session
        if session is None:
            return False
        try:
            keep_both(session, first, second)
        except StudioError as exc:
            self.document.edit_rejected.emit(str(exc))
            return False
        return True


_TIME_FIELDS = {"start", "duration", "source_in", "source_out", "fade_in", "fade_out", "at"}
_FIELD_NAMES = {
    "start": "start time",
    "duration": "length",
    "source_in": "in point",
    "source_out": "out point",
    "fade_in": "fade in",
    "fade_out": "fade out",
    "gain_db": "gain",
    "track": "track",
}


def _value(field: str | None, value: Any, fps: Fraction) -> str:
    """A conflicting value as the timeline shows it: times as timecode, others as they read."""
    if field in _TIME_FIELDS and isinstance(value, (str, int)):
        try:
            return format_clock(Fraction(value), fps)
        except (ValueError, ZeroDivisionError):
            pass
    if isinstance(value, str):
        return f"“{value[:40]}”"
    return _short(value)


def _short(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)[:40]
