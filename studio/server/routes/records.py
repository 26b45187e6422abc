"""Pushing changes, pulling the change feed, reading one record, searching the public library."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Connection, func, select

from studio.protocol import api, problems
from studio.protocol.cursor import decode_cursor
from studio.protocol.ids import HEX32_PATTERN, PUBLIC_SPACE, RECORD_ID_PATTERN, SHA256_PATTERN, is_sha256
from studio.protocol.shapes import RecordKind
from studio.server import claims, failpoints, quotas, schema
from studio.server.access import read_space, write_space
from studio.server.auth import CallerDep, MaybeCaller
from studio.server.changes import apply_push, dumps, high_water, push_batches
from studio.server.context import Ctx
from studio.server.errors import ProblemError, not_found
from studio.server.feed import check_cursor, cursor_for, read_feed
from studio.server.models import FeedOut, HeldIn, HeldOut, PushIn, PushOut, RecordOut, SearchOut, SpaceId
from studio.server.routes.docs import problems as responses

router = APIRouter(tags=["records"])


@router.post(api.CHANGES, response_model=PushOut, responses=responses(401, 403, 404, 413))
def push(
    space_id: SpaceId,
    body: PushIn,
    caller: CallerDep,
    ctx: Ctx,
) -> PushOut:
    """Apply a push in bounded transactions (see studio.server.changes): access and quota are checked again
    in each (the first checks the quota of the whole push), so a push over quota applies nothing and a member
    removed half-way stops the rest of the push. In the public space a clip named by its hash becomes the
    caller's claim (studio.server.claims)."""
    results: list[dict[str, Any]] = []
    for batch in push_batches(body.changes, max_ops=ctx.settings.push_tx_ops):
        if results:
            failpoints.hit("between-push-batches")
        with ctx.db.write() as conn:
            space, _role = write_space(conn, space_id, caller)
            changes = claims.as_claims(conn, space, caller.account_id, batch)
            checked = changes if results else claims.as_claims(conn, space, caller.account_id, body.changes)
            quotas.check_push(ctx.settings, conn, caller.account_id, space.id, checked)
            results.extend(apply_push(ctx.db, conn, space, caller, changes, ctx.clock.now()))
    failpoints.hit("after-push-commit")
    return PushOut.model_validate({"results": results, "epoch": ctx.epoch})


@router.post(api.CHANGES_HELD, response_model=HeldOut, responses=responses(401, 404))
def held_changes(space_id: SpaceId, body: HeldIn, caller: CallerDep, ctx: Ctx) -> HeldOut:
    """The caller's change ids (of those asked) that the space has applied: after a restore from an older
    backup, a client sends again the confirmed changes missing here. Only the caller's own ids are looked
    up, so this tells nobody anything about another account's changes."""
    ac = schema.applied_changes
    with ctx.db.read() as conn:
        read_space(conn, space_id, caller)
        found = set(
            conn.execute(
                select(ac.c.change_id).where(
                    ac.c.space_id == space_id,
                    ac.c.account_id == caller.account_id,
                    ac.c.change_id.in_(sorted(set(body.change_ids))),
                )
            ).scalars()
        )
    return HeldOut(held=[c for c in dict.fromkeys(body.change_ids) if c in found])


class ClientMarkOut(BaseModel):
    client_id: str
    high_water: int
    epoch: str


@router.get(api.CLIENT_MARK, response_model=ClientMarkOut, responses=responses(401, 404))
def client_mark(
    space_id: SpaceId,
    caller: CallerDep,
    ctx: Ctx,
    client_id: Annotated[str, Path(pattern=HEX32_PATTERN, min_length=32, max_length=32)],
) -> ClientMarkOut:
    """The highest op counter the space's log holds for one op client: a client whose acknowledged edits
    go past it knows the server lost them (restored from a backup) and sends them again."""
    with ctx.db.read() as conn:
        read_space(conn, space_id, caller)
        mark = high_water(conn, space_id, {client_id})
    return ClientMarkOut(client_id=client_id, high_water=mark, epoch=ctx.epoch)


@router.get(api.FEED, response_model=FeedOut, responses=responses(401, 404, 410))
def feed(
    space_id: SpaceId,
    caller: MaybeCaller,
    ctx: Ctx,
    cursor: Annotated[str | None, Query(max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=api.FEED_MAX_LIMIT)] = api.FEED_DEFAULT_LIMIT,
) -> Response:
    position = None
    if cursor:
        try:
            position = decode_cursor(cursor)
        except ValueError as exc:
            raise ProblemError(422, f"cursor: {exc}") from None
    with ctx.db.read() as conn:
        space, _role = read_space(conn, space_id, caller)
        after = 0
        if position is not None:
            reason = check_cursor(conn, space, position, ctx.epoch)
            if reason:
                raise ProblemError(
                    410,
                    f"{reason}; pull the whole feed again and push what the server lacks",
                    problems.CURSOR_RESET,
                    epoch=ctx.epoch,
                )
            after = position.seq
        limit = _feed_page_limit(conn, space, after, limit, ctx.settings.page_bytes)
        entries, last, more = read_feed(conn, space, after, limit)
        next_cursor = (
            position
            if position is not None and last == position.seq
            else cursor_for(conn, space.id, last, ctx.epoch)
        )
    text = (
        f'{{"entries":[{",".join(entries)}],"cursor":{json.dumps(next_cursor.encode())},'
        f'"more":{"true" if more else "false"},"epoch":{json.dumps(ctx.epoch)}}}'
    )
    return Response(text, media_type="application/json")


@router.get(api.RECORD, response_model=RecordOut, responses=responses(401, 404))
def get_record(
    space_id: SpaceId,
    kind: RecordKind,
    caller: MaybeCaller,
    ctx: Ctx,
    record_id: str = Path(pattern=RECORD_ID_PATTERN, max_length=128),
) -> RecordOut:
    r, a = schema.records, schema.accounts
    with ctx.db.read() as conn:
        read_space(conn, space_id, caller)
        row = conn.execute(
            select(r, a.c.username)
            .join(a, a.c.id == r.c.owner_id)
            .where(r.c.space_id == space_id, r.c.kind == kind, r.c.id == record_id)
        ).first()
        if row is None and space_id == PUBLIC_SPACE and kind == "clip" and is_sha256(record_id):
            row, found = claims.chosen_claim(conn, record_id, caller.account_id if caller else None)
            if row is None and found:
                raise ProblemError(
                    409,
                    f"{len(found)} publishers claim media {record_id[:12]}: name the claim by its id",
                    problems.AMBIGUOUS_CLAIM,
                    claims=[_record_out(c).model_dump() for c in found],
                )
    if row is None:
        raise not_found(f"{kind} {record_id}")
    return _record_out(row)


@router.get(api.SEARCH, response_model=SearchOut, responses=responses(401))
def search(
    _caller: MaybeCaller,
    ctx: Ctx,
    q: Annotated[str | None, Query(max_length=200)] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    contributor: Annotated[str | None, Query(max_length=200)] = None,
    licence: Annotated[str | None, Query(max_length=64)] = None,
    media: Annotated[str | None, Query(pattern=SHA256_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=api.SEARCH_MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> SearchOut:
    r, a = schema.records, schema.accounts
    query = (
        select(r, a.c.username)
        .join(a, a.c.id == r.c.owner_id)
        .where(r.c.space_id == PUBLIC_SPACE, r.c.kind == "clip", r.c.deleted.is_(False))
    )
    for word in (q or "").lower().split():
        query = query.where(r.c.search_text.like(f"%{_escape(word)}%", escape="\\"))
    if tag:
        query = query.where(r.c.tags_text.like(f"%|{_escape(tag.strip().lower())}|%", escape="\\"))
    if contributor:
        query = query.where(r.c.people_text.like(f"%|{_escape(contributor.strip().lower())}|%", escape="\\"))
    if kind:
        query = query.where(r.c.media_kind == kind.lower())
    if licence:
        query = query.where(r.c.licence == licence)
    if media:
        query = query.where(r.c.media == media)
    if cursor:
        query = query.where(r.c.rev < _search_position(cursor))
    with ctx.db.read() as conn:
        sizes = conn.execute(
            query.with_only_columns(r.c.rev, func.length(r.c.doc) + func.length(r.c.conflicts))
            .order_by(r.c.rev.desc())
            .limit(limit)
        ).all()
        if _fitting(sizes, ctx.settings.page_bytes) < len(sizes):
            limit = _fitting(sizes, ctx.settings.page_bytes)
        rows = conn.execute(query.order_by(r.c.rev.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    following = _search_cursor(page[-1].rev) if len(rows) > limit else None
    return SearchOut(results=[_record_out(row) for row in page], next=following)


def _feed_page_limit(conn: Connection, space: Any, after: int, limit: int, page_bytes: int) -> int:
    """How many of the next `limit` feed entries fit in about `page_bytes` (at least one, so the cursor
    always moves on): their sizes are read first, so a page of huge records is never loaded whole."""
    c = schema.changes
    sizes = conn.execute(
        select(c.c.seq, func.length(c.c.body))
        .where(c.c.space_id == space.id, c.c.seq > after, c.c.seq <= space.seq, c.c.superseded.is_(False))
        .order_by(c.c.seq)
        .limit(limit)
    ).all()
    fitting = _fitting(sizes, page_bytes)
    return limit if fitting >= len(sizes) else fitting


def _fitting(sizes: Any, page_bytes: int) -> int:
    """The number of leading rows whose sizes (second column) add up to at most `page_bytes`, at least 1."""
    total = 0
    for count, row in enumerate(sizes):
        total += int(row[1] or 0)
        if total > page_bytes:
            return max(1, count)
    return max(1, len(sizes))


def _record_out(row) -> RecordOut:  # type: ignore[no-untyped-def]
    return RecordOut.model_validate(
        {
            "kind": row.kind,
            "id": row.id,
            "rev": row.rev,
            "doc": json.loads(row.doc),
            "deleted": row.deleted,
            "conflicts": json.loads(row.conflicts),
            "owner": row.username,
        }
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_cursor(rev: int) -> str:
    return base64.urlsafe_b64encode(dumps({"r": rev}).encode()).decode().rstrip("=")


def _search_position(text: str) -> int:
    try:
        doc = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        rev = doc["r"]
        if isinstance(rev, int) and not isinstance(rev, bool) and 0 <= rev < 2**62:
            return rev
    except (ValueError, TypeError, KeyError):
        pass
    raise ProblemError(422, "search cursor is not one this server produced")
