"""The feed cursor: opaque to clients, carrying the server epoch, the last sequence seen and its stamp.

The stamp is a random tag of the change at that sequence. A server restored from an older backup
either has no change at that sequence or a different one there, so it can tell that the cursor comes
from a history it no longer has and ask the client to reconcile instead of silently skipping changes.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

MAX_CURSOR_LENGTH = 256


@dataclass(frozen=True)
class Cursor:
    epoch: str
    seq: int
    stamp: str

    def encode(self) -> str:
        raw = json.dumps({"e": self.epoch, "s": self.seq, "t": self.stamp}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """Parse a cursor; ValueError when it is not one this protocol produces."""
    if not isinstance(text, str) or not text or len(text) > MAX_CURSOR_LENGTH:
        raise ValueError("cursor is empty or too long")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        doc = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValueError("cursor is not valid base64url JSON") from exc
    if not isinstance(doc, dict):
        raise ValueError("cursor is not an object")
    epoch, seq, stamp = doc.get("e"), doc.get("s"), doc.get("t")
    if not isinstance(epoch, str) or not isinstance(stamp, str) or len(epoch) > 64 or len(stamp) > 64:
        raise ValueError("cursor epoch or stamp is missing")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0 or seq > 2**62:
        raise ValueError("cursor sequence is not a non-negative integer")
    return Cursor(epoch=epoch, seq=seq, stamp=stamp)
