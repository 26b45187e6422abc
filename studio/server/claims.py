"""Public clip records are claims: one account's statement (title, credits, licence) about a media hash.

Two publishers of the same bytes each get their own record (id `claim_id(account, hash)`, field `media`
holding the hash) over one shared blob, so whoever publishes a hash first owns only their own claim and never
blocks the author. Records made before claims existed keep their id (the hash) and count as their owner's
claim. A client may name its claim by the hash alone: the server writes the caller's own claim.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from studio.protocol.ids import PUBLIC_SPACE, claim_id, is_sha256
from studio.server import schema


def claims_of(conn: Connection, media: str) -> list[Any]:
    """Every live public clip record about `media` with its publisher's username, oldest first."""
    r, a = schema.records, schema.accounts
    return list(
        conn.execute(
            select(r, a.c.username)
            .join(a, a.c.id == r.c.owner_id)
            .where(r.c.space_id == PUBLIC_SPACE, r.c.kind == "clip", r.c.media == media)
            .order_by(r.c.created_at, r.c.id)
        ).all()
    )


def own_claim(conn: Connection, account_id: str, media: str) -> str | None:
    """The id of the account's public clip record about `media`, if it has one."""
    r = schema.records
    return conn.execute(
        select(r.c.id)
        .where(
            r.c.space_id == PUBLIC_SPACE,
            r.c.kind == "clip",
            r.c.media == media,
            r.c.owner_id == account_id,
        )
        .order_by(r.c.created_at)
        .limit(1)
    ).scalar_one_or_none()


def as_claims(conn: Connection, space: Any, account_id: str, changes: list[Any]) -> list[Any]:
    """The push with each public clip change named by a hash turned into a change of the caller's claim."""
    if space.kind != "public":
        return changes
    out = []
    for change in changes:
        if change.kind == "clip" and is_sha256(change.id):
            target = own_claim(conn, account_id, change.id)
            update: dict[str, Any] = {"id": target or claim_id(account_id, change.id)}
            if target is None and "media" not in change.fields:
                update["fields"] = {**change.fields, "media": change.id}
            change = change.model_copy(update=update)
        out.append(change)
    return out


def chosen_claim(conn: Connection, media: str, account_id: str | None) -> tuple[Any | None, list[Any]]:
    """Which claim a reference by hash means: the caller's own, else the only one; (None, claims) when
    several publishers claim the hash and the caller must choose by claim id."""
    claims = [c for c in claims_of(conn, media) if not c.deleted]
    mine = [c for c in claims if account_id is not None and c.owner_id == account_id]
    if mine:
        return mine[0], claims
    if len(claims) == 1:
        return claims[0], claims
    return None, claims
