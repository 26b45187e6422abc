"""The sync status the app shows: a small observable value the sync client feeds and the UI listens to.

Kept free of Qt so the sync engine (and the CLI) can drive it from any thread; listeners are called
synchronously on the thread that changed the status, so a UI listener must hop to its own thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

OFFLINE = "offline"
SYNCING = "syncing"
UP_TO_DATE = "up_to_date"
CONFLICTS = "conflicts"
ERROR = "error"
STATES = (OFFLINE, SYNCING, UP_TO_DATE, CONFLICTS, ERROR)


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """One state of the sync: what the status bar says and what the conflicts panel counts."""

    state: str = OFFLINE
    progress: float = 0.0
    message: str = ""
    conflicts: int = 0
    reason: str = ""

    def describe(self) -> str:
        """A short sentence for the status bar."""
        if self.state == OFFLINE:
            return self.message or "Offline"
        if self.state == SYNCING:
            text = f"Syncing {round(self.progress * 100)} %"
            return f"{text} — {self.message}" if self.message else text
        if self.state == UP_TO_DATE:
            return "Up to date"
        if self.state == CONFLICTS:
            return f"{self.conflicts} conflict{'s' if self.conflicts != 1 else ''} to resolve"
        return f"Sync error: {self.reason}" if self.reason else "Sync error"


Listener = Callable[[SyncStatus], None]


class SyncStatusModel:
    """Holds the current SyncStatus and tells listeners of every change.

    With no server configured nothing ever feeds it, so it stays offline and says so.
    """

    def __init__(self, server_url: str = "") -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        message = "" if server_url else "Offline — no server configured"
        self._status = SyncStatus(OFFLINE, message=message)

    @property
    def status(self) -> SyncStatus:
        with self._lock:
            return self._status

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` on every change (and once now); returns the function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)
            current = self._status
        listener(current)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def offline(self, message: str = "Offline") -> None:
        self._set(SyncStatus(OFFLINE, message=message))

    def syncing(self, progress: float, message: str = "") -> None:
        if not 0.0 <= progress <= 1.0:
            raise ValueError(f"sync progress must be within 0..1, got {progress!r}")
        self._set(SyncStatus(SYNCING, progress=progress, message=message))

    def up_to_date(self) -> None:
        self._set(SyncStatus(UP_TO_DATE))

    def conflicts(self, count: int) -> None:
        if count < 0:
            raise ValueError(f"conflict count must not be negative, got {count!r}")
        if count == 0:
            self.up_to_date()
            return
        self._set(SyncStatus(CONFLICTS, conflicts=count))

    def error(self, reason: str) -> None:
        self._set(SyncStatus(ERROR, reason=reason))

    def _set(self, status: SyncStatus) -> None:
        with self._lock:
            if status == self._status:
                return
            self._status = status
            listeners = list(self._listeners)
        for listener in listeners:
            listener(status)
