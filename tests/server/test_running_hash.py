"""The whole-upload hash computed on its own thread while parts arrive: streamed for the part that comes
next, kept and queued for parts that land in any other order, within the memory budget for parts waiting
to be hashed. A streamed part that fails leaves the hash as it was."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from studio.server.running_hash import HeldBudget, RunningHash

PART = 64 * 1024


def _with_hash(
    body: Callable[[RunningHash, ThreadPoolExecutor], Awaitable[None]], budget: HeldBudget
) -> None:
    """Run `body` on an event loop with a running hash whose jobs run on one thread, as in the server."""

    async def go() -> None:
        with ThreadPoolExecutor(1) as pool:
            await body(RunningHash(pool, budget), pool)

    asyncio.run(go())


def _land(
    parts: list[bytes], order: list[int], budget: HeldBudget, running: RunningHash | None = None
) -> RunningHash:
    async def go() -> RunningHash:
        with ThreadPoolExecutor(1) as pool:
            hashing = running or RunningHash(pool, budget)
            hashing.pool = pool
            for number in order:
                hashing.landed(number, [bytes(parts[number - 1])])
                await asyncio.sleep(0)  # other requests run between landings
            await hashing.settled()
            return hashing

    return asyncio.run(go())


@pytest.mark.parametrize("order", [[1, 2, 3, 4, 5], [2, 1, 4, 3, 5], [5, 4, 3, 2, 1], [3, 5, 1, 2, 4]])
def test_parts_in_any_order_give_the_whole_hash(order: list[int]) -> None:
    parts = [os.urandom(PART) for _ in range(5)]
    budget = HeldBudget()
    running = _land(parts, order, budget)
    assert running.covers(5)
    whole = hashlib.sha256(b"".join(parts)).hexdigest()
    assert (running.digest.hexdigest(), running.size) == (whole, 5 * PART)
    assert budget.used == 0 and running.held == {}


def test_a_part_sent_again_after_it_was_hashed_changes_nothing() -> None:
    parts = [os.urandom(PART) for _ in range(2)]
    budget = HeldBudget()
    running = _land(parts, [1, 1, 2, 2], budget)
    assert running.covers(2) and running.digest.hexdigest() == hashlib.sha256(b"".join(parts)).hexdigest()
    assert budget.used == 0


def test_a_later_part_over_the_budget_is_not_kept_and_the_hash_stops_short() -> None:
    """Part 3 fills the budget and part 4 does not fit; parts 1 and 2 come next when they land, so they
    are taken anyway. The hash stops before part 4, which completing then reads back."""
    parts = [os.urandom(PART) for _ in range(4)]
    budget = HeldBudget(limit=PART)
    running = _land(parts, [3, 4, 1, 2], budget)
    assert not running.covers(4)
    assert running.next_part == 4 and running.size == 3 * PART
    assert running.digest.hexdigest() == hashlib.sha256(b"".join(parts[:3])).hexdigest()
    assert budget.used == 0


def test_a_forgotten_upload_gives_its_memory_back_and_keeps_nothing_more() -> None:
    parts = [os.urandom(PART) for _ in range(3)]
    budget = HeldBudget()
    running = _land(parts, [2], budget)
    assert budget.used == PART
    running.release()
    assert budget.used == 0
    _land(parts, [3], budget, running)
    assert budget.used == 0 and running.held == {}


def test_the_answer_to_a_due_part_waits_until_the_hash_is_at_most_lag_parts_behind() -> None:
    """Back-pressure: with the hash thread held up, landing parts 1..4 in order returns at once, but
    waiting on part 4 with a lag of 1 lasts until parts 1-3 are hashed, and no longer: the thread is
    held up again before part 4, and the wait ends all the same."""
    import threading
    import time

    parts = [os.urandom(PART) for _ in range(4)]
    budget = HeldBudget()
    gate, before_last = threading.Event(), threading.Event()
    hashed: list[int] = []

    async def go() -> float:
        with ThreadPoolExecutor(1) as pool:
            running = RunningHash(pool, budget)
            pool.submit(gate.wait)  # the hash thread is busy until the gate opens
            for number in range(1, 4):
                assert running.landed(number, [parts[number - 1]]) is True
            pool.submit(before_last.wait)  # jobs run in order: after part 3, before part 4
            assert running.landed(4, [parts[3]]) is True
            asyncio.get_running_loop().call_later(0.3, gate.set)
            started = time.monotonic()
            await asyncio.wait_for(running.caught_up(4, lag=1), timeout=10)
            hashed.append(running.next_part)
            waited = time.monotonic() - started
            before_last.set()
            await running.settled()
            assert (
                running.covers(4)
                and running.digest.hexdigest() == hashlib.sha256(b"".join(parts)).hexdigest()
            )
            return waited

    waited = asyncio.run(go())
    assert waited >= 0.25
    assert hashed == [4]  # parts 1-3 hashed, part 4 not yet: at most `lag` behind


def test_a_part_landing_after_a_gap_is_not_due_and_never_waits() -> None:
    """Part 3 before parts 1 and 2: its answer cannot wait for a hash that needs parts the client has
    not sent yet (a client sending parts in reverse would wait for ever)."""
    parts = [os.urandom(PART) for _ in range(3)]
    budget = HeldBudget()

    async def body(running: RunningHash, pool: ThreadPoolExecutor) -> None:
        assert running.landed(3, [parts[2]]) is False
        await asyncio.wait_for(running.caught_up(3, lag=1), timeout=5)
        assert running.next_part == 1

    _with_hash(body, budget)


def test_a_wait_ends_when_the_upload_is_dropped() -> None:
    import threading

    parts = [os.urandom(PART) for _ in range(3)]
    budget = HeldBudget()
    gate = threading.Event()

    async def body(running: RunningHash, pool: ThreadPoolExecutor) -> None:
        pool.submit(gate.wait)
        for number in range(1, 4):
            running.landed(number, [parts[number - 1]])
        loop = asyncio.get_running_loop()
        loop.call_later(0.1, running.release)
        loop.call_later(0.2, gate.set)
        await asyncio.wait_for(running.caught_up(3, lag=0), timeout=10)
        await running.settled()

    _with_hash(body, budget)
    assert budget.used == 0


def _stream(running: RunningHash, number: int, data: bytes, pieces: int = 4) -> None:
    """Part `number` fed to the hash in pieces as if arriving (the caller ends it)."""
    step = -(-len(data) // pieces)
    for start in range(0, len(data), step):
        running.feed_inline([data[start : start + step]])


def test_parts_streamed_in_order_give_the_whole_hash_and_their_answers_do_not_wait_for_it() -> None:
    """With the hash thread held up, streaming parts 1 and 2 and ending them returns at once (the
    answer does not wait for the hash to catch up within the lag); the hash covers both once it runs."""
    import threading

    parts = [os.urandom(PART) for _ in range(3)]
    budget = HeldBudget()
    gate = threading.Event()

    async def body(running: RunningHash, pool: ThreadPoolExecutor) -> None:
        pool.submit(gate.wait)
        for number in (1, 2):
            assert running.begin_inline(number)
            _stream(running, number, parts[number - 1])
            running.end_inline(number, PART)
            await asyncio.wait_for(running.caught_up(number, lag=2), timeout=1)
        assert running.next_part == 1 and budget.used == 2 * PART  # nothing hashed yet, all held
        gate.set()
        assert running.begin_inline(3)
        _stream(running, 3, parts[2])
        running.end_inline(3, PART)
        await running.settled()
        assert running.covers(3)
        assert running.digest.hexdigest() == hashlib.sha256(b"".join(parts)).hexdigest()
        assert running.size == 3 * PART and budget.used == 0

    _with_hash(body, budget)


def test_a_streamed_part_that_fails_leaves_the_hash_as_it_was_and_may_be_sent_again() -> None:
    parts = [os.urandom(PART) for _ in range(2)]
    budget = HeldBudget()

    async def body(running: RunningHash, pool: ThreadPoolExecutor) -> None:
        assert running.begin_inline(1)
        _stream(running, 1, parts[0])
        running.end_inline(1, PART)
        assert running.begin_inline(2)
        _stream(running, 2, os.urandom(PART // 2))  # damaged and cut short: refused by its checksum
        running.end_inline(2, None)
        await running.settled()
        assert running.next_part == 2 and not running.covers(2)
        assert running.digest.hexdigest() == hashlib.sha256(parts[0]).hexdigest()
        assert running.begin_inline(2)  # sent again, streamed again
        _stream(running, 2, parts[1])
        running.end_inline(2, PART)
        await running.settled()
        assert running.covers(2)
        assert running.digest.hexdigest() == hashlib.sha256(b"".join(parts)).hexdigest()

    _with_hash(body, budget)


def test_a_part_landing_while_another_streams_waits_for_it_and_is_hashed_after_it() -> None:
    """Two parts in flight: part 2 lands (kept, not due) while part 1 still streams; only one part
    streams at a time, part 2 is hashed after part 1 ends, and part 3 may then stream behind it."""
    parts = [os.urandom(PART) for _ in range(3)]
    budget = HeldBudget()

    async def body(running: RunningHash, pool: ThreadPoolExecutor) -> None:
        assert running.begin_inline(1)
        assert not running.begin_inline(2)  # not next, and part 1 streams
        _stream(running, 1, parts[0][: PART // 2])
        assert running.landed(2, [parts[1]]) is False  # kept within the budget, not due
        _stream(running, 1, parts[0][PART // 2 :])
        running.end_inline(1, PART)
        assert running.begin_inline(3)  # part 2 is queued: part 3 streams after it
        _stream(running, 3, parts[2])
        running.end_inline(3, PART)
        await running.settled()
        assert running.covers(3)
        assert running.digest.hexdigest() == hashlib.sha256(b"".join(parts)).hexdigest()
        assert budget.used == 0

    _with_hash(body, budget)


def test_a_streamed_part_of_a_dropped_upload_is_not_taken() -> None:
    parts = [os.urandom(PART)]
    budget = HeldBudget()

    async def body(running: RunningHash, pool: ThreadPoolExecutor) -> None:
        assert running.begin_inline(1)
        _stream(running, 1, parts[0])
        running.release()
        running.end_inline(1, PART)
        await running.settled()
        assert running.next_part == 1 and not running.covers(1) and budget.used == 0
        assert not running.begin_inline(1)

    _with_hash(body, budget)
