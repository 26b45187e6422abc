"""Open calls: a space owner asks for clips (a brief, a due date, optionally a length and a licence);
members answer with clips they published; the owner accepts some.

Rules are checked here, with a message naming what was wrong: an answer after the due date, with another
licence than the one wanted, longer than the length wanted, or with a clip the caller did not publish is
refused. In the public space every account may post and answer.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time
from fractions import Fraction
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, func, insert, select, update

from studio.protocol import ledger_api as paths
from studio.protocol.ids import PUBLIC_SPACE, RECORD_ID_PATTERN, is_sha256
from studio.server import claims, ledger, schema
from studio.server.access import read_space, readable_space_filter
from studio.server.auth import Caller, CallerDep, MaybeCaller, iso
from studio.server.context import Ctx
from studio.server.errors import ProblemError, not_found
from studio.server.ledger_schema import call_answers, calls
from studio.server.models import SpaceId
from studio.server.routes.docs import problems as responses

router = APIRouter(tags=["calls"])

_LICENCE = r"^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$"


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    space: SpaceId
    brief: Annotated[str, Field(min_length=1, max_length=paths.MAX_BRIEF)]
    due: Annotated[str, Field(min_length=1, max_length=40)]
    length_s: Annotated[float | None, Field(gt=0, le=86400)] = None
    licence: Annotated[str | None, Field(pattern=_LICENCE)] = None


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    clip: Annotated[str, Field(pattern=RECORD_ID_PATTERN, max_length=128)]


def parse_due(text: str) -> float:
    """A date (the call closes at the end of that day, UTC) or an ISO 8601 time with its offset."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            return datetime.combine(day, time(23, 59, 59), UTC).timestamp()
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ProblemError(422, f"due {text!r} is not a date (2026-12-31) or an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ProblemError(422, f"due {text!r} has no time zone: add Z or an offset such as +01:00")
    return moment.timestamp()


def _check_id(value: str) -> None:
    if not re.fullmatch(r"[0-9a-f]{32}", value):
        raise ProblemError(422, f"call id {value!r} is not 32 lowercase hex digits")


@router.post(paths.CALLS, status_code=201, responses=responses(401, 403, 404))
def new_call(body: CallIn, caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    due = parse_due(body.due)
    at = ctx.clock.now()
    if due <= at:
        raise ProblemError(422, f"due {body.due} has already passed")
    with ctx.db.write() as conn:
        space, role = read_space(conn, body.space, caller)
        if space.kind == "private" and role != "owner":
            raise ProblemError(
                403, f"only an owner of space {space.id} may post a call there (your role: {role})"
            )
        ctx.db.lock_space(conn, space.id)
        call_id = ledger.new_id()
        conn.execute(
            insert(calls).values(
                id=call_id,
                space_id=space.id,
                owner_id=caller.account_id,
                brief=body.brief,
                due=due,
                length_s=body.length_s,
                licence=body.licence,
                created_at=at,
            )
        )
        doc = _call_doc(conn, call_id, caller, ctx.clock.now())
        ledger.append(
            ctx.db, conn, space.id, caller, "call", {k: v for k, v in doc.items() if k != "answers"}
        )
    return doc


@router.get(paths.CALLS, responses=responses(401, 404))
def list_calls(
    caller: MaybeCaller,
    ctx: Ctx,
    space: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """Calls in the spaces the caller can read (or in one of them), the ones due last first."""
    with ctx.db.read() as conn:
        query = select(calls.c.id).where(readable_space_filter(calls.c.space_id, caller))
        if space:
            read_space(conn, space, caller)
            query = query.where(calls.c.space_id == space)
        ids = list(conn.execute(query.order_by(calls.c.due.desc()).limit(200)).scalars())
        return {"calls": [_call_doc(conn, x, caller, ctx.clock.now()) for x in ids]}


def _visible_call(conn: Connection, call_id: str, caller: Caller | None) -> Any:
    _check_id(call_id)
    row = conn.execute(select(calls).where(calls.c.id == call_id)).first()
    if row is None:
        raise not_found(f"call {call_id}")
    try:
        read_space(conn, row.space_id, caller)
    except ProblemError:
        raise not_found(f"call {call_id}") from None
    return row


@router.get(paths.CALL, responses=responses(401, 404))
def show_call(call_id: str, caller: MaybeCaller, ctx: Ctx) -> dict[str, Any]:
    """The call; its owner sees every answer, others only their own."""
    with ctx.db.read() as conn:
        _visible_call(conn, call_id, caller)
        return _call_doc(conn, call_id, caller, ctx.clock.now())


@router.post(paths.CALL_ANSWERS, status_code=201, responses=responses(401, 403, 404, 409))
def answer(call_id: str, body: AnswerIn, caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    with ctx.db.write() as conn:
        row = _visible_call(conn, call_id, caller)
        ctx.db.lock_space(conn, row.space_id)
        at = ctx.clock.now()
        if at > row.due:
            raise ProblemError(409, f"call {call_id} closed on {iso(row.due)}: it takes no more answers")
        clip_space, doc = _own_clip(conn, caller, body.clip, row.space_id)
        licence = doc.get("licence") if isinstance(doc.get("licence"), str) else ""
        if row.licence and licence != row.licence:
            raise ProblemError(
                422,
                f"clip {body.clip[:12]} is licensed {licence or 'under no licence'}; "
                f"the call wants {row.licence}",
            )
        if row.length_s is not None:
            length = _duration(doc)
            if length is None:
                raise ProblemError(
                    422, f"clip {body.clip[:12]} has no duration; the call wants {row.length_s:g} s at most"
                )
            if length > Fraction(str(row.length_s)):
                raise ProblemError(
                    422,
                    f"clip {body.clip[:12]} lasts {float(length):.3g} s; "
                    f"the call wants at most {row.length_s:g} s",
                )
        a = call_answers
        if conn.execute(select(a.c.clip).where(a.c.call_id == call_id, a.c.clip == body.clip)).first():
            raise ProblemError(409, f"clip {body.clip[:12]} already answers call {call_id}")
        conn.execute(
            insert(a).values(
                call_id=call_id,
                clip=body.clip,
                clip_space=clip_space,
                account_id=caller.account_id,
                at=at,
                accepted=False,
            )
        )
        ledger.append(
            ctx.db, conn, row.space_id, caller, "answer", {"call": call_id, "clip": body.clip, "at": iso(at)}
        )
        return _call_doc(conn, call_id, caller, ctx.clock.now())


@router.post(paths.CALL_ACCEPT, responses=responses(401, 403, 404, 409))
def accept(call_id: str, body: AnswerIn, caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    """The call's owner accepts an answer; the answer names the space its clip is read from. In a private
    space the poster must still be one of its owners: one who was made a viewer no longer decides."""
    a = call_answers
    with ctx.db.write() as conn:
        row = _visible_call(conn, call_id, caller)
        if row.owner_id != caller.account_id:
            raise ProblemError(403, f"only the account that posted call {call_id} may accept answers")
        space, role = read_space(conn, row.space_id, caller)
        if space.kind == "private" and role != "owner":
            raise ProblemError(
                403,
                f"only an owner of space {space.id} may accept answers to its calls (your role now: {role})",
            )
        found = conn.execute(select(a).where(a.c.call_id == call_id, a.c.clip == body.clip)).first()
        if found is None:
            raise not_found(f"answer {body.clip[:12]} to call {call_id}")
        ctx.db.lock_space(conn, row.space_id)
        if not found.accepted:
            conn.execute(update(a).where(a.c.call_id == call_id, a.c.clip == body.clip).values(accepted=True))
            ledger.append(ctx.db, conn, row.space_id, caller, "accept", {"call": call_id, "clip": body.clip})
        return {"call": call_id, "clip": body.clip, "clip_space": found.clip_space, "accepted": True}


def _own_clip(conn: Connection, caller: Caller, clip: str, call_space: str) -> tuple[str, dict[str, Any]]:
    """The caller's published clip, from the call's space or the public space."""
    r = schema.records
    for sid in dict.fromkeys([call_space, PUBLIC_SPACE]):
        record = clip
        if sid == PUBLIC_SPACE and is_sha256(clip):
            record = claims.own_claim(conn, caller.account_id, clip) or clip
        row = conn.execute(
            select(r.c.owner_id, r.c.doc).where(
                r.c.space_id == sid, r.c.kind == "clip", r.c.id == record, r.c.deleted.is_(False)
            )
        ).first()
        if row is None:
            continue
        if row.owner_id != caller.account_id:
            raise ProblemError(
                403, f"clip {clip[:12]} was published by someone else: answer with your own clips"
            )
        return sid, json.loads(row.doc)
    raise ProblemError(
        404, f"clip {clip[:12]} is not published in this call's space or the public space: publish it first"
    )


def _duration(doc: dict[str, Any]) -> Fraction | None:
    value = doc.get("duration")
    if value is None or isinstance(value, bool):
        return None
    try:
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None


def _call_doc(conn: Connection, call_id: str, caller: Caller | None, now: float) -> dict[str, Any]:
    row = conn.execute(select(calls).where(calls.c.id == call_id)).one()
    a, acc = call_answers, schema.accounts
    query = select(a, acc.c.username).join(acc, acc.c.id == a.c.account_id).where(a.c.call_id == call_id)
    is_owner = caller is not None and caller.account_id == row.owner_id
    if not is_owner:
        query = query.where(a.c.account_id == (caller.account_id if caller else ""))
    answers = conn.execute(query.order_by(a.c.at)).all()
    count = conn.execute(select(func.count()).select_from(a).where(a.c.call_id == call_id)).scalar_one()
    owner = conn.execute(select(acc.c.username).where(acc.c.id == row.owner_id)).scalar_one()
    return {
        "id": row.id,
        "space": row.space_id,
        "owner": owner,
        "brief": row.brief,
        "due": iso(row.due),
        "length_s": row.length_s,
        "licence": row.licence,
        "status": "open" if now <= row.due else "closed",
        "answer_count": int(count),
        "answers": [
            {
                "clip": x.clip,
                "space": x.clip_space,
                "by": x.username,
                "at": iso(x.at),
                "accepted": bool(x.accepted),
            }
            for x in answers
        ],
    }
