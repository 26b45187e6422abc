"""Spaces and their members."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Path, Response
from sqlalchemy import Row, delete, func, insert, select, update

from studio.protocol import api
from studio.protocol.ids import USERNAME_PATTERN
from studio.server import quotas, schema
from studio.server.access import read_space, stored_role
from studio.server.auth import Caller, CallerDep, MaybeCaller
from studio.server.context import Ctx
from studio.server.errors import ProblemError, not_found
from studio.server.models import MemberIn, MemberOut, SpaceId, SpaceIn, SpaceOut, SpacePatch
from studio.server.routes.docs import problems as responses
from studio.server.security import new_id

router = APIRouter(tags=["spaces"])


@router.get(api.SPACES, response_model=list[SpaceOut], responses=responses(401))
def list_spaces(caller: MaybeCaller, ctx: Ctx) -> list[SpaceOut]:
    s, m = schema.spaces, schema.members
    with ctx.db.read() as conn:
        public = conn.execute(select(s).where(s.c.kind == "public")).all()
        mine: Sequence[Row[Any]] = ()
        if caller is not None:
            mine = conn.execute(
                select(s, m.c.role)
                .join(m, m.c.space_id == s.c.id)
                .where(m.c.account_id == caller.account_id, s.c.kind == "private")
                .order_by(s.c.created_at)
            ).all()
    out = [SpaceOut(id=r.id, name=r.name, kind="public", role=None, epoch=ctx.epoch) for r in public]
    out += [
        SpaceOut(
            id=r.id,
            name=r.name,
            kind="private",
            role=stored_role(r.role),
            epoch=ctx.epoch,
            commercial=bool(r.commercial),
        )
        for r in mine
    ]
    return out


@router.post(api.SPACES, status_code=201, response_model=SpaceOut, responses=responses(401, 403))
def create_space(body: SpaceIn, caller: CallerDep, ctx: Ctx) -> SpaceOut:
    space_id = new_id()
    with ctx.db.write() as conn:
        quotas.lock_account(conn, caller.account_id)
        quotas.require(ctx.settings, quotas.usage(conn, caller.account_id), "spaces", 1)
        conn.execute(
            insert(schema.spaces).values(
                id=space_id,
                name=body.name,
                kind="private",
                created_by=caller.account_id,
                created_at=ctx.clock.now(),
                seq=0,
            )
        )
        conn.execute(
            insert(schema.members).values(space_id=space_id, account_id=caller.account_id, role="owner")
        )
    return SpaceOut(id=space_id, name=body.name, kind="private", role="owner", epoch=ctx.epoch)


@router.get(api.SPACE, response_model=SpaceOut, responses=responses(401, 404))
def get_space(space_id: SpaceId, caller: MaybeCaller, ctx: Ctx) -> SpaceOut:
    with ctx.db.read() as conn:
        row, role = read_space(conn, space_id, caller)
    return SpaceOut(
        id=row.id, name=row.name, kind=row.kind, role=role, epoch=ctx.epoch, commercial=bool(row.commercial)
    )


@router.patch(api.SPACE, response_model=SpaceOut, responses=responses(401, 403, 404, 409))
def update_space(space_id: SpaceId, body: SpacePatch, caller: CallerDep, ctx: Ctx) -> SpaceOut:
    """Rename a private space or mark it for commercial work (owners only; members see the mark)."""
    s = schema.spaces
    with ctx.db.write() as conn:
        ctx.db.lock_space(conn, space_id)
        row, role = read_space(conn, space_id, caller)
        if row.kind == "public":
            raise ProblemError(409, "the public space belongs to nobody: it cannot be renamed or marked")
        if role != "owner":
            raise ProblemError(403, f"only an owner of space {space_id} changes it; you are {role}")
        values: dict[str, Any] = {}
        if body.name is not None:
            values["name"] = body.name
        if body.commercial is not None:
            values["commercial"] = body.commercial
        if values:
            conn.execute(update(s).where(s.c.id == space_id).values(**values))
        row, role = read_space(conn, space_id, caller)
    return SpaceOut(
        id=row.id, name=row.name, kind="private", role=role, epoch=ctx.epoch, commercial=bool(row.commercial)
    )


@router.get(api.MEMBERS, response_model=list[MemberOut], responses=responses(401, 404, 409))
def list_members(space_id: SpaceId, caller: CallerDep, ctx: Ctx) -> list[MemberOut]:
    m, a = schema.members, schema.accounts
    with ctx.db.read() as conn:
        row, _role = read_space(conn, space_id, caller)
        if row.kind == "public":
            raise ProblemError(409, "the public space has no member list: every account may use it")
        rows = conn.execute(
            select(a.c.username, m.c.role)
            .join(a, a.c.id == m.c.account_id)
            .where(m.c.space_id == space_id)
            .order_by(a.c.username)
        ).all()
    return [MemberOut(username=r.username, role=r.role) for r in rows]


@router.put(api.MEMBER, response_model=MemberOut, responses=responses(401, 403, 404, 409))
def set_member(
    space_id: SpaceId,
    body: MemberIn,
    caller: CallerDep,
    ctx: Ctx,
    username: str = Path(pattern=USERNAME_PATTERN, max_length=32),
) -> MemberOut:
    m = schema.members
    with ctx.db.write() as conn:
        ctx.db.lock_space(conn, space_id)
        account_id = _owner_and_account(conn, space_id, caller, username)
        current = conn.execute(
            select(m.c.role).where(m.c.space_id == space_id, m.c.account_id == account_id)
        ).scalar_one_or_none()
        if current == "owner" and body.role != "owner":
            _keep_an_owner(conn, space_id)
        if current is None:
            conn.execute(insert(m).values(space_id=space_id, account_id=account_id, role=body.role))
        else:
            conn.execute(
                update(m).where(m.c.space_id == space_id, m.c.account_id == account_id).values(role=body.role)
            )
    return MemberOut(username=username, role=body.role)


@router.delete(api.MEMBER, status_code=204, responses=responses(401, 403, 404, 409))
def remove_member(
    space_id: SpaceId,
    caller: CallerDep,
    ctx: Ctx,
    username: str = Path(pattern=USERNAME_PATTERN, max_length=32),
) -> Response:
    m = schema.members
    with ctx.db.write() as conn:
        ctx.db.lock_space(conn, space_id)
        if username == caller.username:
            row, role = read_space(conn, space_id, caller)
            if row.kind == "public":
                raise ProblemError(409, "nobody is a member of the public space")
            account_id = caller.account_id
        else:
            account_id = _owner_and_account(conn, space_id, caller, username)
            role = conn.execute(
                select(m.c.role).where(m.c.space_id == space_id, m.c.account_id == account_id)
            ).scalar_one_or_none()
            if role is None:
                raise not_found(f"member {username} of space {space_id}")
        if role == "owner":
            _keep_an_owner(conn, space_id)
        conn.execute(delete(m).where(m.c.space_id == space_id, m.c.account_id == account_id))
    return Response(status_code=204)


def _owner_and_account(conn, space_id: str, caller: Caller, username: str) -> str:  # type: ignore[no-untyped-def]
    row, role = read_space(conn, space_id, caller)
    if row.kind == "public":
        raise ProblemError(409, "the public space has no members to manage")
    if role != "owner":
        raise ProblemError(403, f"only an owner of space {space_id} manages its members; you are {role}")
    account_id = conn.execute(
        select(schema.accounts.c.id).where(schema.accounts.c.username == username)
    ).scalar_one_or_none()
    if account_id is None:
        raise not_found(f"account {username}")
    return str(account_id)


def _keep_an_owner(conn, space_id: str) -> None:  # type: ignore[no-untyped-def]
    m = schema.members
    owners = conn.execute(
        select(func.count()).where(m.c.space_id == space_id, m.c.role == "owner")
    ).scalar_one()
    if owners <= 1:
        raise ProblemError(409, f"space {space_id} must keep at least one owner")
