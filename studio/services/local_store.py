"""The local store a service call works on: the one the caller passed (the app keeps one open), or the
default library opened for this call and closed after it (the CLI)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from studio.core.store import Store


@contextmanager
def opened(store: Store | None) -> Iterator[Store]:
    """The given store, or the default one opened (and closed) for this call."""
    if store is not None:
        yield store
        return
    own = Store()
    try:
        yield own
    finally:
        own.close()
