"""Revenue of a piece, the proposals that split it by the piece's credits, their comments and finalizing."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, func, insert, select, update

from studio.protocol import ledger_api as paths
from studio.protocol.ids import RECORD_ID_PATTERN
from studio.server import ledger, money, payees
from studio.server.access import read_space
from studio.server.auth import Caller, CallerDep, MaybeCaller, iso
from studio.server.context import Ctx
from studio.server.errors import ProblemError, not_found
from studio.server.ledger_schema import payout_comments, payout_lines, payout_proposals, payout_revenue
from studio.server.models import SpaceId
from studio.server.pieces import Piece, find_piece, may_manage, require_manager
from studio.server.routes.docs import problems as responses
from studio.server.routes.payouts.common import PieceId, check_id, money_of

router = APIRouter(tags=["payouts"])


class RevenueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str | None, Field(pattern=r"^[0-9a-f]{32}$")] = None
    """Chosen by the client so that sending the same revenue again (after a lost answer) records it once."""
    piece: PieceId
    space: SpaceId | None = None
    amount: Annotated[str, Field(max_length=40)]
    currency: Annotated[str, Field(pattern=money.CURRENCY_PATTERN)]
    note: Annotated[str, Field(max_length=1000)] = ""


class ProposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    piece: PieceId
    space: SpaceId | None = None
    review_days: Annotated[int, Field(ge=0, le=paths.MAX_REVIEW_DAYS)] = paths.DEFAULT_REVIEW_DAYS
    minimum: Annotated[str, Field(max_length=40)] = "0"


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, Field(min_length=1, max_length=paths.MAX_COMMENT)]


@router.post(paths.REVENUE, status_code=201, responses=responses(401, 403, 404, 409))
def record_revenue(body: RevenueIn, caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    """Record revenue earned by a published piece (its publisher, or a private space's owners)."""
    amount = money_of(body.amount, body.currency, "amount")
    if amount <= 0:
        raise ProblemError(422, f"amount {body.amount} must be more than zero")
    rv = payout_revenue
    with ctx.db.write() as conn:
        piece = find_piece(conn, caller, body.piece, body.space)
        require_manager(piece, caller, "record its revenue")
        ctx.db.lock_space(conn, piece.space.id)
        if body.id is not None:
            seen = conn.execute(select(rv).where(rv.c.id == body.id)).first()
            if seen is not None:
                if (seen.piece, seen.currency, seen.amount_minor) != (piece.id, body.currency, amount):
                    raise ProblemError(409, f"revenue {body.id} was recorded with other values")
                return _revenue_doc(conn, seen, piece)
        known = conn.execute(
            select(rv.c.currency).where(rv.c.space_id == piece.space.id, rv.c.piece == piece.id).limit(1)
        ).scalar_one_or_none()
        if known is not None and known != body.currency:
            raise ProblemError(
                409,
                f"piece {piece.id[:12]} earns in {known}: record its revenue in {known}, not {body.currency}",
            )
        revenue_id, at = body.id or ledger.new_id(), ctx.clock.now()
        conn.execute(
            insert(rv).values(
                id=revenue_id,
                space_id=piece.space.id,
                piece=piece.id,
                currency=body.currency,
                amount_minor=amount,
                note=body.note,
                recorded_by=caller.account_id,
                at=at,
                proposal_id=None,
            )
        )
        row = conn.execute(select(rv).where(rv.c.id == revenue_id)).one()
        doc = _revenue_doc(conn, row, piece)
        ledger.append(ctx.db, conn, piece.space.id, caller, "revenue", doc)
    return doc


def _revenue_doc(conn: Connection, row: Any, piece: Piece) -> dict[str, Any]:
    cur = row.currency
    return {
        "id": row.id,
        "piece": row.piece,
        "space": row.space_id,
        "currency": cur,
        "amount": money.to_text(int(row.amount_minor), cur),
        "note": row.note,
        "at": iso(row.at),
        "unproposed": money.to_text(_unproposed(conn, piece), cur),
    }


def _unproposed(conn: Connection, piece: Piece) -> int:
    rv = payout_revenue
    total = conn.execute(
        select(func.coalesce(func.sum(rv.c.amount_minor), 0)).where(
            rv.c.space_id == piece.space.id, rv.c.piece == piece.id, rv.c.proposal_id.is_(None)
        )
    ).scalar_one()
    return int(total)


@router.post(paths.PROPOSALS, status_code=201, responses=responses(401, 403, 404, 409))
def propose(body: ProposeIn, caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    """Split the revenue recorded since the last proposal over the piece's credits."""
    with ctx.db.write() as conn:
        piece = find_piece(conn, caller, body.piece, body.space)
        require_manager(piece, caller, "propose its payouts")
        ctx.db.lock_space(conn, piece.space.id)
        p, rv = payout_proposals, payout_revenue
        open_one = conn.execute(
            select(p.c.id).where(p.c.space_id == piece.space.id, p.c.piece == piece.id, p.c.status == "open")
        ).scalar_one_or_none()
        if open_one is not None:
            raise ProblemError(409, f"proposal {open_one} for this piece is still open: finalize it first")
        rows = conn.execute(
            select(rv.c.id, rv.c.amount_minor, rv.c.currency).where(
                rv.c.space_id == piece.space.id, rv.c.piece == piece.id, rv.c.proposal_id.is_(None)
            )
        ).all()
        if not rows:
            raise ProblemError(409, f"no revenue recorded for piece {piece.id[:12]} since its last proposal")
        currency = rows[0].currency
        minimum = money_of(body.minimum, currency, "minimum")
        revenue = sum(int(r.amount_minor) for r in rows)
        people = payees.payees_of(conn, piece)
        if not people:
            raise ProblemError(409, f"piece {piece.id[:12]} credits nobody with a share: nothing to split")
        amounts = money.split(revenue, [payee.share_bp for payee in people])
        earlier = payees.final_lines(conn, piece.space.id, piece.id, currency)
        proposal_id, at = ledger.new_id(), ctx.clock.now()
        lines = []
        for n, (payee, amount) in enumerate(zip(people, amounts, strict=True)):
            balance = payees.owed(earlier, payee.account, payee.keys)
            due = balance + amount
            paid = due if payee.account is not None and due > 0 and due >= minimum else 0
            credits = [{"contributor": key, "name": name} for key, name in payee.credits]
            lines.append(
                {
                    "proposal_id": proposal_id,
                    "n": n,
                    "name": payee.name,
                    "contributor": payee.keys[0],
                    "account_id": payee.account,
                    "share_bp": payee.share_bp,
                    "amount_minor": amount,
                    "balance_minor": balance,
                    "paid_minor": paid,
                    "carried_minor": due - paid,
                    "covers": json.dumps(credits, separators=(",", ":"), ensure_ascii=False),
                }
            )
        conn.execute(
            insert(p).values(
                id=proposal_id,
                space_id=piece.space.id,
                piece=piece.id,
                currency=currency,
                revenue_minor=revenue,
                minimum_minor=minimum,
                created_by=caller.account_id,
                created_at=at,
                review_ends=at + body.review_days * 86400,
                status="open",
                finalized_at=None,
                finalized_by=None,
            )
        )
        conn.execute(insert(payout_lines), lines)
        conn.execute(update(rv).where(rv.c.id.in_([r.id for r in rows])).values(proposal_id=proposal_id))
        doc = _proposal_doc(conn, proposal_id)
        ledger.append(ctx.db, conn, piece.space.id, caller, "proposal", doc)
    return doc


def _proposal_doc(conn: Connection, proposal_id: str) -> dict[str, Any]:
    p, ln, cm = payout_proposals, payout_lines, payout_comments
    row = conn.execute(select(p).where(p.c.id == proposal_id)).first()
    if row is None:
        raise not_found(f"proposal {proposal_id}")
    lines = conn.execute(select(ln).where(ln.c.proposal_id == proposal_id).order_by(ln.c.n)).all()
    comments = conn.execute(select(cm).where(cm.c.proposal_id == proposal_id).order_by(cm.c.id)).all()
    names = payees.usernames(
        conn,
        {x.account_id for x in lines if x.account_id}
        | {x.author_id for x in comments}
        | {row.created_by}
        | ({row.finalized_by} if row.finalized_by else set()),
    )
    cur = row.currency

    def amount(value: int) -> str:
        return money.to_text(int(value), cur)

    return {
        "id": row.id,
        "piece": row.piece,
        "space": row.space_id,
        "currency": cur,
        "revenue": amount(row.revenue_minor),
        "minimum": amount(row.minimum_minor),
        "status": row.status,
        "created_by": names.get(row.created_by),
        "created_at": iso(row.created_at),
        "review_ends": iso(row.review_ends),
        "finalized_at": iso(row.finalized_at) if row.finalized_at else None,
        "lines": [
            {
                "name": x.name,
                "names": list(dict.fromkeys(c["name"] for c in payees.covers(x))),
                "contributor": x.contributor,
                "contributors": [c["contributor"] for c in payees.covers(x)],
                "account": names.get(x.account_id) if x.account_id else None,
                "share_bp": x.share_bp,
                "amount": amount(x.amount_minor),
                "balance": amount(x.balance_minor),
                "paid": amount(x.paid_minor),
                "carried": amount(x.carried_minor),
            }
            for x in lines
        ],
        "comments": [{"author": names.get(c.author_id), "text": c.text, "at": iso(c.at)} for c in comments],
    }


def _visible_proposal(conn: Connection, caller: Caller | None, proposal_id: str) -> Any:
    """The proposal row if the caller can read its space or is credited in it; 404 otherwise."""
    p = payout_proposals
    row = conn.execute(select(p).where(p.c.id == proposal_id)).first()
    if row is None:
        raise not_found(f"proposal {proposal_id}")
    try:
        read_space(conn, row.space_id, caller)
    except ProblemError:
        credited = (
            caller is not None
            and conn.execute(
                select(payout_lines.c.n).where(
                    payout_lines.c.proposal_id == proposal_id, payout_lines.c.account_id == caller.account_id
                )
            ).first()
        )
        if not credited:
            raise not_found(f"proposal {proposal_id}") from None
    return row


@router.get(paths.PROPOSAL, responses=responses(401, 404))
def show_proposal(proposal_id: str, caller: MaybeCaller, ctx: Ctx) -> dict[str, Any]:
    check_id(proposal_id, "proposal")
    with ctx.db.read() as conn:
        _visible_proposal(conn, caller, proposal_id)
        return _proposal_doc(conn, proposal_id)


@router.get(paths.PROPOSALS, responses=responses(401, 404))
def list_proposals(
    caller: MaybeCaller,
    ctx: Ctx,
    piece: Annotated[str, Query(pattern=RECORD_ID_PATTERN, max_length=128)],
    space: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """The proposals of one piece, newest first, with its revenue not yet proposed."""
    p = payout_proposals
    with ctx.db.read() as conn:
        found = find_piece(conn, caller, piece, space)
        ids = conn.execute(
            select(p.c.id)
            .where(p.c.space_id == found.space.id, p.c.piece == found.id)
            .order_by(p.c.created_at.desc())
        ).scalars()
        rv = payout_revenue
        currency = conn.execute(
            select(rv.c.currency).where(rv.c.space_id == found.space.id, rv.c.piece == found.id).limit(1)
        ).scalar_one_or_none()
        pending = _unproposed(conn, found)
        return {
            "piece": found.id,
            "space": found.space.id,
            "currency": currency,
            "unproposed": money.to_text(pending, currency) if currency else None,
            "may_manage": caller is not None and may_manage(found, caller),
            "proposals": [_proposal_doc(conn, x) for x in list(ids)],
        }


@router.post(paths.PROPOSAL_COMMENTS, status_code=201, responses=responses(401, 404, 409))
def comment(proposal_id: str, body: CommentIn, caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    """Comment on an open proposal: credited accounts and those who can read the piece's space."""
    check_id(proposal_id, "proposal")
    with ctx.db.write() as conn:
        row = _visible_proposal(conn, caller, proposal_id)
        ctx.db.lock_space(conn, row.space_id)
        status = conn.execute(
            select(payout_proposals.c.status).where(payout_proposals.c.id == proposal_id)
        ).scalar_one()
        if status != "open":
            raise ProblemError(409, f"proposal {proposal_id} is final: it takes no more comments")
        at = ctx.clock.now()
        conn.execute(
            insert(payout_comments).values(
                proposal_id=proposal_id, author_id=caller.account_id, text=body.text, at=at
            )
        )
        ledger.append(
            ctx.db,
            conn,
            row.space_id,
            caller,
            "comment",
            {"proposal": proposal_id, "piece": row.piece, "text": body.text, "at": iso(at)},
        )
        return _proposal_doc(conn, proposal_id)


@router.post(paths.PROPOSAL_FINALIZE, responses=responses(401, 403, 404, 409))
def finalize(proposal_id: str, caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    """Make a proposal final once its review window has ended; final proposals never change."""
    check_id(proposal_id, "proposal")
    p = payout_proposals
    with ctx.db.write() as conn:
        row = _visible_proposal(conn, caller, proposal_id)
        piece = find_piece(conn, caller, row.piece, row.space_id)
        require_manager(piece, caller, "finalize its payouts")
        ctx.db.lock_space(conn, row.space_id)
        at = ctx.clock.now()
        if at < row.review_ends:
            raise ProblemError(
                409,
                f"proposal {proposal_id} is open for review until {iso(row.review_ends)}: "
                "finalize it after that",
                review_ends=iso(row.review_ends),
            )
        done = conn.execute(
            update(p)
            .where(p.c.id == proposal_id, p.c.status == "open")
            .values(status="final", finalized_at=at, finalized_by=caller.account_id)
        )
        if done.rowcount != 1:
            raise ProblemError(409, f"proposal {proposal_id} is already final")
        doc = _proposal_doc(conn, proposal_id)
        ledger.append(ctx.db, conn, row.space_id, caller, "final", doc)
    return doc
