"""Authorisation rules in one place.

Private spaces are invisible to non-members (404, as for something that does not exist); members whose role
does not allow an action get 403. The public space is readable by anyone and writable by every account.
A blob is readable by its uploaders and through granted references from records in readable spaces.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, or_, select

from studio.protocol.ids import PUBLIC_SPACE, WRITER_ROLES
from studio.protocol.shapes import Role
from studio.server import schema
from studio.server.auth import Caller
from studio.server.errors import ProblemError, not_found

_SPACE_AND_ROLE = (
    select(schema.spaces, schema.members.c.role)
    .outerjoin(
        schema.members,
        and_(
            schema.members.c.space_id == schema.spaces.c.id,
            schema.members.c.account_id == bindparam("account_id"),
        ),
    )
    .where(schema.spaces.c.id == bindparam("space_id"))
)
"""The space and the caller's membership in one statement, built once (it runs on nearly every request)."""


def read_space(conn: Connection, space_id: str, caller: Caller | None) -> tuple[Any, Role | None]:
    """The space row and the caller's role in it (None in the public space); 404 for non-members."""
    account_id = caller.account_id if caller is not None else None
    row = conn.execute(_SPACE_AND_ROLE, {"space_id": space_id, "account_id": account_id}).first()
    if row is None:
        raise not_found(f"space {space_id}")
    role = stored_role(row.role)
    if row.kind != "public" and role is None:
        raise not_found(f"space {space_id}")
    return row, role


def write_space(conn: Connection, space_id: str, caller: Caller) -> tuple[Any, Role | None]:
    row, role = read_space(conn, space_id, caller)
    if row.kind == "private" and role not in WRITER_ROLES:
        raise ProblemError(403, f"your role in space {space_id} is {role}: it cannot change anything")
    return row, role


_ROLES: tuple[Role, ...] = ("owner", "editor", "viewer")


def stored_role(value: object) -> Role | None:
    """A role column read back, as the wire's Role: the table is only written from validated input."""
    if value is None:
        return None
    for role in _ROLES:
        if value == role:
            return role
    raise ValueError(f"members table holds an unknown role {value!r}")


def readable_space_filter(column: Any, caller: Caller | None) -> Any:
    """SQL condition: `column` (a space id) is a space the caller can read."""
    if caller is None:
        return column == PUBLIC_SPACE
    m = schema.members
    return or_(
        column == PUBLIC_SPACE,
        column.in_(select(m.c.space_id).where(m.c.account_id == caller.account_id)),
    )


def can_read_blob(conn: Connection, sha256: str, caller: Caller | None) -> bool:
    """True iff the blob is published and the account uploaded it or may read a granted reference."""
    b, u, r = schema.blobs, schema.blob_uploaders, schema.blob_refs
    published = conn.execute(select(b.c.sha256).where(b.c.sha256 == sha256)).first() is not None
    if not published:
        return False
    if caller is not None:
        uploaded = conn.execute(
            select(exists().where(u.c.sha256 == sha256, u.c.account_id == caller.account_id))
        ).scalar_one()
        if uploaded:
            return True
    return bool(
        conn.execute(
            select(
                exists().where(
                    r.c.sha256 == sha256, r.c.granted.is_(True), readable_space_filter(r.c.space_id, caller)
                )
            )
        ).scalar_one()
    )
