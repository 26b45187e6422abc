"""Cancel tokens and progress callbacks for long work (render, import, thumbnails, sync).

The UI keeps the token and calls cancel() from its thread; the worker checks it between steps,
and process runners poll it so that a cancel kills an ffmpeg process within a fraction of a second.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from studio.core.errors import Cancelled

ProgressCallback = Callable[[float, str], None]
"""Called with the fraction done (0..1) and a short message for the user."""


class CancelToken:
    """A thread-safe, one-way switch: once cancelled it stays cancelled."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds, waking early on cancel; True if cancelled."""
        return self._event.wait(timeout)

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled")
