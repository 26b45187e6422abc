"""What the payout routes share: the piece id type, amounts read in a currency, and id checks."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

from studio.protocol.ids import RECORD_ID_PATTERN
from studio.server import money
from studio.server.errors import ProblemError

PieceId = Annotated[str, Field(pattern=RECORD_ID_PATTERN, max_length=128)]


def money_of(text: str, currency: str, what: str) -> int:
    try:
        return money.to_minor(text, currency, what=what)
    except ValueError as exc:
        raise ProblemError(422, str(exc)) from None


def check_id(value: str, what: str) -> None:
    if not re.fullmatch(r"[0-9a-f]{32}", value):
        raise ProblemError(422, f"{what} id {value!r} is not 32 lowercase hex digits")
