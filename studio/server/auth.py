"""Who is calling: the Bearer token of a live device (not revoked, not expired), or nobody."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select, update

from studio.server import schema
from studio.server.context import Ctx
from studio.server.errors import ProblemError
from studio.server.security import TOKEN_PREFIX, token_digest

_TOUCH_EVERY = 300.0


@dataclass(frozen=True)
class Caller:
    account_id: str
    username: str
    device_id: str


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": 'Bearer realm="studio"'})


def optional_caller(request: Request, ctx: Ctx) -> Caller | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise _unauthorized("the Authorization header is not 'Bearer <studio token>'")
    t, a = schema.tokens, schema.accounts
    now = time.time()
    with ctx.db.read() as conn:
        row = conn.execute(
            select(t.c.id, t.c.account_id, t.c.revoked, t.c.expires_at, t.c.last_used_at, a.c.username)
            .join(a, a.c.id == t.c.account_id)
            .where(t.c.token_hash == token_digest(token))
        ).first()
    if row is None or row.revoked:
        raise _unauthorized("the token is unknown or was revoked; log in again")
    if row.expires_at <= now:
        raise _unauthorized("the token has expired; log in again")
    if now - row.last_used_at > _TOUCH_EVERY:
        with ctx.db.write() as conn:
            conn.execute(update(t).where(t.c.id == row.id).values(last_used_at=now))
    request.state.account = row.username
    return Caller(account_id=row.account_id, username=row.username, device_id=row.id)


async def require_caller(caller: MaybeCaller) -> Caller:
    if caller is None:
        raise _unauthorized("this needs a token: log in first")
    return caller


CallerDep = Annotated[Caller, Depends(require_caller)]
MaybeCaller = Annotated[Caller | None, Depends(optional_caller)]
