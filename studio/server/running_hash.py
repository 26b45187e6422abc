"""The whole-upload SHA-256, computed in this process while the parts of an upload arrive.

Completing an upload must prove that all its bytes hash to the announced SHA-256. The hashing runs on one
worker thread, in the order it was queued, and never on a request's path:
- The part that comes next in order, when no other part is streaming, is hashed as its bytes arrive
  (`begin_inline`, `feed_inline`, `end_inline`), into a copy of the digest that replaces it once the part
  is verified and recorded; a part that fails leaves no trace. A single stream of parts is so hashed
  while it is received, and its answers do not wait for the hash.
- Any other verified part (clients keep two parts in flight) is kept in memory, within a per-process
  budget, and queued once every part before it is.
The answer to a part waits only while the hash is more than a few parts behind it (back-pressure, so an
upload holds a few parts of memory, not the whole budget). `complete` waits for the queue, and reads the
staged blob back only when this process did not see every part (a restart, another server process, a
part over the budget).
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from functools import partial
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
    recorded, checked again under that lock.

    `pool` must run its jobs one at a time, in order (one thread): the digest is updated by them alone."""

    pool: Executor
    budget: HeldBudget
    # Written by the jobs on the hash thread only; read once the queue is empty (settled).
    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0
    next_part: int = 1  # the first part not yet in the digest
    _work: Any = None  # the streaming part's digest, over the parts before it and its bytes so far
    # The event loop's side.
    queued: int = 1  # the first part whose bytes are not all queued yet
    inline: int = 0  # the part being hashed as it arrives; 0: none
    receiving: dict[int, asyncio.Lock] = field(default_factory=dict)
    recorded: dict[int, str] = field(default_factory=dict)
    held: dict[int, list[bytes]] = field(default_factory=dict)
    taken: set[int] = field(default_factory=set)
    forgotten: bool = False
    _pending: int = 0  # jobs queued and not finished
    _step: asyncio.Event | None = None
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def landed(self, number: int, data: list[bytes]) -> bool:
        """Take a verified, recorded part that was not hashed as it arrived: keep its bytes until every
        part before it is queued. A part whose predecessors are all taken is always kept and is called
        due (True); any other is kept only if the budget allows. Called on the event loop."""
        with self._guard:
            if self.forgotten or number in self.taken:
                return False
            gap = range(self.queued, number)
            due = len(gap) <= 64 and all(n in self.taken for n in gap)
            if not self.budget.take(_size(data), force=due):
                return False
            self.taken.add(number)
            self.held[number] = data
        self._queue_held()
        return due

    def begin_inline(self, number: int) -> bool:
        """Whether part `number` is hashed as it arrives (feed_inline; end_inline must follow): when it is
        the next part in order and no other part streams. Called on the event loop."""
        with self._guard:
            if self.forgotten or self.inline or number != self.queued or number in self.taken:
                return False
            self.inline = number
        self._queue(self._start_work, 0)
        return True

    def feed_inline(self, chunks: list[bytes]) -> None:
        """The next bytes of the streaming part, in order."""
        size = _size(chunks)
        self.budget.take(size, force=True)
        self._queue(lambda: _update(self._work, chunks), size)

    def end_inline(self, number: int, size: int | None) -> None:
        """Part `number`, begun inline, is verified and recorded with all its `size` bytes fed: the hash
        takes it, and the parts kept after it are queued next. With size None (the part failed) the hash
        stays as it was and the part may be sent again."""
        with self._guard:
            if self.inline != number:
                return
            self.inline = 0
            keep = size is not None and not self.forgotten
            if keep:
                self.taken.add(number)
                self.queued = number + 1
        self._queue(lambda: self._finish_work(size if keep else None), 0)
        if keep:
            self._queue_held()

    async def caught_up(self, number: int, lag: int) -> None:
        """Wait until at most `lag` parts up to the part `number` are still to be hashed: the answer to a
        part waits while the hash is behind, so a client cannot send faster than the hash takes its parts
        and the memory they hold stays at a few parts. Those parts are all queued, so the hash reaches
        them unless the upload is dropped, which also ends the wait."""
        while self.next_part <= number - lag and self._pending and not self.forgotten:
            await self._wait_step()

    async def settled(self) -> None:
        """Wait until everything queued has been hashed."""
        while self._pending:
            await self._wait_step()

    def covers(self, part_count: int) -> bool:
        """Whether the hash spans the whole upload, with no part still being received or hashed."""
        return (
            self.next_part == part_count + 1
            and not self._pending
            and not self.inline
            and not any(lock.locked() for lock in tuple(self.receiving.values()))
        )

    def release(self) -> None:
        """Give back the memory of kept parts and keep no more (the upload is complete or dropped); what
        is already queued gives its memory back as it is hashed."""
        with self._guard:
            self.forgotten = True
            for data in self.held.values():
                self.budget.give(_size(data))
            self.held.clear()

    def _queue_held(self) -> None:
        """Queue the kept parts that come next, in order, unless the next one is streaming."""
        while True:
            with self._guard:
                if self.forgotten or self.inline == self.queued:
                    return
                data = self.held.pop(self.queued, None)
                if data is None:
                    return
                self.queued += 1
            self._queue(partial(self._hash_part, data), _size(data))

    def _queue(self, job: Callable[[], None], size: int) -> None:
        """Run `job` on the hash thread after everything queued before it; `size` bytes of the budget
        are given back once it has run."""
        loop = asyncio.get_running_loop()
        future = self.pool.submit(job)
        self._pending += 1

        def done(_future: Future[None]) -> None:
            self.budget.give(size)
            try:
                loop.call_soon_threadsafe(self._job_done)
            except RuntimeError:  # the loop has closed (the server is stopping)
                pass

        future.add_done_callback(done)

    def _job_done(self) -> None:
        self._pending -= 1
        step, self._step = self._step, None
        if step is not None:
            step.set()

    async def _wait_step(self) -> None:
        if self._step is None:
            self._step = asyncio.Event()
        await self._step.wait()

    # Jobs, on the hash thread.
    def _hash_part(self, data: list[bytes]) -> None:
        _update(self.digest, data)
        self.size += _size(data)
        self.next_part += 1

    def _start_work(self) -> None:
        self._work = self.digest.copy()

    def _finish_work(self, size: int | None) -> None:
        work, self._work = self._work, None
        if size is not None:
            self.digest = work
            self.size += size
            self.next_part += 1


def _size(chunks: list[bytes]) -> int:
    return sum(len(chunk) for chunk in chunks)


def _update(digest: Any, chunks: list[bytes]) -> None:
    for chunk in chunks:
        digest.update(chunk)
