"""Who is calling: the Bearer token of a live device (not revoked, not expired), or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, bindparam, select, update

from studio.server import schema
from studio.server.context import Context, Ctx
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


_TOKEN = (
    select(
        schema.tokens.c.id,
        schema.tokens.c.account_id,
        schema.tokens.c.revoked,
        schema.tokens.c.expires_at,
        schema.tokens.c.last_used_at,
        schema.accounts.c.username,
    )
    .join(schema.accounts, schema.accounts.c.id == schema.tokens.c.account_id)
    .where(schema.tokens.c.token_hash == bindparam("digest"))
)
"""Built once: every request runs it, and building a statement costs more than SQLite answering it."""


def bearer_token(request: Request) -> str | None:
    """The studio token of the Authorization header; None without one, 401 for any other credential."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise _unauthorized("the Authorization header is not 'Bearer <studio token>'")
    return token


def caller_for(ctx: Context, conn: Connection, token: str) -> Caller:
    """The live device behind `token`, read on `conn`; 401 if it is unknown, revoked or expired."""
    now = ctx.clock.now()
    row = conn.execute(_TOKEN, {"digest": token_digest(token)}).first()
    if row is None or row.revoked:
        raise _unauthorized("the token is unknown or was revoked; log in again")
    if row.expires_at <= now:
        raise _unauthorized("the token has expired; log in again")
    if now - row.last_used_at > _TOUCH_EVERY:
        t = schema.tokens
        with ctx.db.write() as writer:
            writer.execute(update(t).where(t.c.id == row.id).values(last_used_at=now))
    return Caller(account_id=row.account_id, username=row.username, device_id=row.id)


def optional_caller(request: Request, ctx: Ctx) -> Caller | None:
    token = bearer_token(request)
    if token is None:
        return None
    with ctx.db.read() as conn:
        caller = caller_for(ctx, conn, token)
    request.state.account = caller.username
    return caller


def unauthenticated() -> ProblemError:
    return _unauthorized("this needs a token: log in first")


async def require_caller(caller: MaybeCaller) -> Caller:
    if caller is None:
        raise unauthenticated()
    return caller


CallerDep = Annotated[Caller, Depends(require_caller)]
MaybeCaller = Annotated[Caller | None, Depends(optional_caller)]
