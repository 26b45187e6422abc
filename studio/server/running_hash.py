"""The whole-upload SHA-256, kept up to date in this process while the parts of an upload land.

Completing an upload must prove that all its bytes hash to the announced SHA-256. Parts that arrive in
order extend the running hash while their bytes arrive; a part that arrives before the one it follows
(clients keep two parts in flight) is kept in memory, within a per-process budget, and hashed as soon as
the parts before it have landed. So `complete` reads the staged blob back only when this process did not
see every part (a restart, another server process, a part over the budget).
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
    """Bytes of early parts kept in memory by all uploads of one process, at most `limit`."""

    def __init__(self, limit: int = HELD_BYTES_LIMIT) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self, size: int) -> bool:
        with self._lock:
            if self.used + size > self.limit:
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
    held: dict[int, bytes | bytearray] = field(default_factory=dict)
    advancing: asyncio.Lock = field(default_factory=asyncio.Lock)
    forgotten: bool = False
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def candidate(self, number: int) -> Any | None:
        """A copy of the hash for part `number` to extend as its bytes arrive, if it comes next."""
        return self.digest.copy() if self.next_part == number else None

    async def landed(
        self, number: int, data: bytes | bytearray, candidate: Any | None, pool: Executor, budget: HeldBudget
    ) -> None:
        """Account for a verified, recorded part: take its candidate when it came next, else keep its bytes
        (if the budget allows); then hash, on `pool`, every kept part that now comes next."""
        async with self.advancing:
            if candidate is not None and self.next_part == number:
                self.digest = candidate
                self.size += len(data)
                self.next_part += 1
            elif number >= self.next_part:
                with self._guard:
                    if not self.forgotten and number not in self.held and budget.take(len(data)):
                        self.held[number] = data
            while True:
                with self._guard:
                    early = self.held.pop(self.next_part, None)
                if early is None:
                    break
                try:
                    await asyncio.wrap_future(pool.submit(self.digest.update, early))
                finally:
                    budget.give(len(early))
                self.size += len(early)
                self.next_part += 1

    def covers(self, part_count: int) -> bool:
        """Whether the hash spans the whole upload, with no part still being received."""
        return self.next_part == part_count + 1 and not any(
            lock.locked() for lock in tuple(self.receiving.values())
        )

    def release(self, budget: HeldBudget) -> None:
        """Give back the memory of kept parts and keep no more (the upload is complete or dropped)."""
        with self._guard:
            self.forgotten = True
            for data in self.held.values():
                budget.give(len(data))
            self.held.clear()
