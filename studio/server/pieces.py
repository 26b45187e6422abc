"""Finding a published piece (a clip record) for payouts and calls, and who may manage it.

A piece is looked up in the space named, or else in the public space and then in the caller's private spaces;
what the caller cannot read does not exist for them (404).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from studio.protocol.ids import PUBLIC_SPACE, is_sha256
from studio.protocol.shapes import Role
from studio.server import claims, schema
from studio.server.access import read_space
from studio.server.auth import Caller
from studio.server.errors import ProblemError, not_found


@dataclass(frozen=True)
class Piece:
    space: Any
    role: Role | None
    id: str
    owner_id: str
    doc: dict[str, Any]


def find_piece(conn: Connection, caller: Caller | None, piece: str, space_id: str | None = None) -> Piece:
    r = schema.records
    candidates = [space_id] if space_id else [PUBLIC_SPACE, *_private_spaces(conn, caller)]
    for sid in candidates:
        try:
            space, role = read_space(conn, sid, caller)
        except ProblemError:
            if space_id:
                raise
            continue
        row = conn.execute(
            select(r.c.id, r.c.owner_id, r.c.doc).where(
                r.c.space_id == sid, r.c.kind == "clip", r.c.id == piece, r.c.deleted.is_(False)
            )
        ).first()
        if row is None and sid == PUBLIC_SPACE and is_sha256(piece):
            row = claims.chosen_claim(conn, piece, caller.account_id if caller else None)[0]
        if row is not None:
            return Piece(space, role, row.id, row.owner_id, json.loads(row.doc))
    raise not_found(f"published piece {piece}")


def _private_spaces(conn: Connection, caller: Caller | None) -> list[str]:
    if caller is None:
        return []
    m = schema.members
    return sorted(conn.execute(select(m.c.space_id).where(m.c.account_id == caller.account_id)).scalars())


def may_manage(piece: Piece, caller: Caller) -> bool:
    """The piece's publisher, or an owner of the private space it lives in."""
    return piece.owner_id == caller.account_id or (piece.space.kind == "private" and piece.role == "owner")


def require_manager(piece: Piece, caller: Caller, action: str) -> None:
    if not may_manage(piece, caller):
        owners = " or the owners of its space" if piece.space.kind == "private" else ""
        raise ProblemError(403, f"only the publisher of piece {piece.id[:12]}{owners} may {action}")
