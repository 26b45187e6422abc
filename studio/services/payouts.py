"""Payouts use-cases for the CLI and the app: record revenue, propose, comment, finalize, statements, claims.

The server does the arithmetic and keeps the ledger; this layer resolves a piece given by a local clip
reference, and writes statements as CSV for a payment provider's batch upload.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from studio.core.atomic import atomic_write_text
from studio.core.errors import InvalidInput, NotFound
from studio.core.store import Store
from studio.protocol.ledger_api import DEFAULT_REVIEW_DAYS as DEFAULT_REVIEW_DAYS  # for the front ends
from studio.protocol.ledger_api import MAX_REVIEW_DAYS as MAX_REVIEW_DAYS  # for the front ends
from studio.services.sync import client_for
from studio.sync import payouts as remote

_PROPOSAL_ID = re.compile(r"^[0-9a-f]{32}$")


def piece_id(ref: str, store: Store | None = None) -> str:
    """A piece given as a clip id, or as a library clip's id prefix or title."""
    ref = ref.strip()
    if re.fullmatch(r"[0-9a-f]{64}", ref):
        return ref
    from studio.core.library import find_clip

    opened = store or Store()
    try:
        return str(find_clip(opened, ref).id)
    except NotFound:
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}", ref):
            return ref
        raise
    finally:
        if store is None:
            opened.close()


def _proposal_id(text: str) -> str:
    text = text.strip().lower()
    if not _PROPOSAL_ID.fullmatch(text):
        raise InvalidInput(f"proposal id {text!r} is not 32 hex digits (as studio payouts propose prints it)")
    return text


def record_revenue(piece: str, amount: str, currency: str, note: str = "") -> dict[str, Any]:
    currency = currency.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise InvalidInput(f"currency {currency!r} is not a three-letter code such as EUR")
    with client_for() as client:
        return remote.record_revenue(client, piece_id(piece), amount.strip(), currency, note)


def propose(piece: str, review_days: int = DEFAULT_REVIEW_DAYS, minimum: str = "0") -> dict[str, Any]:
    if not 0 <= review_days <= MAX_REVIEW_DAYS:
        detail = f"must be between 0 and {MAX_REVIEW_DAYS} days, not {review_days}"
        raise InvalidInput(f"the review period {detail}", field="review_days", detail=detail)
    with client_for() as client:
        return remote.propose(client, piece_id(piece), review_days, minimum.strip())


def proposals(piece: str) -> dict[str, Any]:
    with client_for() as client:
        return remote.proposals(client, piece_id(piece))


def show(proposal_id: str) -> dict[str, Any]:
    with client_for() as client:
        return remote.proposal(client, _proposal_id(proposal_id))


def comment(proposal_id: str, text: str) -> dict[str, Any]:
    if not text.strip():
        raise InvalidInput("a comment needs some text")
    with client_for() as client:
        return remote.comment(client, _proposal_id(proposal_id), text.strip())


def finalize(proposal_id: str) -> dict[str, Any]:
    with client_for() as client:
        return remote.finalize(client, _proposal_id(proposal_id))


def statement(currency: str | None = None) -> dict[str, Any]:
    with client_for() as client:
        return remote.statement(client, currency.upper() if currency else None)


def claim(piece: str, name: str) -> dict[str, Any]:
    with client_for() as client:
        return remote.claim(client, piece_id(piece), name)


def claims() -> list[dict[str, Any]]:
    with client_for() as client:
        return remote.claims(client)


def confirm_claim(claim_id: str) -> dict[str, Any]:
    with client_for() as client:
        return remote.confirm_claim(client, _proposal_id(claim_id))


def reject_claim(claim_id: str) -> dict[str, Any]:
    with client_for() as client:
        return remote.reject_claim(client, _proposal_id(claim_id))


STATEMENT_COLUMNS = ("account", "proposal", "piece", "name", "currency", "amount", "paid", "carried", "at")


def statement_csv(doc: dict[str, Any]) -> str:
    """The statement's lines as CSV (one row per line, amounts as decimal strings), a header first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(STATEMENT_COLUMNS)
    for line in doc.get("lines", []):
        writer.writerow(
            [_cell(doc.get("account", ""))] + [_cell(line.get(k, "")) for k in STATEMENT_COLUMNS[1:]]
        )
    return out.getvalue()


def payments_csv(proposal: dict[str, Any]) -> str:
    """A final proposal's payments for a batch upload: one row per account paid this time."""
    if proposal.get("status") != "final":
        raise InvalidInput(f"proposal {proposal.get('id')} is not final yet: nothing is to be paid")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("account", "currency", "amount", "reference"))
    for line in proposal.get("lines", []):
        if line.get("account") and line.get("paid") not in (None, "") and float(line["paid"]) > 0:
            writer.writerow(
                (
                    _cell(line["account"]),
                    proposal["currency"],
                    line["paid"],
                    f"studio payout {proposal['id']}",
                )
            )
    return out.getvalue()


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(path: Path | str, text: str) -> Path:
    target = Path(path)
    if target.is_dir():
        raise InvalidInput(f"{target} is a folder: give a file name for the CSV")
    atomic_write_text(target, text)
    return target
