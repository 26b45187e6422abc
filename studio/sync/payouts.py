"""Client calls for payouts and open calls: thin, typed wrappers over the server's endpoints.

Revenue carries an id chosen here, so a retry after a lost answer records it once; every other write is
refused by the server when repeated (a second comment is a second comment, a second finalize a conflict).
"""

from __future__ import annotations

import secrets
from typing import Any

from studio.protocol import ledger_api as paths
from studio.sync.client import ApiClient


def record_revenue(
    client: ApiClient, piece: str, amount: str, currency: str, note: str = "", space: str | None = None
) -> dict[str, Any]:
    body = {"id": secrets.token_hex(16), "piece": piece, "amount": amount, "currency": currency, "note": note}
    if space:
        body["space"] = space
    return dict(client.post_json(paths.REVENUE, body, idempotent=True))


def propose(
    client: ApiClient, piece: str, review_days: int, minimum: str = "0", space: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"piece": piece, "review_days": review_days, "minimum": minimum}
    if space:
        body["space"] = space
    return dict(client.post_json(paths.PROPOSALS, body))


def proposals(client: ApiClient, piece: str, space: str | None = None) -> dict[str, Any]:
    params = {"piece": piece, **({"space": space} if space else {})}
    return dict(client.get_json(paths.PROPOSALS, params=params))


def proposal(client: ApiClient, proposal_id: str) -> dict[str, Any]:
    return dict(client.get_json(paths.PROPOSAL.format(proposal_id=proposal_id)))


def comment(client: ApiClient, proposal_id: str, text: str) -> dict[str, Any]:
    return dict(client.post_json(paths.PROPOSAL_COMMENTS.format(proposal_id=proposal_id), {"text": text}))


def finalize(client: ApiClient, proposal_id: str) -> dict[str, Any]:
    return dict(client.post_json(paths.PROPOSAL_FINALIZE.format(proposal_id=proposal_id), None))


def statement(client: ApiClient, currency: str | None = None) -> dict[str, Any]:
    return dict(client.get_json(paths.STATEMENT, params={"currency": currency} if currency else None))


def claim(client: ApiClient, piece: str, name: str, space: str | None = None) -> dict[str, Any]:
    body = {"piece": piece, "name": name, **({"space": space} if space else {})}
    return dict(client.post_json(paths.CLAIMS, body))


def claims(client: ApiClient) -> list[dict[str, Any]]:
    return list(client.get_json(paths.CLAIMS)["claims"])


def confirm_claim(client: ApiClient, claim_id: str) -> dict[str, Any]:
    return dict(client.post_json(paths.CLAIM_CONFIRM.format(claim_id=claim_id), None))


def reject_claim(client: ApiClient, claim_id: str) -> dict[str, Any]:
    return dict(client.post_json(paths.CLAIM_REJECT.format(claim_id=claim_id), None))


def new_call(
    client: ApiClient,
    space: str,
    brief: str,
    due: str,
    length_s: float | None = None,
    licence: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"space": space, "brief": brief, "due": due}
    if length_s is not None:
        body["length_s"] = length_s
    if licence:
        body["licence"] = licence
    return dict(client.post_json(paths.CALLS, body))


def calls(client: ApiClient, space: str | None = None) -> list[dict[str, Any]]:
    return list(client.get_json(paths.CALLS, params={"space": space} if space else None)["calls"])


def call(client: ApiClient, call_id: str) -> dict[str, Any]:
    return dict(client.get_json(paths.CALL.format(call_id=call_id)))


def answer_call(client: ApiClient, call_id: str, clip: str) -> dict[str, Any]:
    return dict(client.post_json(paths.CALL_ANSWERS.format(call_id=call_id), {"clip": clip}))


def accept_answer(client: ApiClient, call_id: str, clip: str) -> dict[str, Any]:
    return dict(client.post_json(paths.CALL_ACCEPT.format(call_id=call_id), {"clip": clip}))
