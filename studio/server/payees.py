"""Who a piece pays: its credited people with their shares, the accounts behind them (confirmed claims,
@usernames, publishers crediting themselves) and what it still owes each of them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, or_, select

from studio.core.identity import account_of
from studio.protocol.ids import PUBLIC_SPACE
from studio.server import money, schema
from studio.server.ledger_schema import payout_lines, payout_links, payout_proposals
from studio.server.pieces import Piece


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


def publishers(conn: Connection, piece: Piece) -> dict[str, str]:
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


def link_of(conn: Connection, space_id: str, piece: str, key: str) -> str | None:
    """The account a confirmed claim gave this piece's contributor (claims are per piece: confirming one
    speaks for the piece its publisher knows, never for other publishers' pieces naming the same person)."""
    lk = payout_links
    found = conn.execute(
        select(lk.c.account_id).where(lk.c.space_id == space_id, lk.c.piece == piece, lk.c.contributor == key)
    ).scalar_one_or_none()
    return None if found is None else str(found)


def linked_account(
    conn: Connection, piece: Piece, key: str, name: str, publishers: dict[str, str]
) -> str | None:
    """The account a credit is: its account contributor id, an `@user`, a confirmed claim on this piece, or
    the publisher's own user name, in that order. A credit that names an account stays that account's
    whatever claim was confirmed on it, so a claim never moves money from one account to another."""
    named = named_account(conn, key, name)
    if named is not None:
        return named
    linked = link_of(conn, piece.space.id, piece.id, key)
    if linked is not None:
        return linked
    return publishers.get(name.strip().lower())


def named_account(conn: Connection, key: str, name: str) -> str | None:
    """The account a credit names by itself: `a-<account id>` of an existing account, or `@user`."""
    a = schema.accounts
    named = account_of(key)
    if named is not None and conn.execute(select(a.c.id).where(a.c.id == named)).first() is not None:
        return named
    plain = name.strip()
    if plain.startswith("@"):
        found = conn.execute(select(a.c.id).where(a.c.username == plain[1:].lower())).scalar_one_or_none()
        if found is not None:
            return str(found)
    return None


@dataclass(frozen=True)
class Payee:
    """One line of a proposal: an account with every credit of the piece that is that account, or one
    credit no account holds yet. `credits` are (contributor key, name) pairs; the first one keys the line."""

    account: str | None
    credits: tuple[tuple[str, str], ...]
    share_bp: int

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _name in self.credits)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for _key, name in self.credits))

    @property
    def name(self) -> str:
        return "; ".join(self.names)


def payees_of(conn: Connection, piece: Piece) -> list[Payee]:
    """The piece's credited people merged into one payee per account (shares summed in basis points, in the
    order of their first credit); a credit with no account is a payee of its own key."""
    found = publishers(conn, piece)
    groups: dict[tuple[str, str], tuple[str | None, dict[str, str], int]] = {}
    for name, key, bp in contributors_of(piece.doc):
        account = linked_account(conn, piece, key, name, found)
        group = ("account", account) if account is not None else ("key", key)
        _account, credits, total = groups.setdefault(group, (account, {}, 0))
        credits.setdefault(key, name)
        groups[group] = (account, credits, total + bp)
    return [Payee(acc, tuple(credits.items()), bp) for acc, credits, bp in groups.values()]


def covers(line: Any) -> list[dict[str, str]]:
    """The credits a stored line pays ({"contributor", "name"}); lines written before lines were merged
    per account pay their own contributor only."""
    if line.covers:
        return list(json.loads(line.covers))
    return [{"contributor": line.contributor, "name": line.name}]


def final_lines(conn: Connection, space_id: str, piece: str, currency: str) -> list[Any]:
    """The piece's lines in final proposals of one currency, oldest first."""
    p, ln = payout_proposals, payout_lines
    return list(
        conn.execute(
            select(ln, p.c.finalized_at)
            .join(p, p.c.id == ln.c.proposal_id)
            .where(
                p.c.space_id == space_id, p.c.piece == piece, p.c.currency == currency, p.c.status == "final"
            )
            .order_by(p.c.finalized_at, p.c.created_at, ln.c.n)
        ).all()
    )


def owed(lines: Sequence[Any], account: str | None, keys: Sequence[str]) -> int:
    """What a piece still owes a payee after its final `lines` (oldest first): the carried amounts of the
    account's lines in the latest proposal that has any, plus what is held on each key's latest line when
    no account held it. Each line counts once, so a balance carried on a merged line is never paid twice,
    and an amount carried for another account stays that account's."""
    latest: dict[str, Any] = {}
    for line in lines:
        for credit in covers(line):
            latest[credit["contributor"]] = line
    counted: dict[tuple[str, int], int] = {}
    if account is not None:
        own = [x for x in lines if x.account_id == account]
        if own:
            last = own[-1].proposal_id
            counted.update({(x.proposal_id, x.n): int(x.carried_minor) for x in own if x.proposal_id == last})
    for key in keys:
        line = latest.get(key)
        if line is not None and line.account_id is None:
            counted[(line.proposal_id, line.n)] = int(line.carried_minor)
    return sum(counted.values())


def usernames(conn: Connection, ids: set[str]) -> dict[str, str]:
    a = schema.accounts
    if not ids:
        return {}
    return {row.id: row.username for row in conn.execute(select(a.c.id, a.c.username).where(a.c.id.in_(ids)))}
