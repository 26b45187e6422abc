"""Accounts, logging in (a token per device), listing and revoking devices."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from studio.core.identity import account_contributor_id
from studio.protocol import api, problems
from studio.protocol.ids import HEX32_PATTERN, USERNAME_PATTERN, is_username
from studio.server import quotas, schema, throttle
from studio.server.auth import Caller, CallerDep, iso
from studio.server.changes import register_client
from studio.server.context import Context, Ctx
from studio.server.errors import ProblemError, not_found
from studio.server.models import (
    AccountLookupOut,
    AccountOut,
    DeviceOut,
    LoginIn,
    MeOut,
    QuotaOut,
    SignupIn,
    TokenOut,
)
from studio.server.routes.certificates import revoke_device_certificates
from studio.server.routes.docs import problems as responses
from studio.server.security import (
    hash_password,
    new_id,
    new_token,
    password_weakness,
    token_digest,
    verify_password,
)

router = APIRouter(tags=["accounts"])


@router.post(api.ACCOUNTS, status_code=201, response_model=AccountOut, responses=responses(409, 429))
def signup(body: SignupIn, request: Request, ctx: Ctx) -> AccountOut:
    weakness = password_weakness(body.password, body.username)
    if weakness:
        raise ProblemError(
            422, f"password: {weakness}", errors=[{"loc": ["body", "password"], "msg": weakness}]
        )
    throttle.charge(ctx, throttle.signup_rules(ctx, client_address(request)))
    account_id = new_id()
    password_hash = hash_password(body.password)
    try:
        with ctx.db.write() as conn:
            conn.execute(
                insert(schema.accounts).values(
                    id=account_id,
                    username=body.username,
                    password_hash=password_hash,
                    created_at=ctx.clock.now(),
                )
            )
    except IntegrityError:
        raise ProblemError(409, f"the username {body.username!r} is taken", problems.USERNAME_TAKEN) from None
    return AccountOut(id=account_id, username=body.username)


def client_address(request: Request) -> str:
    """The caller's address: the socket's peer, or what a configured proxy forwarded (serve.py)."""
    return (request.client.host if request.client else "?")[:64]


@router.post(api.TOKENS, status_code=201, response_model=TokenOut, responses=responses(401, 429))
def login(body: LoginIn, request: Request, ctx: Ctx) -> TokenOut:
    settings = ctx.settings
    rules, known = throttle.login_rules(ctx, body.username, client_address(request))
    charged = throttle.charge(ctx, rules, known)
    row = None
    if is_username(body.username):
        with ctx.db.read() as conn:
            row = conn.execute(
                select(schema.accounts.c.id, schema.accounts.c.password_hash).where(
                    schema.accounts.c.username == body.username
                )
            ).first()
    if not verify_password(row.password_hash if row else None, body.password):
        raise ProblemError(401, "wrong username or password")
    throttle.succeeded(ctx, charged, known)
    assert row is not None
    now = ctx.clock.now()  # the token's life starts now, not when the attempt began (throttle, argon2)
    ttl = min(body.ttl_seconds or settings.token_ttl, settings.token_ttl)
    token, device_id = new_token(), new_id()
    with ctx.db.write() as conn:
        conn.execute(
            insert(schema.tokens).values(
                id=device_id,
                account_id=row.id,
                token_hash=token_digest(token),
                name=body.device_name,
                created_at=now,
                last_used_at=now,
                expires_at=now + ttl,
                revoked=False,
            )
        )
        if body.client_id:
            register_client(conn, row.id, device_id, body.client_id)
    return TokenOut(
        token=token,
        device_id=device_id,
        expires_at=iso(now + ttl),
        account=AccountOut(id=row.id, username=body.username),
    )


@router.delete(api.CURRENT_TOKEN, status_code=204, responses=responses(401))
def logout(caller: CallerDep, ctx: Ctx) -> Response:
    _revoke(ctx, caller, caller.device_id)
    return Response(status_code=204)


@router.get(api.ME, response_model=MeOut, responses=responses(401))
def me(caller: CallerDep, ctx: Ctx) -> MeOut:
    with ctx.db.read() as conn:
        used = quotas.usage(conn, caller.account_id)
    return MeOut(
        id=caller.account_id,
        username=caller.username,
        device_id=caller.device_id,
        usage=QuotaOut(**used),
        quotas=QuotaOut(**quotas.limits(ctx.settings)),
    )


@router.get(api.ACCOUNT, response_model=AccountLookupOut, responses=responses(401, 404))
def lookup_account(
    caller: CallerDep, ctx: Ctx, username: str = Path(pattern=USERNAME_PATTERN)
) -> AccountLookupOut:
    """Resolve a user name for a credit: a person with an account is that account in every credit, so the
    client needs the account's id (user names are public already: they sign every feed entry)."""
    a = schema.accounts
    with ctx.db.read() as conn:
        found = conn.execute(select(a.c.id).where(a.c.username == username)).scalar_one_or_none()
    if found is None:
        raise not_found(f"account {username!r}")
    return AccountLookupOut(id=found, username=username, contributor=account_contributor_id(found))


@router.get(api.DEVICES, response_model=list[DeviceOut], responses=responses(401))
def devices(caller: CallerDep, ctx: Ctx) -> list[DeviceOut]:
    t = schema.tokens
    with ctx.db.read() as conn:
        rows = conn.execute(
            select(t)
            .where(
                t.c.account_id == caller.account_id, t.c.revoked.is_(False), t.c.expires_at > ctx.clock.now()
            )
            .order_by(t.c.created_at)
        ).all()
    return [
        DeviceOut(
            id=r.id,
            name=r.name,
            created_at=iso(r.created_at),
            last_used_at=iso(r.last_used_at),
            expires_at=iso(r.expires_at),
            current=r.id == caller.device_id,
        )
        for r in rows
    ]


@router.delete(api.DEVICE, status_code=204, responses=responses(401, 404))
def revoke_device(
    caller: CallerDep,
    ctx: Ctx,
    device_id: str = Path(pattern=HEX32_PATTERN),
) -> Response:
    _revoke(ctx, caller, device_id)
    return Response(status_code=204)


def _revoke(ctx: Context, caller: Caller, device_id: str) -> None:
    """Revoke the device and, in the same transaction, the signing certificates issued to it."""
    t = schema.tokens
    with ctx.db.write() as conn:
        done = conn.execute(
            update(t)
            .where(t.c.id == device_id, t.c.account_id == caller.account_id, t.c.revoked.is_(False))
            .values(revoked=True)
        ).rowcount
        revoke_device_certificates(conn, caller.account_id, device_id, ctx.clock.now())
    if not done:
        raise not_found(f"device {device_id}")
