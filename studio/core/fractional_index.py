"""Fractional index keys: strings that sort between any two neighbours.

Ordering tracks by such keys (not by list position) lets two people insert at the same
place concurrently and both inserts survive, ordered by key then id.
"""

from __future__ import annotations

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE = len(DIGITS)
_VALUE = {c: i for i, c in enumerate(DIGITS)}


def validate_key(key: str) -> str:
    if not key or any(c not in _VALUE for c in key) or key.endswith("0"):
        raise ValueError(f"not an order key: {key!r}")
    return key


def key_between(a: str | None, b: str | None) -> str:
    """A key strictly between a and b (None means the open end); keys never end in '0'."""
    if a is not None:
        validate_key(a)
    if b is not None:
        validate_key(b)
    if a is not None and b is not None and not a < b:
        raise ValueError(f"order keys out of order: {a!r} >= {b!r}")
    lo = a or ""
    hi = b
    out: list[str] = []
    i = 0
    while True:
        lo_digit = _VALUE[lo[i]] if i < len(lo) else 0
        hi_digit = _VALUE[hi[i]] if hi is not None and i < len(hi) else _BASE
        if hi_digit - lo_digit > 1:
            out.append(DIGITS[(lo_digit + hi_digit) // 2])
            return "".join(out)
        out.append(DIGITS[lo_digit])
        if hi_digit - lo_digit == 1:
            # The prefix now sorts below hi; only lo's remaining digits still bound us.
            hi = None
        i += 1


def keys_after(a: str | None, count: int) -> list[str]:
    """`count` increasing keys after a (used to append several tracks)."""
    keys: list[str] = []
    last = a
    for _ in range(count):
        last = key_between(last, None)
        keys.append(last)
    return keys
