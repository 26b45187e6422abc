"""The whole-upload SHA-256, computed in this process in the background while the parts of an upload land.

Completing an upload must prove that all its bytes hash to the announced SHA-256. Each verified part is
kept in memory (within a per-process budget) and hashed, in part order, by a background task on the
worker threads, so a part is answered as soon as its own checksum is checked and its bytes are stored:
the SHA-256 of part n runs while part n+1 arrives. A part that lands before the one it follows (clients
keep two parts in flight) simply waits its turn. `complete` waits for the task, and reads the staged blob
back only when this process did not see every part (a restart, another server process, a part over the
budget).
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

HELD_BYTES_LIMIT = 128 << 20


class HeldBudget:
    """Bytes of parts waiting to be hashed, kept in memory by all uploads of one process, at most `limit`."""

    def __init__(self, limit: int = HELD_BYTES_LIMIT) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self, size: int, force: bool = False) -> bool:
        with self._lock:
            if self.used + size > self.limit and not force:
                return False
            self.used += size
            return True

    def give(self, size: int) -> None:
        with self._lock:
            self.used -= size


@dataclass
class RunningHash:
    """One upload's running hash; also one lock per part being received, so that two requests for the
    same part never write its bytes at the same time, and the checksum of each part this process
    recorded, checked again under that lock."""

    next_part: int = 1
    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0
    receiving: dict[int, asyncio.Lock] = field(default_factory=dict)
    recorded: dict[int, str] = field(default_factory=dict)
    held: dict[int, list[bytes]] = field(default_factory=dict)
    taken: set[int] = field(default_factory=set)
    forgotten: bool = False
    _hashing: asyncio.Task[None] | None = None
    _step: asyncio.Event | None = None
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def landed(self, number: int, data: list[bytes], pool: Executor, budget: HeldBudget) -> bool:
        """Take a verified, recorded part: keep its bytes and make sure the background task hashes every
        kept part that comes next. A part whose predecessors are all taken is always kept (it is hashed
        as soon as they are) and is called due (True); any other is kept only if the budget allows.
        Called on the event loop."""
        with self._guard:
            if self.forgotten or number in self.taken:
                return False
            gap = range(self.next_part, number)
            due = len(gap) <= 64 and all(n in self.taken for n in gap)
            if not budget.take(_size(data), force=due):
                return False
            self.taken.add(number)
            self.held[number] = data
        if self._hashing is None or self._hashing.done():
            self._hashing = asyncio.ensure_future(self._hash_in_order(pool, budget))
            self._hashing.add_done_callback(lambda _task: self._wake())
        return due

    async def caught_up(self, number: int, lag: int) -> None:
        """Wait until at most `lag` parts up to the due part `number` are still to be hashed: the answer to
        a part waits while the hash is behind, so a client cannot send faster than the hash takes its
        parts and the memory they hold stays at a few parts, not the whole held budget. Those parts are
        all taken, so the hash reaches them unless the task ends (upload dropped, pool shut down), which
        also ends the wait."""
        while self.next_part <= number - lag and not self.forgotten:
            if self._hashing is None or self._hashing.done():
                return
            if self._step is None:
                self._step = asyncio.Event()
            await self._step.wait()

    def _wake(self) -> None:
        step, self._step = self._step, None
        if step is not None:
            step.set()

    async def _hash_in_order(self, pool: Executor, budget: HeldBudget) -> None:
        while True:
            with self._guard:
                data = self.held.pop(self.next_part, None)
            if data is None:
                return
            try:
                await asyncio.wrap_future(pool.submit(_update, self.digest, data))
            finally:
                budget.give(_size(data))
            self.size += _size(data)
            self.next_part += 1
            self._wake()

    async def settled(self) -> None:
        """Wait until every kept part that can be hashed has been."""
        while self._hashing is not None and not self._hashing.done():
            await asyncio.shield(self._hashing)

    def covers(self, part_count: int) -> bool:
        """Whether the hash spans the whole upload, with no part still being received or hashed."""
        return (
            self.next_part == part_count + 1
            and (self._hashing is None or self._hashing.done())
            and not any(lock.locked() for lock in tuple(self.receiving.values()))
        )

    def release(self, budget: HeldBudget) -> None:
        """Give back the memory of kept parts and keep no more (the upload is complete or dropped)."""
        with self._guard:
            self.forgotten = True
            for data in self.held.values():
                budget.give(_size(data))
            self.held.clear()


def _size(chunks: list[bytes]) -> int:
    return sum(len(chunk) for chunk in chunks)


def _update(digest: Any, chunks: list[bytes]) -> None:
    for chunk in chunks:
        digest.update(chunk)
