"""Claims: an account asks to be the person behind a name a piece credits; the piece's publisher confirms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, and_, exists, insert, or_, select, update

from studio.protocol import ledger_api as paths
from studio.server import ledger, payees, schema
from studio.server.auth import Caller, CallerDep, iso
from studio.server.context import Context, Ctx
from studio.server.errors import ProblemError, not_found
from studio.server.ledger_schema import payout_claims, payout_links
from studio.server.models import SpaceId
from studio.server.pieces import Piece, find_piece, require_manager
from studio.server.routes.docs import problems as responses
from studio.server.routes.payouts.common import PieceId, check_id

router = APIRouter(tags=["payouts"])
PENDING = and_(payout_claims.c.confirmed_by.is_(None), payout_claims.c.rejected_by.is_(None))
"""A claim neither confirmed nor rejected yet."""


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    piece: PieceId
    space: SpaceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]


@router.post(
    paths.CLAIMS,
    status_code=201,
    responses={
        **responses(401, 404, 409),
        200: {"description": "the caller's claim of that credit, still pending: asked again, not made again"},
    },
)
def claim(body: ClaimIn, caller: CallerDep, ctx: Ctx, response: Response) -> dict[str, Any]:
    """Ask to be the account behind a name credited in a piece; its publisher confirms. Asking again
    while the caller's claim of that credit is pending answers that claim (200), so a claim sent again
    after a lost answer is made once."""
    with ctx.db.write() as conn:
        piece = find_piece(conn, caller, body.piece, body.space)
        wanted = body.name.strip().lstrip("@").lower()
        match = [
            (name, key)
            for name, key, _bp in payees.contributors_of(piece.doc)
            if name.lstrip("@").lower() == wanted
        ]
        if not match:
            raise ProblemError(404, f"piece {piece.id[:12]} credits nobody named {body.name!r}")
        open_ = [(name, key) for name, key in match if _account_credited(conn, piece, name, key) is None]
        if not open_:
            raise ProblemError(
                409,
                f"{match[0][0]!r} is credited to an account on piece {piece.id[:12]}: "
                "only a name no account holds can be claimed",
            )
        name, key = open_[0]
        if payees.link_of(conn, piece.space.id, piece.id, key) is not None:
            raise ProblemError(409, f"{name!r} is already linked to an account on this piece")
        ctx.db.lock_space(conn, piece.space.id)
        pending = _pending_claim(conn, piece, key, caller.account_id)
        if pending is not None:
            response.status_code = 200
            return _claim_doc(conn, pending)
        claim_id, at = ledger.new_id(), ctx.clock.now()
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
                rejected_by=None,
                rejected_at=None,
            )
        )
        doc = _claim_doc(conn, claim_id)
        ledger.append(ctx.db, conn, piece.space.id, caller, "claim", doc)
    return doc


@router.get(paths.CLAIMS, responses=responses(401))
def list_claims(caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    """Claims the caller made, and pending claims the caller may decide: on pieces they published, and
    on every piece of a private space they own (as confirm and reject allow, pieces.may_manage). Each
    says whether the caller may decide it (`decidable`): a publisher's own claim on their own piece is
    both theirs and theirs to confirm."""
    c, r, m, s = payout_claims, schema.records, schema.members, schema.spaces
    published = exists().where(
        r.c.space_id == c.c.space_id,
        r.c.kind == "clip",
        r.c.id == c.c.piece,
        r.c.owner_id == caller.account_id,
    )
    owned_space = exists().where(
        m.c.space_id == c.c.space_id,
        m.c.account_id == caller.account_id,
        m.c.role == "owner",
        s.c.id == m.c.space_id,
        s.c.kind == "private",
    )
    to_decide = and_(PENDING, or_(published, owned_space))
    with ctx.db.read() as conn:
        rows = conn.execute(
            select(c.c.id, to_decide.label("decidable"))
            .where(or_(c.c.account_id == caller.account_id, to_decide))
            .order_by(c.c.at)
        ).all()
        return {"claims": [{**_claim_doc(conn, row.id), "decidable": bool(row.decidable)} for row in rows]}


@router.post(paths.CLAIM_CONFIRM, responses=responses(401, 403, 404, 409))
def confirm_claim(claim_id: str, caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    """The piece's publisher confirms a claim: on this piece the name is that account's from now on, and
    what was held for it shows in the account's statement and is paid by the next proposal."""
    check_id(claim_id, "claim")
    c = payout_claims
    with ctx.db.write() as conn:
        row, piece = _claim_to_decide(conn, ctx, caller, claim_id, "confirm claims on its credits")
        if row.confirmed_by is not None:
            raise ProblemError(409, f"claim {claim_id} is already confirmed")
        if row.rejected_by is not None:
            raise ProblemError(409, f"claim {claim_id} was rejected: the account may claim the name again")
        if payees.link_of(conn, row.space_id, row.piece, row.contributor) is not None:
            raise ProblemError(409, f"{row.name!r} is already linked to an account on this piece")
        if _account_credited(conn, piece, row.name, row.contributor) is not None:
            raise ProblemError(
                409, f"{row.name!r} is credited to an account on this piece: the claim cannot take it"
            )
        at = ctx.clock.now()
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


@router.post(paths.CLAIM_REJECT, responses=responses(401, 403, 404, 409))
def reject_claim(claim_id: str, caller: CallerDep, ctx: Ctx) -> dict[str, Any]:
    """The piece's publisher rejects a claim: it stays on record, links nothing and can no longer be
    confirmed; the account may make a new claim."""
    check_id(claim_id, "claim")
    c = payout_claims
    with ctx.db.write() as conn:
        row, _piece = _claim_to_decide(conn, ctx, caller, claim_id, "reject claims on its credits")
        done = conn.execute(
            update(c)
            .where(c.c.id == claim_id, PENDING)
            .values(rejected_by=caller.account_id, rejected_at=ctx.clock.now())
        )
        if done.rowcount != 1:
            status = "confirmed" if row.confirmed_by is not None else "rejected"
            raise ProblemError(409, f"claim {claim_id} is already {status}")
        doc = _claim_doc(conn, claim_id)
        ledger.append(ctx.db, conn, row.space_id, caller, "reject", doc)
    return doc


def _claim_to_decide(
    conn: Connection, ctx: Context, caller: Caller, claim_id: str, doing: str
) -> tuple[Any, Piece]:
    """The claim and its piece, once the caller is known to manage the piece (its space locked for the
    decision); a claim the caller cannot see is missing, as one that does not exist."""
    row = conn.execute(select(payout_claims).where(payout_claims.c.id == claim_id)).first()
    if row is None:
        raise not_found(f"claim {claim_id}")
    piece = find_piece(conn, caller, row.piece, row.space_id)
    require_manager(piece, caller, doing)
    ctx.db.lock_space(conn, row.space_id)
    return row, piece


def _pending_claim(conn: Connection, piece: Piece, key: str, account_id: str) -> str | None:
    c = payout_claims
    found: str | None = conn.execute(
        select(c.c.id).where(
            c.c.space_id == piece.space.id,
            c.c.piece == piece.id,
            c.c.contributor == key,
            c.c.account_id == account_id,
            PENDING,
        )
    ).scalar()
    return found


def _account_credited(conn: Connection, piece: Piece, name: str, key: str) -> str | None:
    """The account a credit already is without any claim: its account id, `@user`, or the publisher's
    own user name. Such a credit is never claimable, so no claim moves money between accounts."""
    named = payees.named_account(conn, key, name)
    return named if named is not None else payees.publishers(conn, piece).get(name.strip().lower())


def _claim_doc(conn: Connection, claim_id: str) -> dict[str, Any]:
    row = conn.execute(select(payout_claims).where(payout_claims.c.id == claim_id)).one()
    decided = row.confirmed_by or row.rejected_by
    names = payees.usernames(conn, {row.account_id} | ({decided} if decided else set()))
    return {
        "id": row.id,
        "piece": row.piece,
        "space": row.space_id,
        "name": row.name,
        "contributor": row.contributor,
        "account": names.get(row.account_id),
        "status": "confirmed" if row.confirmed_by else "rejected" if row.rejected_by else "pending",
        "at": iso(row.at),
        "confirmed_by": names.get(row.confirmed_by) if row.confirmed_by else None,
        "rejected_by": names.get(row.rejected_by) if row.rejected_by else None,
    }
