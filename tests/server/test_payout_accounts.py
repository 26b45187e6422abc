"""One payout line per account, over real HTTP: a piece that credits one person twice (by the account's
contributor id `a-<id>`, and by a name the account claimed and the publisher confirmed) pays that account on
one line, with the shares summed in basis points and the ledger's largest remainder applied to the lines;
balances, statements and the payments export follow. A claim never moves money between accounts."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, update

from studio.core.identity import account_contributor_id
from studio.protocol import api
from studio.protocol import ledger_api as paths
from studio.server.db import Database
from studio.server.ledger_schema import payout_lines, payout_links
from studio.services.payouts import payments_csv
from tests.server.conftest import Api, ServerProcess, signup, unique


def publish(who: Api, piece: str, credits: list[dict[str, Any]]) -> None:
    change = {
        "change_id": "c-" + secrets.token_hex(8),
        "kind": "clip",
        "id": piece,
        "base_rev": None,
        "fields": {"title": piece, "licence": "CC-BY-4.0", "credits": credits},
    }
    r = who.push("public", change)
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied", r.text


def contributor_of(who: Api) -> str:
    return account_contributor_id(who.get(api.ME).json()["id"])


def bob_twice(alice: Api, bob: Api) -> str:
    """A new piece of alice's crediting herself, bob by his account id ("B. Ray") and "Bobby", a name
    nobody has claimed yet."""
    piece = "piece-" + secrets.token_hex(8)
    publish(
        alice,
        piece,
        [
            {"name": alice.username, "role": "camera"},
            {"name": "B. Ray", "role": "music", "contributor": contributor_of(bob)},
            {"name": "Bobby", "role": "sound"},
        ],
    )
    return piece


def claim_and_confirm(claimer: Api, publisher: Api, piece: str, name: str) -> None:
    made = claimer.post(paths.CLAIMS, json={"piece": piece, "name": name})
    assert made.status_code == 201, made.text
    done = publisher.post(paths.CLAIM_CONFIRM.format(claim_id=made.json()["id"]))
    assert done.status_code == 200, done.text


def pay(publisher: Api, piece: str, amount: str, minimum: str = "0") -> dict[str, Any]:
    r = publisher.post(paths.REVENUE, json={"piece": piece, "amount": amount, "currency": "EUR"})
    assert r.status_code == 201, r.text
    made = publisher.post(paths.PROPOSALS, json={"piece": piece, "review_days": 0, "minimum": minimum})
    assert made.status_code == 201, made.text
    done = publisher.post(paths.PROPOSAL_FINALIZE.format(proposal_id=made.json()["id"]))
    assert done.status_code == 200, done.text
    return dict(done.json())


def test_an_account_credited_by_its_id_and_by_a_claimed_name_gets_one_line(alice: Api, bob: Api) -> None:
    piece = bob_twice(alice, bob)
    claim_and_confirm(bob, alice, piece, "Bobby")
    proposal = pay(alice, piece, "10.00")
    lines = proposal["lines"]
    assert [line["account"] for line in lines] == [alice.username, bob.username]
    bob_line = lines[1]
    # equal credits are 3334 / 3333 / 3333 bp: bob's two credits are one 6666 bp line, and largest
    # remainder over the two lines gives 3.33 / 6.67 (6.666 exactly), not 3.34 + 3.33 + 3.33
    assert [line["share_bp"] for line in lines] == [3334, 6666]
    assert [line["amount"] for line in lines] == ["3.33", "6.67"]
    assert bob_line["names"] == ["B. Ray", "Bobby"] and bob_line["name"] == "B. Ray; Bobby"
    assert bob_line["paid"] == "6.67"
    statement = bob.get(paths.STATEMENT).json()
    assert [(x["name"], x["amount"], x["paid"]) for x in statement["lines"]] == [
        ("B. Ray; Bobby", "6.67", "6.67")
    ]
    assert statement["paid_total"] == "6.67" and statement["carried_balance"] == "0.00"
    rows = payments_csv(proposal).splitlines()
    assert rows[1:] == [
        f"{alice.username},EUR,3.33,studio payout {proposal['id']}",
        f"{bob.username},EUR,6.67,studio payout {proposal['id']}",
    ]


def test_balances_held_and_carried_under_both_credits_are_paid_once_on_the_merged_line(
    alice: Api, bob: Api
) -> None:
    piece = bob_twice(alice, bob)
    # before the claim: "Bobby" is held for nobody, bob's own line is below the minimum and carried
    first = pay(alice, piece, "3.00", minimum="5.00")
    assert [(x["name"], x["account"], x["carried"]) for x in first["lines"]] == [
        (alice.username, alice.username, "1.00"),
        ("B. Ray", bob.username, "1.00"),
        ("Bobby", None, "1.00"),
    ]
    claim_and_confirm(bob, alice, piece, "Bobby")
    second = pay(alice, piece, "6.00", minimum="5.00")
    line = second["lines"][1]
    assert (line["names"], line["share_bp"], line["amount"]) == (["B. Ray", "Bobby"], 6666, "4.00")
    # what was carried (1.00) and held (1.00) joins the new 4.00: 6.00 reaches the minimum
    assert (line["balance"], line["paid"], line["carried"]) == ("2.00", "6.00", "0.00")
    third = pay(alice, piece, "3.00", minimum="5.00")
    line = third["lines"][1]
    assert (line["balance"], line["amount"], line["paid"], line["carried"]) == (
        "0.00",
        "2.00",
        "0.00",
        "2.00",
    )
    statement = bob.get(paths.STATEMENT).json()
    assert statement["paid_total"] == "6.00" and statement["carried_balance"] == "2.00"
    # nothing lost or paid twice: everything bob earned is paid or carried
    earned = Decimal("1.00") + Decimal("1.00") + Decimal("4.00") + Decimal("2.00")
    assert Decimal(statement["paid_total"]) + Decimal(statement["carried_balance"]) == earned
    assert alice.get(paths.STATEMENT).json()["unclaimed"] == []


def test_a_name_claimed_by_one_account_never_takes_another_accounts_credit(
    server: ServerProcess, alice: Api, bob: Api
) -> None:
    mallory = signup(server.url, unique("mallory"))
    piece = "piece-" + secrets.token_hex(8)
    publish(
        alice,
        piece,
        [
            {"name": alice.username, "role": "camera"},
            {"name": "B. Ray", "role": "music", "contributor": contributor_of(bob)},
            {"name": f"@{bob.username}", "role": "mix"},
            {"name": "Bobby", "role": "sound"},
        ],
    )
    # credits that already name an account cannot be claimed by another one
    for name in ("B. Ray", f"@{bob.username}", alice.username):
        refused = mallory.post(paths.CLAIMS, json={"piece": piece, "name": name})
        assert refused.status_code == 409 and "account" in refused.json()["detail"], (name, refused.text)
    # an unconfirmed claim changes nothing
    pending = mallory.post(paths.CLAIMS, json={"piece": piece, "name": "Bobby"})
    assert pending.status_code == 201
    proposal = pay(alice, piece, "8.00")
    assert [(x["account"], x["names"], x["amount"]) for x in proposal["lines"]] == [
        (alice.username, [alice.username], "2.00"),
        (bob.username, ["B. Ray", f"@{bob.username}"], "4.00"),
        (None, ["Bobby"], "2.00"),
    ]
    assert mallory.get(paths.STATEMENT).json()["lines"] == []
    # once confirmed, the claimed name pays mallory, and only what it earns
    assert alice.post(paths.CLAIM_CONFIRM.format(claim_id=pending.json()["id"])).status_code == 200
    after = pay(alice, piece, "8.00")
    assert [(x["account"], x["amount"], x["paid"]) for x in after["lines"]] == [
        (alice.username, "2.00", "2.00"),
        (bob.username, "4.00", "4.00"),
        (mallory.username, "2.00", "4.00"),
    ]
    assert mallory.get(paths.STATEMENT).json()["paid_total"] == "4.00"
    assert bob.get(paths.STATEMENT).json()["paid_total"] == "8.00"


def test_a_rejected_claim_links_nothing_and_cannot_be_confirmed(
    server: ServerProcess, alice: Api, bob: Api
) -> None:
    mallory = signup(server.url, unique("mallory"))
    piece = "piece-" + secrets.token_hex(8)
    publish(alice, piece, [{"name": alice.username, "role": "camera"}, {"name": "Bobby", "role": "sound"}])
    made = mallory.post(paths.CLAIMS, json={"piece": piece, "name": "Bobby"}).json()
    reject = paths.CLAIM_REJECT.format(claim_id=made["id"])
    assert mallory.post(reject).status_code == 403 and bob.post(reject).status_code == 403
    done = alice.post(reject)
    assert done.status_code == 200 and done.json()["status"] == "rejected", done.text
    assert done.json()["rejected_by"] == alice.username
    assert alice.post(reject).status_code == 409
    late = alice.post(paths.CLAIM_CONFIRM.format(claim_id=made["id"]))
    assert late.status_code == 409 and "rejected" in late.json()["detail"]
    assert made["id"] not in {c["id"] for c in alice.get(paths.CLAIMS).json()["claims"]}
    assert [c["status"] for c in mallory.get(paths.CLAIMS).json()["claims"]] == ["rejected"]
    line = pay(alice, piece, "5.00")["lines"][1]
    assert (line["names"], line["account"], line["carried"]) == (["Bobby"], None, "2.50")
    assert mallory.get(paths.STATEMENT).json()["lines"] == []
    # the rejected claim stands in nobody's way: the real person's claim is confirmed and paid what was held
    claim_and_confirm(bob, alice, piece, "Bobby")
    line = pay(alice, piece, "5.00")["lines"][1]
    assert (line["account"], line["balance"], line["paid"]) == (bob.username, "2.50", "5.00")
    entries, _ = alice.pull_all("public")
    events = [e["doc"]["event"] for e in entries if e["kind"] == "ledger" and e["doc"].get("piece") == piece]
    assert events[:2] == ["claim", "reject"]


def test_lines_stored_before_lines_were_merged_carry_their_balances_once(
    server: ServerProcess, alice: Api, bob: Api
) -> None:
    piece = bob_twice(alice, bob)
    first = pay(alice, piece, "3.00", minimum="5.00")
    bobby = first["lines"][2]["contributor"]
    # as a server before migration 0010 left them: one line per credit (no `covers`), two of them bob's
    # through a claim confirmed then
    db = Database(server.database or f"sqlite:///{server.data / 'studio.db'}")
    try:
        with db.write() as conn:
            ln = payout_lines
            conn.execute(update(ln).where(ln.c.proposal_id == first["id"]).values(covers=None))
            bob_id = bob.get(api.ME).json()["id"]
            conn.execute(
                update(ln).where(ln.c.proposal_id == first["id"], ln.c.n == 2).values(account_id=bob_id)
            )
            conn.execute(
                insert(payout_links).values(
                    space_id="public", piece=piece, contributor=bobby, account_id=bob_id, claim_id="0" * 32
                )
            )
    finally:
        db.dispose()
    before = bob.get(paths.STATEMENT).json()
    assert [x["names"] for x in before["lines"]] == [["B. Ray"], ["Bobby"]]
    assert before["carried_balance"] == "2.00"
    line = pay(alice, piece, "6.00", minimum="5.00")["lines"][1]
    assert (line["names"], line["balance"], line["amount"], line["paid"]) == (
        ["B. Ray", "Bobby"],
        "2.00",
        "4.00",
        "6.00",
    )
    after = bob.get(paths.STATEMENT).json()
    assert after["paid_total"] == "6.00" and after["carried_balance"] == "0.00"
