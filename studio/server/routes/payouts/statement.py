"""An account's statement: its lines across final proposals, paid and carried, and the lines held for names
no account has claimed yet on pieces it manages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import Connection, Select, exists, or_, select

from studio.protocol import ledger_api as paths
from studio.server import money, payees, schema
from studio.server.auth import Caller, CallerDep, iso
from studio.server.context import Ctx
from studio.server.ledger_schema import payout_lines, payout_links, payout_proposals
from studio.server.routes.docs import problems as responses

router = APIRouter(tags=["payouts"])


@router.get(paths.STATEMENT, responses=responses(401))
def statement(
    caller: CallerDep,
    ctx: Ctx,
    currency: Annotated[str | None, Query(pattern=money.CURRENCY_PATTERN)] = None,
) -> dict[str, Any]:
    """The caller's lines across final proposals, what was paid and what is carried; and, for pieces the
    caller manages, the lines held for names no account has claimed yet."""
    with ctx.db.read() as conn:
        pieces = _PieceLines(conn)
        rows = conn.execute(_own_lines(caller, currency)).all()
        carried = _carried(pieces, caller, rows)
        unclaimed = _unclaimed(pieces, conn.execute(_held_lines(caller)).all())
    return {"account": caller.username, **_paid_and_carried(rows, carried), "unclaimed": unclaimed}


class _PieceLines:
    """All final lines of a piece in a currency, read once per statement."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.found: dict[tuple[str, str, str], list[Any]] = {}

    def of(self, space_id: str, piece: str, currency: str) -> list[Any]:
        at = (space_id, piece, currency)
        if at not in self.found:
            self.found[at] = payees.final_lines(self.conn, space_id, piece, currency)
        return self.found[at]


def _carried(pieces: _PieceLines, caller: Caller, rows: Sequence[Any]) -> dict[str, int]:
    """Per currency, what the caller's pieces still owe the caller: the same balance a next proposal of each
    piece starts from (its own lines, and held lines of names linked to the caller), each counted once."""
    held: dict[tuple[str, str, str], list[str]] = {}
    for row in rows:
        keys = held.setdefault((row.space_id, row.piece, row.currency), [])
        if row.account_id is None:
            keys.append(row.contributor)
    totals: dict[str, int] = {}
    for (space_id, piece, cur), keys in held.items():
        owed = payees.owed(pieces.of(space_id, piece, cur), caller.account_id, keys)
        totals[cur] = totals.get(cur, 0) + owed
    return totals


def _final_lines() -> Select[Any]:
    p, ln = payout_proposals, payout_lines
    return (
        select(ln, p.c.piece, p.c.space_id, p.c.currency, p.c.finalized_at)
        .join(p, p.c.id == ln.c.proposal_id)
        .where(p.c.status == "final")
        .order_by(p.c.finalized_at, ln.c.n)
    )


def _own_lines(caller: Caller, currency: str | None) -> Select[Any]:
    """Final lines that name the caller's account, or a contributor a confirmed claim linked to it."""
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
    query = _final_lines().where(mine)
    return query.where(p.c.currency == currency) if currency else query


def _held_lines(caller: Caller) -> Select[Any]:
    """Final lines with no account and no link, on pieces the caller proposed for or published."""
    p, ln, lk, r = payout_proposals, payout_lines, payout_links, schema.records
    managed = or_(
        p.c.created_by == caller.account_id,
        p.c.piece.in_(
            select(r.c.id).where(
                r.c.kind == "clip", r.c.space_id == p.c.space_id, r.c.owner_id == caller.account_id
            )
        ),
    )
    unlinked = ~exists().where(
        lk.c.space_id == p.c.space_id, lk.c.piece == p.c.piece, lk.c.contributor == ln.c.contributor
    )
    return _final_lines().where(managed, ln.c.account_id.is_(None), unlinked)


def _paid_and_carried(rows: Sequence[Any], carried: dict[str, int]) -> dict[str, Any]:
    """The lines, and per currency the total paid and the balance still carried; the single-currency
    figures when there is only one currency."""
    totals: dict[str, dict[str, int]] = {}
    lines = []
    for row in rows:
        cur = row.currency
        t = totals.setdefault(cur, {"paid": 0, "carried": carried.get(cur, 0)})
        t["paid"] += int(row.paid_minor)
        lines.append(
            {
                "proposal": row.proposal_id,
                "piece": row.piece,
                "name": row.name,
                "names": list(dict.fromkeys(c["name"] for c in payees.covers(row))),
                "currency": cur,
                "amount": money.to_text(int(row.amount_minor), cur),
                "paid": money.to_text(int(row.paid_minor), cur),
                "carried": money.to_text(int(row.carried_minor), cur),
                "at": iso(row.finalized_at),
            }
        )
    single = next(iter(totals)) if len(totals) == 1 else None
    return {
        "currency": single,
        "lines": lines,
        "paid_total": money.to_text(totals[single]["paid"], single) if single else None,
        "carried_balance": money.to_text(totals[single]["carried"], single) if single else None,
        "totals": {
            cur: {"paid": money.to_text(t["paid"], cur), "carried": money.to_text(t["carried"], cur)}
            for cur, t in sorted(totals.items())
        },
    }


def _unclaimed(pieces: _PieceLines, held: Sequence[Any]) -> list[dict[str, Any]]:
    """Held lines still owed: the latest line of each unclaimed name, unless a later line took its
    balance to an account."""
    found: dict[tuple[str, str, str, str], Any] = {}
    for row in held:
        latest: dict[str, Any] = {}
        for line in pieces.of(row.space_id, row.piece, row.currency):
            for credit in payees.covers(line):
                latest[credit["contributor"]] = line
        last = latest.get(row.contributor)
        if last is not None and (last.proposal_id, last.n) == (row.proposal_id, row.n):
            found[(row.space_id, row.piece, row.currency, row.contributor)] = row
    return [
        {
            "piece": row.piece,
            "name": row.name,
            "contributor": row.contributor,
            "currency": row.currency,
            "held": money.to_text(int(row.carried_minor), row.currency),
            "proposal": row.proposal_id,
        }
        for row in found.values()
        if int(row.carried_minor) > 0
    ]
