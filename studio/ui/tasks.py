"""Background work for the UI: purpose-named thread pools and workers whose results arrive on the main thread.

The UI thread never waits on media, disk or network work. Each kind of work has its own pool, so a long
export never delays a thumbnail and a slow server never delays an import. A task is a plain function that
takes a TaskContext (progress callback and cancel token, the same shapes services take); its result, error
or cancellation is delivered by a queued signal on the main thread, and progress is throttled so a chatty
worker cannot flood the event loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from studio.core.cancel import CancelToken
from studio.core.errors import Cancelled

# Pool name -> most threads; media work is CPU bound (2 cores), network work waits on sockets.
POOLS: dict[str, int] = {
    "media": 2,  # probing, thumbnails, waveforms, frames at the playhead
    "import": 1,  # hashing and copying files into the library
    "project": 1,  # opening the store and folding a project's journal
    "export": 1,  # renders (ffmpeg itself is a separate process)
    "preview": 1,  # low-resolution proxy renders for playback
    "network": 2,  # sync, pull, publish
}
_PROGRESS_INTERVAL_S = 1 / 30

_pools: dict[str, QThreadPool] = {}
_live: set[TaskHandle] = set()


def pool(name: str) -> QThreadPool:
    """The QThreadPool for one purpose (created on first use)."""
    if name not in POOLS:
        raise KeyError(f"no task pool named {name!r} (pools: {', '.join(POOLS)})")
    found = _pools.get(name)
    if found is None:
        found = QThreadPool()
        found.setObjectName(f"studio-{name}")
        found.setMaxThreadCount(POOLS[name])
        _pools[name] = found
    return found


class TaskSignals(QObject):
    """Lives on the main thread, so signals emitted by the worker are delivered there (queued)."""

    progressed = Signal(float, str)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()


@dataclass
class TaskContext:
    """What a task function receives: report progress, and check or wait on the cancel token."""

    progress: Callable[[float, str], None]
    cancel: CancelToken


class TaskHandle:
    """A submitted task: cancel it, see whether it is done, or wait for it (tests and shutdown only)."""

    def __init__(self, name: str, pool_name: str) -> None:
        self.name = name
        self.pool_name = pool_name
        self.signals = TaskSignals()
        self.token = CancelToken()
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.orphaned = False

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled


class _Runnable(QRunnable):
    def __init__(self, handle: TaskHandle, fn: Callable[[TaskContext], Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._handle = handle
        self._fn = fn
        self._last_progress = 0.0

    def _progress(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if fraction < 1.0 and now - self._last_progress < _PROGRESS_INTERVAL_S:
            return
        self._last_progress = now
        self._emit("progressed", float(fraction), str(message))

    def _emit(self, signal: str, *args: Any) -> None:
        """Deliver to the main thread, unless the app is quitting and the receiving side is gone.

        A worker blocked on the network can outlive the window by seconds; its last report is then
        dropped instead of ending in "Signal source has been deleted" on the console.
        """
        try:
            getattr(self._handle.signals, signal).emit(*args)
        except RuntimeError as exc:
            if "deleted" not in str(exc):
                raise

    def run(self) -> None:
        handle = self._handle
        try:
            handle.token.raise_if_cancelled()
            handle.result = self._fn(TaskContext(self._progress, handle.token))
        except Cancelled:
            handle.done.set()
            self._emit("cancelled")
            return
        except BaseException as exc:  # delivered to the UI, which shows it; never lost in a thread
            handle.error = exc
            handle.done.set()
            self._emit("failed", exc)
            return
        handle.done.set()
        self._emit("finished", handle.result)


def submit(
    pool_name: str,
    fn: Callable[[TaskContext], Any],
    *,
    name: str = "",
    on_done: Callable[[Any], object] | None = None,
    on_failed: Callable[[BaseException], object] | None = None,
    on_progress: Callable[[float, str], object] | None = None,
    on_cancelled: Callable[[], object] | None = None,
    owner: QObject | None = None,
) -> TaskHandle:
    """Run fn(context) on the named pool; callbacks run on the main thread. Call from the main thread.

    With an `owner`, the task is cancelled and its callbacks dropped when the owner is destroyed, so a
    late result never reaches a closed window.
    """
    handle = TaskHandle(name or getattr(fn, "__name__", "task"), pool_name)
    _live.add(handle)
    if owner is not None:
        owner.destroyed.connect(lambda *_: _orphan(handle))

    def release(*_: Any) -> None:
        _live.discard(handle)

    if on_progress is not None:
        handle.signals.progressed.connect(_unless_orphaned(handle, on_progress))
    if on_done is not None:
        handle.signals.finished.connect(_unless_orphaned(handle, on_done))
    if on_failed is not None:
        handle.signals.failed.connect(_unless_orphaned(handle, on_failed))
    if on_cancelled is not None:
        handle.signals.cancelled.connect(_unless_orphaned(handle, on_cancelled))
    for signal in (handle.signals.finished, handle.signals.failed, handle.signals.cancelled):
        signal.connect(release)
    pool(pool_name).start(_Runnable(handle, fn))
    return handle


def _orphan(handle: TaskHandle) -> None:
    handle.cancel()
    handle.orphaned = True
    _live.discard(handle)


def _unless_orphaned(handle: TaskHandle, callback: Callable[..., object]) -> Callable[..., None]:
    def deliver(*args: Any) -> None:
        if not handle.orphaned:
            callback(*args)

    return deliver


def running() -> list[TaskHandle]:
    """Tasks submitted and not yet delivered."""
    return list(_live)


def shutdown(timeout_ms: int = 3000) -> bool:
    """Cancel everything and wait for the pools to drain (at quit); True if they all stopped in time.

    Workers that do not stop in time keep running until their blocking call returns; what they report
    after the window is gone is dropped (see _Runnable._emit).
    """
    for handle in list(_live):
        handle.cancel()
    ok = True
    for p in _pools.values():
        p.clear()
        ok = p.waitForDone(timeout_ms) and ok
    return ok
