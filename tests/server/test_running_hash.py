"""The whole-upload hash kept while parts land in any order, within the memory budget for early parts."""

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
                data = parts[number - 1]
                candidate = running.candidate(number)
                if candidate is not None:
                    candidate.update(data)  # as the receiver does while the bytes arrive
                await running.landed(number, bytearray(data), candidate, pool, budget)

    asyncio.run(go())


@pytest.mark.parametrize("order", [[1, 2, 3, 4, 5], [2, 1, 4, 3, 5], [5, 4, 3, 2, 1], [3, 5, 1, 2, 4]])
def test_parts_in_any_order_give_the_whole_hash(order: list[int]) -> None:
    parts = [os.urandom(PART) for _ in range(5)]
    running, budget = RunningHash(), HeldBudget()
    _land(running, parts, order, budget)
    assert running.covers(5)
    assert (running.digest.hexdigest(), running.size) == (
        hashlib.sha256(b"".join(parts)).hexdigest(),
        5 * PART,
    )
    assert budget.used == 0 and running.held == {}


def test_a_part_that_became_next_while_it_arrived_is_hashed_when_it_lands() -> None:
    """Two parts in flight: part 2 starts before part 1 lands (no candidate), and lands after it."""
    parts = [os.urandom(PART) for _ in range(2)]
    running, budget = RunningHash(), HeldBudget()

    async def go() -> None:
        with ThreadPoolExecutor(2) as pool:
            first, second = running.candidate(1), running.candidate(2)
            assert first is not None and second is None
            first.update(parts[0])
            await running.landed(1, bytearray(parts[0]), first, pool, budget)
            await running.landed(2, bytearray(parts[1]), second, pool, budget)

    asyncio.run(go())
    assert running.covers(2) and running.digest.hexdigest() == hashlib.sha256(b"".join(parts)).hexdigest()


def test_an_early_part_over_the_budget_is_not_kept_and_the_hash_stops_short() -> None:
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
