"""The payouts and calls ledger in the space's change feed.

Each payout or call event becomes one feed entry of kind `ledger` with an id of its own, written through the
space's counter row like any pushed change, so it reaches every reader of the space in order and can be
audited from the feed alone. Clients that do not know the kind keep it as an opaque record.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import Connection, insert, update

from studio.server import schema
from studio.server.auth import Caller
from studio.server.db import Database
from studio.server.errors import ProblemError

KIND = "ledger"


def new_id() -> str:
    return secrets.token_hex(16)


def append(
    db: Database, conn: Connection, space_id: str, caller: Caller, event: str, doc: dict[str, Any]
) -> int:
    """Append one ledger event to the space's feed inside the caller's write transaction; returns its seq."""
    seq = db.lock_space(conn, space_id)
    if seq is None:
        raise ProblemError(404, f"space {space_id} does not exist")
    seq += 1
    entry_id = f"{event}-{new_id()}"
    body = {
        "kind": KIND,
        "id": entry_id,
        "change_id": entry_id,
        "author": caller.username,
        "doc": {"event": event, **doc},
        "deleted": False,
        "conflicts": [],
    }
    conn.execute(
        insert(schema.changes).values(
            space_id=space_id,
            seq=seq,
            stamp=secrets.token_hex(4),
            kind=KIND,
            record_id=entry_id,
            change_id=entry_id,
            author_id=caller.account_id,
            body=json.dumps(body, separators=(",", ":"), ensure_ascii=False, sort_keys=True),
            superseded=False,
        )
    )
    conn.execute(update(schema.spaces).where(schema.spaces.c.id == space_id).values(seq=seq))
    return seq
