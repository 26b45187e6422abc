"""The server's system clock: wall time, shifted by STUDIO_SERVER_TIME_SHIFT for rehearsing review windows
and due dates; a bad shift is refused at start with the variable named."""

from __future__ import annotations

import time

import pytest

from studio.server.clock import TIME_SHIFT_ENV, SystemClock


def test_the_shift_moves_the_system_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIME_SHIFT_ENV, "86400")
    before = time.time()
    shifted = SystemClock.from_env().now()
    assert before + 86400 <= shifted <= time.time() + 86400
    monkeypatch.delenv(TIME_SHIFT_ENV)
    assert abs(SystemClock.from_env().now() - time.time()) < 5


def test_a_shift_that_is_not_a_number_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIME_SHIFT_ENV, "two weeks")
    with pytest.raises(ValueError, match=f"{TIME_SHIFT_ENV}='two weeks' is not a number"):
        SystemClock.from_env()
