"""Amounts of money as integers of a currency's minor unit, and the split that never loses a cent.

Amounts travel as decimal strings ("45.00"); inside they are integers of the minor unit, so sums are exact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

CURRENCY_PATTERN = r"^[A-Z]{3}$"

_EXPONENTS = {
    # ISO 4217 currencies whose minor unit is not the hundredth.
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip


def exponent(currency: str) -> int:
    """Digits after the decimal point in `currency` (2 unless ISO 4217 says otherwise)."""
    return _EXPONENTS.get(currency, 2)


def check_currency(currency: str) -> str:
    if not re.fullmatch(CURRENCY_PATTERN, currency or ""):
        raise ValueError(f"currency {currency!r} is not a three-letter ISO 4217 code such as EUR")
    return currency


def to_minor(text: str, currency: str, *, what: str = "amount") -> int:
    """Parse a decimal string into minor units; refuse more decimals than the currency has."""
    digits = exponent(currency)
    cleaned = str(text).strip()
    if not re.fullmatch(r"\d{1,15}(\.\d+)?", cleaned):
        raise ValueError(f"{what} {text!r} is not a decimal number such as 100.00")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{what} {text!r} is not a decimal number") from None
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} {text} has more decimals than {currency} has ({digits})")
    return int(scaled)


def to_text(minor: int, currency: str) -> str:
    """Minor units as a decimal string with the currency's digits: 4500 EUR -> "45.00"."""
    digits = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{part:0{digits}d}" if digits else f"{sign}{whole}"


def split(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` minor units in proportion to `weights` by largest remainder: the parts sum to `total`
    exactly; ties in the remainder go to the earlier entry."""
    whole = sum(weights)
    if whole <= 0 or any(w < 0 for w in weights):
        raise ValueError("shares must be non-negative and not all zero")
    floors = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors
