"""Per-account quotas: bytes stored (published blobs the account uploaded plus the full announced size of
its open upload sessions, so staging space is reserved before a byte arrives), open upload sessions,
records and spaces. Checks run inside the write transaction that would exceed them, after the account's
row is locked, so concurrent requests of one account cannot all pass the same check."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select, tuple_

from studio.protocol import problems
from studio.server import schema
from studio.server.errors import ProblemError
from studio.server.settings import Settings

LIVE_SESSIONS = ("open", "verified")


def lock_account(conn: Connection, account_id: str) -> None:
    """Hold the account's row until commit (PostgreSQL; SQLite's single writer already serialises)."""
    a = schema.accounts
    conn.execute(select(a.c.id).where(a.c.id == account_id).with_for_update())


def usage(conn: Connection, account_id: str) -> dict[str, int]:
    b, u, us, r, m = (
        schema.blobs,
        schema.blob_uploaders,
        schema.upload_sessions,
        schema.records,
        schema.members,
    )
    stored = conn.execute(
        select(func.coalesce(func.sum(b.c.size), 0))
        .select_from(u.join(b, b.c.sha256 == u.c.sha256))
        .where(u.c.account_id == account_id)
    ).scalar_one()
    staged, sessions = conn.execute(
        select(func.coalesce(func.sum(us.c.size), 0), func.count()).where(
            us.c.account_id == account_id, us.c.state.in_(LIVE_SESSIONS)
        )
    ).one()
    records = conn.execute(
        select(func.count()).select_from(r).where(r.c.owner_id == account_id, r.c.deleted.is_(False))
    ).scalar_one()
    spaces = conn.execute(
        select(func.count()).select_from(m).where(m.c.account_id == account_id, m.c.role == "owner")
    ).scalar_one()
    return {
        "bytes": int(stored) + int(staged),
        "uploads": int(sessions),
        "records": int(records),
        "spaces": int(spaces),
    }


def limits(settings: Settings) -> dict[str, int]:
    return {
        "bytes": settings.quota_bytes,
        "uploads": settings.quota_uploads,
        "records": settings.quota_records,
        "spaces": settings.quota_spaces,
    }


def require(settings: Settings, used: dict[str, int], quota: str, adding: int) -> None:
    """403 `quota-exceeded` when adding `adding` to the account's `quota` would go over its limit."""
    limit = limits(settings)[quota]
    if adding > 0 and used[quota] + adding > limit:
        raise ProblemError(
            403,
            f"this would take your {quota} to {used[quota] + adding}, over your quota of {limit}; "
            "delete something or ask the server's operator for more",
            problems.QUOTA_EXCEEDED,
            quota=quota,
            used=used[quota],
            limit=limit,
        )


def new_records(conn: Connection, space_id: str, changes: Iterable[Any]) -> int:
    """How many records a push would create in the space (record changes naming a record it lacks)."""
    wanted = {(c.kind, c.id) for c in changes if c.kind != "ops" and not c.deleted}
    if not wanted:
        return 0
    r = schema.records
    existing = conn.execute(
        select(r.c.kind, r.c.id).where(r.c.space_id == space_id, tuple_(r.c.kind, r.c.id).in_(list(wanted)))
    ).all()
    return len(wanted - {(row.kind, row.id) for row in existing})


def check_push(settings: Settings, conn: Connection, account_id: str, space_id: str, changes: Any) -> None:
    """403 `quota-exceeded` before a push that would create more records than the account may own."""
    adding = new_records(conn, space_id, changes)
    if adding == 0:
        return
    lock_account(conn, account_id)
    r = schema.records
    owned = conn.execute(
        select(func.count()).select_from(r).where(r.c.owner_id == account_id, r.c.deleted.is_(False))
    ).scalar_one()
    require(settings, {"records": int(owned)}, "records", adding)
