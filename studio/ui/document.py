"""The open project as the UI sees it: the core ProjectSession, with Qt signals for every change.

Every edit goes through ProjectSession.edit (checked, applied and journaled in one store transaction),
so undo/redo, crash recovery and sync all see it. The journal write is a small SQLite transaction, so
edits stay on the main thread and are acknowledged before the UI shows them; rejected edits come back
as edit_rejected with the reason. At startup the store and the first session are opened on a worker
(see studio.ui.startup) and handed over with attach(); until then the document is an empty timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from studio.core.errors import StudioError
from studio.core.timeline import Timeline

if TYPE_CHECKING:
    from studio.core.project import EditTx, ProjectSession
    from studio.core.store import Store

OpsSource = Iterable[dict[str, Any]] | Callable[[Timeline], Iterable[dict[str, Any]]]
Steps = Callable[["EditTx"], object]
"""A gesture: core edits done one after another in one open edit (see studio.core.gestures)."""


class ProjectDocument(QObject):
    changed = Signal()  # the timeline changed: an edit, an undo/redo, or ops merged in by sync
    history_changed = Signal()
    edit_rejected = Signal(str)  # why an edit was refused
    opened = Signal(str)  # project name

    def __init__(self, store: Store | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.session: ProjectSession | None = None
        self._empty = Timeline()
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def timeline(self) -> Timeline:
        return self.session.timeline if self.session is not None else self._empty

    @property
    def name(self) -> str:
        return self.session.name if self.session is not None else ""

    def _store(self) -> Store:
        if self.store is None:
            raise StudioError("the library is still opening")
        return self.store

    def project_names(self) -> list[str]:
        from studio.services.projects import project_names

        return project_names(self.store) if self.store is not None else []

    def open(self, ref: str) -> None:
        """Open an existing project (by name or id): its state is the fold of its journal."""
        from studio.services.projects import open_project

        self.attach(open_project(self._store(), ref))

    def create(self, name: str) -> None:
        """A new project with the default tracks (the same as `studio project new` makes)."""
        from studio.services.projects import create_session

        self.attach(create_session(self._store(), name))

    def attach(self, session: ProjectSession) -> None:
        """Show `session` (opened here or on a worker, on this document's store)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.store = session.store
        self.session = session
        self._unsubscribe = session.subscribe(self._on_session_changed)
        self.opened.emit(session.name)
        self.changed.emit()
        self.history_changed.emit()

    def _on_session_changed(self, change: object) -> None:
        self.changed.emit()
        self.history_changed.emit()

    def apply(self, label: str, ops: OpsSource, *, merge_key: str | None = None) -> bool:
        """Run one edit (an undo step); False, with edit_rejected emitted, when it was refused."""
        return self.edit(
            label, lambda tx: tx.do(ops(tx.timeline) if callable(ops) else ops), merge_key=merge_key
        )

    def edit(self, label: str, steps: Steps, *, merge_key: str | None = None) -> bool:
        """Run a gesture made of several core edits as one undo step: all of it, or (refused) none."""
        if self.session is None:
            self.edit_rejected.emit("open or create a project first")
            return False
        try:
            with self.session.edit(label, merge_key=merge_key) as tx:
                steps(tx)
        except StudioError as exc:
            self.edit_rejected.emit(str(exc))
            return False
        return True

    def undo(self) -> bool:
        return self._step("undo")

    def redo(self) -> bool:
        return self._step("redo")

    def _step(self, which: str) -> bool:
        if self.session is None:
            return False
        try:
            self.session.undo() if which == "undo" else self.session.redo()
        except StudioError as exc:
            self.edit_rejected.emit(str(exc))
            return False
        return True

    @property
    def undo_label(self) -> str | None:
        return self.session.undo_label if self.session is not None else None

    @property
    def redo_label(self) -> str | None:
        return self.session.redo_label if self.session is not None else None

    def refresh(self) -> bool:
        """Take in ops other processes or sync appended to the journal."""
        return self.session.refresh() if self.session is not None else False

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.session = None
        self.changed.emit()
        self.history_changed.emit()
