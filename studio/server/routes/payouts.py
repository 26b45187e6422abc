"""Payouts: revenue recorded for a published piece, proposals split by its credits, comments during a review
window, finalizing, claims of unlinked names, and each account's statement.

Money is integers of the currency's minor unit; the split is largest remainder, so lines sum to the revenue
exactly. A line below the proposal's minimum is carried to the contributor's balance for that piece and paid
by a later proposal once the balance reaches it; a name no account has claimed is held the same way.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, and_, exists, func, insert, or_, select, update

from studio.core.identity import account_of
from studio.protocol import ledger_api as paths
from studio.protocol.ids import PUBLIC_SPACE, RECORD_ID_PATTERN
from studio.server import ledger, money, schema
from studio.server.access import read_space
from studio.server.auth import Caller, CallerDep, MaybeCaller, iso
from studio.server.context import Ctx
from studio.server.errors import ProblemError, not_found
from studio.server.ledger_schema import (
    payout_claims,
    payout_comments,
    payout_lines,
    payout_links,
    payout_proposals,
    payout_revenue,
)
from studio.server.models import SpaceId
from studio.server.pieces import Piece, find_piece, may_manage, require_manager
from studio.server.routes.docs import problems as responses

router = APIRouter(tags=["payouts"])

PieceId = Annotated[str, Field(pattern=RECORD_ID_PATTERN, max_length=128)]


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


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    piece: PieceId
    space: SpaceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]


def _money(text: str, currency: str, what: str) -> int:
    try:
        return money.to_minor(text, currency, what=what)
    except ValueError as exc:
        raise ProblemError(422, str(exc)) from None


# --- revenue ----------------------------------------------------------------------------------------------


@router.post(paths.REVENUE, status_code=201, responses=responses(401, 403, 404, 409))
def record_revenue(body: RevenueIn, caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    """Record revenue earned by a published piece (its publisher, or a private space's owners)."""
    amount = _money(body.amount, body.currency, "amount")
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
        revenue_id, at = body.id or ledger.new_id(), ledger.now()
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


# --- proposals --------------------------------------------------------------------------------------------


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
        minimum = _money(body.minimum, currency, "minimum")
        revenue = sum(int(r.amount_minor) for r in rows)
        people = contributors_of(piece.doc)
        if not people:
            raise ProblemError(409, f"piece {piece.id[:12]} credits nobody with a share: nothing to split")
        amounts = money.split(revenue, [bp for _name, _key, bp in people])
        publishers = _publishers(conn, piece)
        proposal_id, at = ledger.new_id(), ledger.now()
        lines = []
        for n, ((name, key, bp), amount) in enumerate(zip(people, amounts, strict=True)):
            account = _linked_account(conn, piece, key, name, publishers)
            balance = _balance(conn, piece, currency, key)
            due = balance + amount
            paid = due if account is not None and due > 0 and due >= minimum else 0
            lines.append(
                {
                    "proposal_id": proposal_id,
                    "n": n,
                    "name": name,
                    "contributor": key,
                    "account_id": account,
                    "share_bp": bp,
                    "amount_minor": amount,
                    "balance_minor": balance,
                    "paid_minor": paid,
                    "carried_minor": due - paid,
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


def contributors_of(doc: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(name, contributor key, share_bp) of a piece: its embedded credits block when it has one whose shares
    sum to 10000, else its credited people in equal shares."""
    block = doc.get("embedded_credits")
    if isinstance(block, dict) and isinstance(block.get("contributors"), list):
        found = []
        for c in block["contributors"]:
            if not isinstance(c, dict):
                continue
            name, bp = c.get("name"), c.get("share_bp")
            if not isinstance(name, str) or not name.strip() or not isinstance(bp, int) or bp < 0:
                continue
            found.append((name.strip(), contributor_key(c.get("id"), name), bp))
        if found and sum(bp for *_x, bp in found) == 10000:
            return found
    names: dict[str, tuple[str, str]] = {}
    credits = doc.get("credits")
    for c in credits if isinstance(credits, list) else []:
        if isinstance(c, dict) and isinstance(c.get("name"), str) and c["name"].strip():
            key = contributor_key(c.get("contributor"), c["name"])
            names.setdefault(key, (c["name"].strip(), key))
    if not names:
        return []
    shares = money.split(10000, [1] * len(names))
    return [(name, key, bp) for (name, key), bp in zip(names.values(), shares, strict=True)]


def contributor_key(given: object, name: str) -> str:
    """The contributor's id from the credits, or one derived from the name when there is none."""
    if isinstance(given, str) and given.strip():
        return given.strip()[:160]
    return ("name:" + name.strip().lstrip("@").lower())[:160]


def _publishers(conn: Connection, piece: Piece) -> dict[str, str]:
    """Usernames (lower case) -> account ids of the accounts that published the piece or one of its sources
    while crediting themselves by their user name: those credits are theirs."""
    ids = {piece.id}
    lineage = piece.doc.get("lineage")
    ids.update(x for x in (lineage if isinstance(lineage, list) else []) if isinstance(x, str))
    block = piece.doc.get("embedded_credits")
    sources = block.get("sources") if isinstance(block, dict) else None
    for s in sources if isinstance(sources, list) else []:
        if isinstance(s, dict):
            ids.update(x for x in [s.get("clip"), *(s.get("via") or [])] if isinstance(x, str))
    r, a = schema.records, schema.accounts
    rows = conn.execute(
        select(r.c.doc, a.c.id, a.c.username)
        .join(a, a.c.id == r.c.owner_id)
        .where(
            r.c.kind == "clip",
            # Lineage names media hashes; public records about them are claims keyed apart from the hash.
            or_(r.c.id.in_(sorted(ids)), r.c.media.in_(sorted(ids))),
            r.c.space_id.in_([piece.space.id, PUBLIC_SPACE]),
        )
    ).all()
    found: dict[str, str] = {}
    for row in rows:
        credits = json.loads(row.doc).get("credits")
        for c in credits if isinstance(credits, list) else []:
            name = c.get("name") if isinstance(c, dict) else None
            if isinstance(name, str) and name.strip().lstrip("@").lower() == row.username.lower():
                found[row.username.lower()] = row.id
    return found


def _link_of(conn: Connection, space_id: str, piece: str, key: str) -> str | None:
    """The account a confirmed claim gave this piece's contributor (claims are per piece: confirming one
    speaks for the piece its publisher knows, never for other publishers' pieces naming the same person)."""
    lk = payout_links
    found = conn.execute(
        select(lk.c.account_id).where(lk.c.space_id == space_id, lk.c.piece == piece, lk.c.contributor == key)
    ).scalar_one_or_none()
    return None if found is None else str(found)


def _linked_account(
    conn: Connection, piece: Piece, key: str, name: str, publishers: dict[str, str]
) -> str | None:
    linked = _link_of(conn, piece.space.id, piece.id, key)
    if linked is not None:
        return str(linked)
    a = schema.accounts
    named = account_of(key)
    if named is not None and conn.execute(select(a.c.id).where(a.c.id == named)).first() is not None:
        return named  # credited by the account's own contributor id
    plain = name.strip()
    if plain.startswith("@"):
        found = conn.execute(select(a.c.id).where(a.c.username == plain[1:].lower())).scalar_one_or_none()
        if found is not None:
            return str(found)
    return publishers.get(plain.lower())


def _balance(conn: Connection, piece: Piece, currency: str, key: str) -> int:
    """What the piece still owes the contributor: the carried amount of their latest final line."""
    p, ln = payout_proposals, payout_lines
    carried = conn.execute(
        select(ln.c.carried_minor)
        .join(p, p.c.id == ln.c.proposal_id)
        .where(
            p.c.space_id == piece.space.id,
            p.c.piece == piece.id,
            p.c.currency == currency,
            p.c.status == "final",
            ln.c.contributor == key,
        )
        .order_by(p.c.finalized_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    return int(carried or 0)


def _usernames(conn: Connection, ids: set[str]) -> dict[str, str]:
    a = schema.accounts
    if not ids:
        return {}
    return {row.id: row.username for row in conn.execute(select(a.c.id, a.c.username).where(a.c.id.in_(ids)))}


def _proposal_doc(conn: Connection, proposal_id: str) -> dict[str, Any]:
    p, ln, cm = payout_proposals, payout_lines, payout_comments
    row = conn.execute(select(p).where(p.c.id == proposal_id)).first()
    if row is None:
        raise not_found(f"proposal {proposal_id}")
    lines = conn.execute(select(ln).where(ln.c.proposal_id == proposal_id).order_by(ln.c.n)).all()
    comments = conn.execute(select(cm).where(cm.c.proposal_id == proposal_id).order_by(cm.c.id)).all()
    names = _usernames(
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
                "contributor": x.contributor,
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
    _check_id(proposal_id, "proposal")
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


def _check_id(value: str, what: str) -> None:
    if not re.fullmatch(r"[0-9a-f]{32}", value):
        raise ProblemError(422, f"{what} id {value!r} is not 32 lowercase hex digits")


@router.post(paths.PROPOSAL_COMMENTS, status_code=201, responses=responses(401, 404, 409))
def comment(proposal_id: str, body: CommentIn, caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    """Comment on an open proposal: credited accounts and those who can read the piece's space."""
    _check_id(proposal_id, "proposal")
    with ctx.db.write() as conn:
        row = _visible_proposal(conn, caller, proposal_id)
        ctx.db.lock_space(conn, row.space_id)
        status = conn.execute(
            select(payout_proposals.c.status).where(payout_proposals.c.id == proposal_id)
        ).scalar_one()
        if status != "open":
            raise ProblemError(409, f"proposal {proposal_id} is final: it takes no more comments")
        at = ledger.now()
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
    _check_id(proposal_id, "proposal")
    p = payout_proposals
    with ctx.db.write() as conn:
        row = _visible_proposal(conn, caller, proposal_id)
        piece = find_piece(conn, caller, row.piece, row.space_id)
        require_manager(piece, caller, "finalize its payouts")
        ctx.db.lock_space(conn, row.space_id)
        at = ledger.now()
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


# --- statements -------------------------------------------------------------------------------------------


@router.get(paths.STATEMENT, responses=responses(401))
def statement(
    caller: CallerDep,
    ctx: Ctx,
    currency: Annotated[str | None, Query(pattern=money.CURRENCY_PATTERN)] = None,
) -> dict[str, Any]:
    """The caller's lines across final proposals, what was paid and what is carried; and, for pieces the
    caller manages, the lines held for names no account has claimed yet."""
    p, ln, lk = payout_proposals, payout_lines, payout_links
    mine = or_(
        ln.c.account_id == caller.account_id,
        exists().where(
            lk.c.space_id == p.c.space_id,
            lk.c.piece == p.c.piece,
            lk.c.contributor == ln.c.contributor,
            lk.c.account_id == caller.account_id,
        ),
    )
    query = (
        select(ln, p.c.piece, p.c.space_id, p.c.currency, p.c.finalized_at)
        .join(p, p.c.id == ln.c.proposal_id)
        .where(p.c.status == "final", mine)
        .order_by(p.c.finalized_at, ln.c.n)
    )
    if currency:
        query = query.where(p.c.currency == currency)
    with ctx.db.read() as conn:
        rows = conn.execute(query).all()
        held = conn.execute(
            select(ln, p.c.piece, p.c.space_id, p.c.currency, p.c.finalized_at)
            .join(p, p.c.id == ln.c.proposal_id)
            .where(
                p.c.status == "final",
                or_(
                    p.c.created_by == caller.account_id,
                    p.c.piece.in_(
                        select(schema.records.c.id).where(
                            schema.records.c.kind == "clip",
                            schema.records.c.space_id == p.c.space_id,
                            schema.records.c.owner_id == caller.account_id,
                        )
                    ),
                ),
                ln.c.account_id.is_(None),
                ~exists().where(
                    lk.c.space_id == p.c.space_id,
                    lk.c.piece == p.c.piece,
                    lk.c.contributor == ln.c.contributor,
                ),
            )
            .order_by(p.c.finalized_at, ln.c.n)
        ).all()
    totals: dict[str, dict[str, int]] = {}
    latest: dict[tuple[str, str, str, str], int] = {}
    lines = []
    for row in rows:
        cur = row.currency
        t = totals.setdefault(cur, {"paid": 0, "carried": 0})
        t["paid"] += int(row.paid_minor)
        latest[(row.space_id, row.piece, cur, row.contributor)] = int(row.carried_minor)
        lines.append(
            {
                "proposal": row.proposal_id,
                "piece": row.piece,
                "name": row.name,
                "currency": cur,
                "amount": money.to_text(int(row.amount_minor), cur),
                "paid": money.to_text(int(row.paid_minor), cur),
                "carried": money.to_text(int(row.carried_minor), cur),
                "at": iso(row.finalized_at),
            }
        )
    for (_s, _p, cur, _k), carried in latest.items():
        totals[cur]["carried"] += carried
    single = next(iter(totals)) if len(totals) == 1 else None
    unclaimed_latest: dict[tuple[str, str, str, str], Any] = {}
    for row in held:
        unclaimed_latest[(row.space_id, row.piece, row.currency, row.contributor)] = row
    return {
        "account": caller.username,
        "currency": single,
        "lines": lines,
        "paid_total": money.to_text(totals[single]["paid"], single) if single else None,
        "carried_balance": money.to_text(totals[single]["carried"], single) if single else None,
        "totals": {
            cur: {"paid": money.to_text(t["paid"], cur), "carried": money.to_text(t["carried"], cur)}
            for cur, t in sorted(totals.items())
        },
        "unclaimed": [
            {
                "piece": row.piece,
                "name": row.name,
                "contributor": row.contributor,
                "currency": row.currency,
                "held": money.to_text(int(row.carried_minor), row.currency),
                "proposal": row.proposal_id,
            }
            for row in unclaimed_latest.values()
            if int(row.carried_minor) > 0
        ],
    }


# --- claims -----------------------------------------------------------------------------------------------


@router.post(paths.CLAIMS, status_code=201, responses=responses(401, 404, 409))
def claim(body: ClaimIn, caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    """Ask to be the account behind a name credited in a piece; its publisher confirms."""
    with ctx.db.write() as conn:
        piece = find_piece(conn, caller, body.piece, body.space)
        wanted = body.name.strip().lstrip("@").lower()
        match = [
            (name, key) for name, key, _bp in contributors_of(piece.doc) if name.lstrip("@").lower() == wanted
        ]
        if not match:
            raise ProblemError(404, f"piece {piece.id[:12]} credits nobody named {body.name!r}")
        name, key = match[0]
        if _link_of(conn, piece.space.id, piece.id, key) is not None:
            raise ProblemError(409, f"{name!r} is already linked to an account on this piece")
        ctx.db.lock_space(conn, piece.space.id)
        claim_id, at = ledger.new_id(), ledger.now()
        conn.execute(
            insert(payout_claims).values(
                id=claim_id,
                space_id=piece.space.id,
                piece=piece.id,
                contributor=key,
                name=name,
                account_id=caller.account_id,
                at=at,
                confirmed_by=None,
                confirmed_at=None,
            )
        )
        doc = _claim_doc(conn, claim_id)
        ledger.append(ctx.db, conn, piece.space.id, caller, "claim", doc)
    return doc


@router.get(paths.CLAIMS, responses=responses(401))
def list_claims(caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    """Claims the caller made, and pending claims on pieces the caller manages."""
    c, r = payout_claims, schema.records
    with ctx.db.read() as conn:
        own_pieces = select(r.c.id).where(r.c.kind == "clip", r.c.owner_id == caller.account_id)
        ids = conn.execute(
            select(c.c.id)
            .where(
                or_(
                    c.c.account_id == caller.account_id,
                    and_(c.c.confirmed_by.is_(None), c.c.piece.in_(own_pieces)),
                )
            )
            .order_by(c.c.at)
        ).scalars()
        return {"claims": [_claim_doc(conn, x) for x in list(ids)]}


@router.post(paths.CLAIM_CONFIRM, responses=responses(401, 403, 404, 409))
def confirm_claim(claim_id: str, caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    """The piece's publisher confirms a claim: on this piece the name is that account's from now on, and
    what was held for it shows in the account's statement and is paid by the next proposal."""
    _check_id(claim_id, "claim")
    c = payout_claims
    with ctx.db.write() as conn:
        row = conn.execute(select(c).where(c.c.id == claim_id)).first()
        if row is None:
            raise not_found(f"claim {claim_id}")
        piece = find_piece(conn, caller, row.piece, row.space_id)
        require_manager(piece, caller, "confirm claims on its credits")
        ctx.db.lock_space(conn, row.space_id)
        if row.confirmed_by is not None:
            raise ProblemError(409, f"claim {claim_id} is already confirmed")
        if _link_of(conn, row.space_id, row.piece, row.contributor) is not None:
            raise ProblemError(409, f"{row.name!r} is already linked to an account on this piece")
        at = ledger.now()
        conn.execute(
            update(c).where(c.c.id == claim_id).values(confirmed_by=caller.account_id, confirmed_at=at)
        )
        conn.execute(
            insert(payout_links).values(
                space_id=row.space_id,
                piece=row.piece,
                contributor=row.contributor,
                account_id=row.account_id,
                claim_id=claim_id,
            )
        )
        doc = _claim_doc(conn, claim_id)
        ledger.append(ctx.db, conn, row.space_id, caller, "link", doc)
    return doc


def _claim_doc(conn: Connection, claim_id: str) -> dict[str, Any]:
    row = conn.execute(select(payout_claims).where(payout_claims.c.id == claim_id)).one()
    names = _usernames(conn, {row.account_id} | ({row.confirmed_by} if row.confirmed_by else set()))
    return {
        "id": row.id,
        "piece": row.piece,
        "space": row.space_id,
        "name": row.name,
        "contributor": row.contributor,
        "account": names.get(row.account_id),
        "status": "confirmed" if row.confirmed_by else "pending",
        "at": iso(row.at),
        "confirmed_by": names.get(row.confirmed_by) if row.confirmed_by else None,
    }
