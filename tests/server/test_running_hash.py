"""The whole-upload hash computed in the background while parts land in any order, within the memory
budget for parts waiting to be hashed."""

from __future__ import annotations

import asyncio
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from studio.server.running_hash import HeldBudget, RunningHash

PART = 64 * 1024


def _land(running: RunningHash, parts: list[bytes], order: list[int], budget: HeldBudget) -> None:
    async def go() -> None:
        with ThreadPoolExecutor(2) as pool:
            for number in order:
                running.landed(number, [bytes(parts[number - 1])], pool, budget)
                await asyncio.sleep(0)  # other requests run between landings
            await running.settled()

    asyncio.run(go())


@pytest.mark.parametrize("order", [[1, 2, 3, 4, 5], [2, 1, 4, 3, 5], [5, 4, 3, 2, 1], [3, 5, 1, 2, 4]])
def test_parts_in_any_order_give_the_whole_hash(order: list[int]) -> None:
    parts = [os.urandom(PART) for _ in range(5)]
    running, budget = RunningHash(), HeldBudget()
    _land(running, parts, order, budget)
    assert running.covers(5)
    whole = hashlib.sha256(b"".join(parts)).hexdigest()
    assert (running.digest.hexdigest(), running.size) == (whole, 5 * PART)
    assert budget.used == 0 and running.held == {}


def test_a_part_sent_again_after_it_was_hashed_changes_nothing() -> None:
    parts = [os.urandom(PART) for _ in range(2)]
    running, budget = RunningHash(), HeldBudget()
    _land(running, parts, [1, 1, 2, 2], budget)
    assert running.covers(2) and running.digest.hexdigest() == hashlib.sha256(b"".join(parts)).hexdigest()
    assert budget.used == 0


def test_a_later_part_over_the_budget_is_not_kept_and_the_hash_stops_short() -> None:
    """Part 3 fills the budget and part 4 does not fit; parts 1 and 2 come next when they land, so they
    are taken anyway. The hash stops before part 4, which completing then reads back."""
    parts = [os.urandom(PART) for _ in range(4)]
    running, budget = RunningHash(), HeldBudget(limit=PART)
    _land(running, parts, [3, 4, 1, 2], budget)
    assert not running.covers(4)
    assert running.next_part == 4 and running.size == 3 * PART
    assert running.digest.hexdigest() == hashlib.sha256(b"".join(parts[:3])).hexdigest()
    assert budget.used == 0


def test_a_forgotten_upload_gives_its_memory_back_and_keeps_nothing_more() -> None:
    parts = [os.urandom(PART) for _ in range(3)]
    running, budget = RunningHash(), HeldBudget()
    _land(running, parts, [2], budget)
    assert budget.used == PART
    running.release(budget)
    assert budget.used == 0
    _land(running, parts, [3], budget)
    assert budget.used == 0 and running.held == {}


def test_the_answer_to_a_due_part_waits_until_the_hash_is_at_most_lag_parts_behind() -> None:
    """Back-pressure: with the hash thread held up, landing parts 1..4 in order returns at once, but
    waiting on part 4 with a lag of 1 lasts until parts 1-3 are hashed (and no longer)."""
    import threading
    import time

    parts = [os.urandom(PART) for _ in range(4)]
    running, budget = RunningHash(), HeldBudget()
    gate = threading.Event()
    hashed: list[int] = []

    async def go() -> float:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(gate.wait)  # the hash thread is busy until the gate opens
            for number in range(1, 5):
                assert running.landed(number, [parts[number - 1]], pool, budget) is True
            asyncio.get_running_loop().call_later(0.3, gate.set)
            started = time.monotonic()
            await running.caught_up(4, lag=1)
            hashed.append(running.next_part)
            waited = time.monotonic() - started
            await running.settled()
            return waited

    waited = asyncio.run(go())
    assert waited >= 0.25
    assert hashed == [4]  # parts 1-3 hashed, part 4 may still wait: at most `lag` behind
    assert running.covers(4) and running.digest.hexdigest() == hashlib.sha256(b"".join(parts)).hexdigest()


def test_a_part_landing_after_a_gap_is_not_due_and_never_waits() -> None:
    """Part 3 before parts 1 and 2: its answer cannot wait for a hash that needs parts the client has
    not sent yet (a client sending parts in reverse would wait for ever)."""
    parts = [os.urandom(PART) for _ in range(3)]
    running, budget = RunningHash(), HeldBudget()

    async def go() -> None:
        with ThreadPoolExecutor(1) as pool:
            assert running.landed(3, [parts[2]], pool, budget) is False
            await asyncio.wait_for(running.caught_up(3, lag=1), timeout=5)

    asyncio.run(go())
    assert running.next_part == 1


def test_a_wait_ends_when_the_upload_is_dropped() -> None:
    import threading

    parts = [os.urandom(PART) for _ in range(3)]
    running, budget = RunningHash(), HeldBudget()
    gate = threading.Event()

    async def go() -> None:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(gate.wait)
            for number in range(1, 4):
                running.landed(number, [parts[number - 1]], pool, budget)
            loop = asyncio.get_running_loop()
            loop.call_later(0.1, running.release, budget)
            loop.call_later(0.2, gate.set)
            await asyncio.wait_for(running.caught_up(3, lag=0), timeout=10)

    asyncio.run(go())
    assert budget.used == 0
