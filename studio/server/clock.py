"""The one clock the server reads: token and upload expiry, throttle delays, review windows, due dates, GC.

Handlers take the time from `ctx.clock`, never from the time module, so a test can hand `create_app` a clock
it moves forward instead of waiting for an expiry, and an operator can rehearse a review window or a call's
due date with STUDIO_SERVER_TIME_SHIFT.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Protocol

TIME_SHIFT_ENV = "STUDIO_SERVER_TIME_SHIFT"


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC), as time.time() gives them."""
        ...


@dataclass(frozen=True)
class SystemClock:
    """Wall time, plus a fixed shift in seconds (0 unless STUDIO_SERVER_TIME_SHIFT says otherwise)."""

    shift: float = 0.0

    def now(self) -> float:
        return time.time() + self.shift

    @classmethod
    def from_env(cls) -> SystemClock:
        text = os.environ.get(TIME_SHIFT_ENV, "").strip()
        try:
            return cls(float(text) if text else 0.0)
        except ValueError:
            raise ValueError(f"{TIME_SHIFT_ENV}={text!r} is not a number of seconds") from None
