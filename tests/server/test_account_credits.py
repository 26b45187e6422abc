"""A credit that names an account by its contributor id (`a-<account id>`) is that account's, over real
HTTP: `GET /v1/accounts/{username}` resolves a user name to it, and a payout line for a credit carrying it
goes to that account whatever name the credit shows."""

from __future__ import annotations

import secrets

from studio.core.identity import account_contributor_id
from studio.protocol import api
from studio.protocol import ledger_api as paths
from tests.server.conftest import Api, ServerProcess

IN_PROCESS = True  # request/answer logic: the app in this process (tests/server/conftest.py)


def test_a_user_name_resolves_to_the_accounts_contributor_id(
    server: ServerProcess, alice: Api, bob: Api
) -> None:
    found = alice.get(api.ACCOUNT.format(username=bob.username))
    assert found.status_code == 200, found.text
    me = bob.get(api.ME).json()
    assert found.json() == {
        "id": me["id"],
        "username": bob.username,
        "contributor": account_contributor_id(me["id"]),
    }
    assert alice.get(api.ACCOUNT.format(username="nobody-" + secrets.token_hex(3))).status_code == 404
    assert Api(server.url).get(api.ACCOUNT.format(username=bob.username)).status_code == 401
    assert alice.get(api.ACCOUNT.format(username="Not A Name")).status_code == 422


def test_a_payout_line_follows_the_account_contributor_id(alice: Api, bob: Api) -> None:
    bob_id = bob.get(api.ME).json()["id"]
    piece = "piece-" + secrets.token_hex(8)
    credits = [
        {"name": alice.username, "role": "camera"},
        {"name": "B. Ray", "role": "music", "contributor": account_contributor_id(bob_id)},
    ]
    change = {
        "change_id": "c-" + secrets.token_hex(8),
        "kind": "clip",
        "id": piece,
        "base_rev": None,
        "fields": {"title": piece, "licence": "CC-BY-4.0", "credits": credits},
    }
    assert alice.push("public", change).json()["results"][0]["status"] == "applied"
    assert (
        alice.post(paths.REVENUE, json={"piece": piece, "amount": "10.00", "currency": "EUR"}).status_code
        == 201
    )
    proposal = alice.post(paths.PROPOSALS, json={"piece": piece, "review_days": 0}).json()
    lines = {line["name"]: line for line in proposal["lines"]}
    assert lines["B. Ray"]["account"] == bob.username
    assert lines["B. Ray"]["contributor"] == account_contributor_id(bob_id)
