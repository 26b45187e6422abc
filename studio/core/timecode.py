"""Exact time: Fraction seconds everywhere, with every conversion in this one module.

Float seconds drift (0.1 + 0.2 != 0.3) and make undo, merge and frame boundaries disagree,
so the model stores Fractions and only converts at the edges (frames, samples, ffmpeg).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

Time = Fraction
ZERO = Fraction(0)

_FRACTION_RE = re.compile(r"^\s*(-?\d+)\s*/\s*(\d+)\s*$")


def parse_time(text: str | int | float | Fraction | Decimal) -> Fraction:
    """Seconds from a decimal ("1.5"), an exact fraction ("1001/30000") or HH:MM:SS(.ff).

    Floats are converted through their shortest decimal repr, so 0.1 means 1/10.
    """
    if isinstance(text, Fraction):
        return text
    if isinstance(text, bool):
        raise ValueError(f"not a time: {text!r}")
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, float):
        if not math.isfinite(text):
            raise ValueError(f"not a finite time: {text!r}")
        return Fraction(Decimal(repr(text)))
    if isinstance(text, Decimal):
        if not text.is_finite():
            raise ValueError(f"not a finite time: {text!r}")
        return Fraction(text)
    s = str(text).strip()
    m = _FRACTION_RE.match(s)
    if m:
        den = int(m.group(2))
        if den == 0:
            raise ValueError(f"not a time (zero denominator): {text!r}")
        return Fraction(int(m.group(1)), den)
    if ":" in s:
        parts = s.split(":")
        if len(parts) > 3:
            raise ValueError(f"not a time: {text!r}")
        total = ZERO
        for part in parts:
            total = total * 60 + _decimal(part, text)
        return total
    return _decimal(s, text)


def _decimal(s: str, original: object) -> Fraction:
    try:
        d = Decimal(s.strip())
    except InvalidOperation:
        raise ValueError(f"not a time: {original!r} (use seconds such as 1.5 or 3/2)") from None
    if not d.is_finite():
        raise ValueError(f"not a finite time: {original!r}")
    return Fraction(d)


def to_json(t: Fraction) -> str | int:
    """Compact exact JSON form: an int when whole, else "num/den"."""
    if t.denominator == 1:
        return t.numerator
    return f"{t.numerator}/{t.denominator}"


def from_json(v: object) -> Fraction:
    if isinstance(v, (int, str)) and not isinstance(v, bool):
        return parse_time(v)
    raise ValueError(f"not a time value: {v!r}")


def to_seconds(t: Fraction) -> float:
    """Float seconds, only for display and for tools that need floats."""
    return float(t)


def to_ffmpeg(t: Fraction) -> str:
    """A decimal ffmpeg time string with microsecond precision (ffmpeg's internal time base)."""
    us = round(t * 1_000_000)
    sign = "-" if us < 0 else ""
    us = abs(us)
    return f"{sign}{us // 1_000_000}.{us % 1_000_000:06d}"


def format_clock(t: Fraction, rate: Fraction | None = None) -> str:
    """H:MM:SS.mmm, or H:MM:SS:FF when a frame rate is given (for display)."""
    neg = t < 0
    t = abs(t)
    whole = math.floor(t)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    if rate:
        ff = math.floor((t - whole) * rate)
        text = f"{h}:{m:02d}:{s:02d}:{ff:02d}"
    else:
        ms = math.floor((t - whole) * 1000)
        text = f"{h}:{m:02d}:{s:02d}.{ms:03d}"
    return ("-" if neg else "") + text


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A half-open span [start, start + duration)."""

    start: Fraction
    duration: Fraction

    def __post_init__(self) -> None:
        if self.duration < 0:
            raise ValueError(f"negative duration: {self.duration}")

    @property
    def end_exclusive(self) -> Fraction:
        return self.start + self.duration

    def contains(self, t: Fraction) -> bool:
        return self.start <= t < self.end_exclusive

    def overlaps(self, other: TimeRange) -> bool:
        return self.start < other.end_exclusive and other.start < self.end_exclusive

    def intersection(self, other: TimeRange) -> TimeRange | None:
        start = max(self.start, other.start)
        end = min(self.end_exclusive, other.end_exclusive)
        if end <= start:
            return None
        return TimeRange(start, end - start)
