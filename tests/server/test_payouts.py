"""Payouts over real HTTP with several accounts: exact splits, who may do what, the review window, carried
balances, unclaimed names and claims, statements, and the ledger in the space's feed."""

from __future__ import annotations

import secrets
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from studio.protocol import ledger_api as paths
from tests.server.conftest import Api, ServerProcess, signup, unique

IN_PROCESS = True  # request/answer logic: the app in this process (tests/server/conftest.py)

DAY = 86400


def piece_id() -> str:
    return "piece-" + secrets.token_hex(8)


def block(*people: tuple[str, int]) -> dict[str, Any]:
    """A studio-credits/1 block naming `people` (name, share_bp)."""
    return {
        "schema": "studio-credits/1",
        "work": {"id": "w", "title": "Piece", "licence": "CC-BY-4.0"},
        "contributors": [
            {"id": f"p-{i}", "name": name, "roles": ["camera"], "share_bp": bp}
            for i, (name, bp) in enumerate(people)
        ],
        "sources": [],
        "share_method": "weighted-time/1",
        "share_params": {},
    }


def publish(api: Api, space: str, clip: str, credits: list[dict[str, Any]], **fields: Any) -> None:
    change = {
        "change_id": "c-" + secrets.token_hex(8),
        "kind": "clip",
        "id": clip,
        "base_rev": None,
        "fields": {"title": clip, "licence": "CC-BY-4.0", "credits": credits, **fields},
    }
    r = api.push(space, change)
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied", r.text


def revenue(api: Api, piece: str, amount: str, currency: str = "EUR", **extra: Any) -> Any:
    return api.post(paths.REVENUE, json={"piece": piece, "amount": amount, "currency": currency, **extra})


def propose(api: Api, piece: str, **extra: Any) -> Any:
    return api.post(paths.PROPOSALS, json={"piece": piece, **extra})


def amounts(proposal: dict[str, Any]) -> list[str]:
    return [line["amount"] for line in proposal["lines"]]


def exact_share(revenue: str, bp: int) -> Fraction:
    return Fraction(Decimal(revenue)) * bp / 10000


def check_split(proposal: dict[str, Any], revenue: str) -> None:
    """Lines sum to the revenue exactly, and no line is more than one cent from its exact share."""
    assert sum(Decimal(a) for a in amounts(proposal)) == Decimal(revenue)
    for line in proposal["lines"]:
        assert abs(Fraction(Decimal(line["amount"])) - exact_share(revenue, line["share_bp"])) < Fraction(
            1, 100
        )


def equal_credits(names: list[str]) -> list[dict[str, Any]]:
    return [{"name": n, "role": "sound"} for n in names]


@pytest.mark.parametrize(
    ("total", "names", "expected"),
    [
        ("0.07", ["a", "b", "c"], ["0.03", "0.02", "0.02"]),
        ("100.01", list("abcdefg"), ["14.30", "14.29", "14.29", "14.29", "14.28", "14.28", "14.28"]),
        ("0.07", list("abcdefg"), ["0.01"] * 7),
        ("100.01", ["a", "b", "c"], ["33.35", "33.33", "33.33"]),  # shares 3334, 3333, 3333 bp
    ],
)
def test_awkward_amounts_split_exactly_over_equal_credits(
    alice: Api, total: str, names: list[str], expected: list[str]
) -> None:
    piece = piece_id()
    publish(alice, "public", piece, equal_credits(names))
    assert revenue(alice, piece, total).status_code == 201
    r = propose(alice, piece, review_days=0)
    assert r.status_code == 201, r.text
    proposal = r.json()
    assert sum(line["share_bp"] for line in proposal["lines"]) == 10000
    check_split(proposal, total)
    assert amounts(proposal) == expected
    assert proposal["revenue"] == total and proposal["currency"] == "EUR" and proposal["status"] == "open"


def test_uneven_embedded_shares_split_by_largest_remainder(alice: Api) -> None:
    piece = piece_id()
    shares = block(("Ann", 5000), ("Bea", 3000), ("Cy", 2000))
    publish(alice, "public", piece, equal_credits(["Ann", "Bea", "Cy"]), embedded_credits=shares)
    revenue(alice, piece, "0.05")
    revenue(alice, piece, "0.02")
    proposal = propose(alice, piece, review_days=0).json()
    # exact shares 0.035, 0.021, 0.014: floors 3+2+1 cents, the last cent to the largest remainder (Ann's)
    assert amounts(proposal) == ["0.04", "0.02", "0.01"]
    assert [line["share_bp"] for line in proposal["lines"]] == [5000, 3000, 2000]
    check_split(proposal, "0.07")


def test_a_remix_of_a_remix_pays_everyone_its_block_names_and_zero_decimal_currencies(alice: Api) -> None:
    # The export's block is already transitive: the sources' contributors carry the shares they earned
    # through each remix (via lists the ancestors).
    source, remix, piece = piece_id(), piece_id(), piece_id()
    publish(alice, "public", source, equal_credits(["Ann"]))
    publish(alice, "public", remix, equal_credits(["Bea"]), lineage=[source])
    shares = block(("Ann", 2500), ("Bea", 2500), ("Cy", 3334), ("Dee", 1666))
    shares["sources"] = [
        {"clip": remix, "via": []},
        {"clip": source, "via": [remix]},
    ]
    publish(
        alice, "public", piece, equal_credits(["Cy", "Dee"]), embedded_credits=shares, lineage=[remix, source]
    )
    revenue(alice, piece, "1001", "JPY")
    proposal = propose(alice, piece, review_days=0).json()
    assert [line["name"] for line in proposal["lines"]] == ["Ann", "Bea", "Cy", "Dee"]
    assert amounts(proposal) == ["250", "250", "334", "167"]
    assert sum(int(a) for a in amounts(proposal)) == 1001


def test_bad_amounts_and_currencies_are_refused_with_the_reason(alice: Api) -> None:
    piece = piece_id()
    publish(alice, "public", piece, equal_credits(["Ann"]))
    for amount, currency, words in [
        ("100.001", "EUR", "more decimals than EUR"),
        ("1.5", "JPY", "more decimals than JPY"),
        ("-3", "EUR", "not a decimal number"),
        ("0", "EUR", "more than zero"),
        ("1e3", "EUR", "not a decimal number"),
    ]:
        r = revenue(alice, piece, amount, currency)
        assert r.status_code == 422 and words in r.json()["detail"], (amount, r.text)
    assert revenue(alice, piece, "1.00", "eur").status_code == 422
    assert revenue(alice, piece, "1.00", "EUR").status_code == 201
    mixed = revenue(alice, piece, "1.00", "USD")
    assert mixed.status_code == 409 and "EUR" in mixed.json()["detail"]


def test_only_the_publisher_records_proposes_and_finalizes(
    server: ServerProcess, alice: Api, bob: Api
) -> None:
    anon = Api(server.url)
    piece = piece_id()
    publish(alice, "public", piece, equal_credits([alice.username, f"@{bob.username}"]))
    assert revenue(anon, piece, "5.00").status_code == 401
    refused = revenue(bob, piece, "5.00")
    assert refused.status_code == 403 and "publisher" in refused.json()["detail"]
    assert revenue(alice, piece, "5.00").status_code == 201
    assert propose(bob, piece).status_code == 403
    proposal = propose(alice, piece, review_days=0).json()
    assert [line["account"] for line in proposal["lines"]] == [alice.username, bob.username]
    assert bob.post(paths.PROPOSAL_FINALIZE.format(proposal_id=proposal["id"])).status_code == 403
    assert anon.get(paths.PROPOSAL.format(proposal_id=proposal["id"])).status_code == 200  # public space
    assert revenue(alice, "piece-missing", "1.00").status_code == 404


def test_a_private_space_owner_manages_members_comment_outsiders_see_nothing(
    server: ServerProcess, alice: Api, bob: Api
) -> None:
    carol, dave = signup(server.url, unique("carol")), signup(server.url, unique("dave"))
    space = alice.new_space("label")
    alice.add_member(space, bob.username, "editor")
    alice.add_member(space, carol.username, "viewer")
    piece = piece_id()
    publish(bob, space, piece, equal_credits([bob.username, "Session Drummer"]))
    # alice owns the space, so she may act for bob's piece; carol (viewer) may not; dave sees nothing
    assert revenue(alice, piece, "10.00").status_code == 201
    assert revenue(carol, piece, "1.00").status_code == 403
    assert revenue(dave, piece, "1.00").status_code == 404
    proposal = propose(alice, piece).json()
    pid = proposal["id"]
    assert dave.get(paths.PROPOSAL.format(proposal_id=pid)).status_code == 404
    assert dave.post(paths.PROPOSAL_COMMENTS.format(proposal_id=pid), json={"text": "hi"}).status_code == 404
    said = carol.post(paths.PROPOSAL_COMMENTS.format(proposal_id=pid), json={"text": "Looks fair"})
    assert said.status_code == 201, said.text
    assert said.json()["comments"][0]["author"] == carol.username
    assert said.json()["comments"][0]["text"] == "Looks fair"
    assert (
        Api(server.url).post(paths.PROPOSAL_COMMENTS.format(proposal_id=pid), json={"text": "x"}).status_code
        == 401
    )
    refused = alice.post(paths.PROPOSAL_FINALIZE.format(proposal_id=pid))
    assert refused.status_code == 409 and "open for review until" in refused.json()["detail"]
    assert alice.delete(f"/v1/spaces/{space}/members/{carol.username}").status_code == 204
    gone = carol.post(paths.PROPOSAL_COMMENTS.format(proposal_id=pid), json={"text": "still here?"})
    assert gone.status_code == 404
    assert carol.get(paths.PROPOSAL.format(proposal_id=pid)).status_code == 404


def test_a_credited_account_outside_the_private_space_may_see_and_comment(
    server: ServerProcess, alice: Api, bob: Api
) -> None:
    space = alice.new_space("label")
    piece = piece_id()
    publish(alice, space, piece, equal_credits([alice.username, f"@{bob.username}"]))
    revenue(alice, piece, "3.00")
    pid = propose(alice, piece).json()["id"]
    assert bob.get(paths.PROPOSAL.format(proposal_id=pid)).status_code == 200
    r = bob.post(paths.PROPOSAL_COMMENTS.format(proposal_id=pid), json={"text": "thanks"})
    assert r.status_code == 201


def test_the_review_window_holds_until_it_ends_and_final_proposals_never_change(
    make_server: Any, tmp_path: Any
) -> None:
    srv = make_server(root=tmp_path / "window").start()
    alice = signup(srv.url, unique("alice"))
    piece = piece_id()
    publish(alice, "public", piece, equal_credits([alice.username]))
    revenue(alice, piece, "20.00")
    proposal = propose(alice, piece).json()
    pid = proposal["id"]
    assert proposal["review_ends"] > proposal["created_at"]
    assert alice.post(paths.PROPOSAL_FINALIZE.format(proposal_id=pid)).status_code == 409
    again = propose(alice, piece)
    assert again.status_code == 409 and "still open" in again.json()["detail"]
    srv.clock.advance(13 * DAY + 23 * 3600)
    assert alice.post(paths.PROPOSAL_FINALIZE.format(proposal_id=pid)).status_code == 409
    srv.clock.advance(3600 + 60)
    done = alice.post(paths.PROPOSAL_FINALIZE.format(proposal_id=pid))
    assert done.status_code == 200 and done.json()["status"] == "final"
    assert alice.post(paths.PROPOSAL_FINALIZE.format(proposal_id=pid)).status_code == 409
    late = alice.post(paths.PROPOSAL_COMMENTS.format(proposal_id=pid), json={"text": "too late"})
    assert late.status_code == 409 and "final" in late.json()["detail"]
    assert alice.get(paths.PROPOSAL.format(proposal_id=pid)).json() == done.json()
    nothing = propose(alice, piece)
    assert nothing.status_code == 409 and "no revenue" in nothing.json()["detail"]


def finalize(api: Api, pid: str) -> dict[str, Any]:
    r = api.post(paths.PROPOSAL_FINALIZE.format(proposal_id=pid))
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_lines_below_the_minimum_are_carried_and_paid_once_the_balance_reaches_it(
    alice: Api, bob: Api
) -> None:
    piece = piece_id()
    shares = block((alice.username, 9000), (f"@{bob.username}", 1000))
    publish(alice, "public", piece, equal_credits([alice.username]), embedded_credits=shares)
    paid_to_bob: list[str] = []
    carried_for_bob: list[str] = []
    for _ in range(3):
        revenue(alice, piece, "30.00")
        proposal = finalize(alice, propose(alice, piece, review_days=0, minimum="5.00").json()["id"])
        bob_line = proposal["lines"][1]
        paid_to_bob.append(bob_line["paid"])
        carried_for_bob.append(bob_line["carried"])
        assert proposal["lines"][0]["paid"] == "27.00"
    # bob earns 3.00 a time: carried 3.00, then 6.00 >= 5.00 is paid, then 3.00 carried again
    assert paid_to_bob == ["0.00", "6.00", "0.00"]
    assert carried_for_bob == ["3.00", "0.00", "3.00"]
    st = bob.get(paths.STATEMENT).json()
    assert st["account"] == bob.username
    assert [(x["amount"], x["paid"], x["carried"]) for x in st["lines"]] == [
        ("3.00", "0.00", "3.00"),
        ("3.00", "6.00", "0.00"),
        ("3.00", "0.00", "3.00"),
    ]
    assert st["paid_total"] == "6.00" and st["carried_balance"] == "3.00"
    # nothing rounded away: what bob earned is what was paid plus what is carried
    assert Decimal(st["paid_total"]) + Decimal(st["carried_balance"]) == 3 * Decimal("3.00")


def test_unclaimed_names_are_held_for_the_owner_until_a_confirmed_claim(
    server: ServerProcess, alice: Api, bob: Api
) -> None:
    carol = signup(server.url, unique("carol"))
    piece = piece_id()
    publish(alice, "public", piece, equal_credits([alice.username, "Carol Jones"]))
    revenue(alice, piece, "10.01")
    first = finalize(alice, propose(alice, piece, review_days=0).json()["id"])
    held = first["lines"][1]
    assert held["account"] is None and held["paid"] == "0.00" and held["carried"] == held["amount"]
    owner_view = alice.get(paths.STATEMENT).json()
    assert [(u["name"], u["held"]) for u in owner_view["unclaimed"]] == [("Carol Jones", held["amount"])]
    assert carol.get(paths.STATEMENT).json()["lines"] == []
    # a claim must name someone the piece credits; the publisher confirms, nobody else can
    assert carol.post(paths.CLAIMS, json={"piece": piece, "name": "Nobody"}).status_code == 404
    made = carol.post(paths.CLAIMS, json={"piece": piece, "name": "carol jones"})
    assert made.status_code == 201 and made.json()["status"] == "pending"
    claim_id = made.json()["id"]
    assert [c["id"] for c in alice.get(paths.CLAIMS).json()["claims"]] == [claim_id]
    assert carol.post(paths.CLAIM_CONFIRM.format(claim_id=claim_id)).status_code == 403
    assert bob.post(paths.CLAIM_CONFIRM.format(claim_id=claim_id)).status_code == 403
    ok = alice.post(paths.CLAIM_CONFIRM.format(claim_id=claim_id))
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    assert alice.post(paths.CLAIM_CONFIRM.format(claim_id=claim_id)).status_code == 409
    assert alice.get(paths.STATEMENT).json()["unclaimed"] == []
    mine = carol.get(paths.STATEMENT).json()
    assert mine["carried_balance"] == held["amount"] and mine["paid_total"] == "0.00"
    # the next proposal pays what was held plus the new share
    revenue(alice, piece, "2.00")
    second = finalize(alice, propose(alice, piece, review_days=0).json()["id"])
    line = second["lines"][1]
    assert line["account"] == carol.username
    assert Decimal(line["paid"]) == Decimal(held["amount"]) + Decimal(line["amount"])
    after = carol.get(paths.STATEMENT).json()
    assert after["carried_balance"] == "0.00" and Decimal(after["paid_total"]) == Decimal(line["paid"])


def test_owners_of_a_private_space_see_the_claims_they_may_decide_and_a_repeated_claim_is_made_once(
    server: ServerProcess, alice: Api, bob: Api
) -> None:
    carol, dave = signup(server.url, unique("carol")), signup(server.url, unique("dave"))
    space = alice.new_space("label")
    alice.add_member(space, bob.username, "editor")
    alice.add_member(space, carol.username, "viewer")
    alice.add_member(space, dave.username, "owner")
    piece = piece_id()
    publish(bob, space, piece, equal_credits([bob.username, "Carol Jones"]))
    made = carol.post(paths.CLAIMS, json={"piece": piece, "space": space, "name": "Carol Jones"})
    assert made.status_code == 201 and made.json()["status"] == "pending"
    claim_id = made.json()["id"]
    again = carol.post(paths.CLAIMS, json={"piece": piece, "space": space, "name": "carol jones"})
    assert again.status_code == 200 and again.json() == made.json()  # a resend, not a second claim

    def listed(api: Api) -> list[str]:
        return [c["id"] for c in api.get(paths.CLAIMS).json()["claims"]]

    # the publisher and both owners may decide it, so all three see it; the claimant sees their own once
    assert listed(bob) == listed(alice) == listed(dave) == listed(carol) == [claim_id]
    # an owner removed from the space no longer sees it, nor may decide it
    assert alice.delete(f"/v1/spaces/{space}/members/{dave.username}").status_code == 204
    assert listed(dave) == []
    assert dave.post(paths.CLAIM_CONFIRM.format(claim_id=claim_id)).status_code == 404
    assert alice.post(paths.CLAIM_REJECT.format(claim_id=claim_id)).json()["status"] == "rejected"
    assert listed(alice) == listed(bob) == []  # decided: only its claimant still lists it
    assert [c["status"] for c in carol.get(paths.CLAIMS).json()["claims"]] == ["rejected"]
    # after a rejection the name may be claimed anew: a new claim, not the rejected one
    anew = carol.post(paths.CLAIMS, json={"piece": piece, "space": space, "name": "Carol Jones"})
    assert anew.status_code == 201 and anew.json()["id"] != claim_id
    assert listed(alice) == [anew.json()["id"]]


def test_every_ledger_change_is_in_the_space_feed(alice: Api, bob: Api) -> None:
    space = alice.new_space("audit")
    alice.add_member(space, bob.username, "viewer")
    piece = piece_id()
    publish(alice, space, piece, equal_credits([alice.username]))
    revenue(alice, piece, "4.00", note="streams")
    pid = propose(alice, piece, review_days=0).json()["id"]
    bob.post(paths.PROPOSAL_COMMENTS.format(proposal_id=pid), json={"text": "ok"})
    finalize(alice, pid)
    entries, _cursor = bob.pull_all(space)
    ledger = [e for e in entries if e["kind"] == "ledger"]
    assert [e["doc"]["event"] for e in ledger] == ["revenue", "proposal", "comment", "final"]
    assert ledger[0]["doc"]["amount"] == "4.00" and ledger[0]["doc"]["note"] == "streams"
    assert ledger[2]["author"] == bob.username
    assert ledger[3]["doc"]["status"] == "final" and ledger[3]["doc"]["lines"][0]["paid"] == "4.00"
    assert [e["seq"] for e in entries] == sorted({e["seq"] for e in entries})


def test_the_statement_is_only_ever_the_callers_own(server: ServerProcess, alice: Api, bob: Api) -> None:
    piece = piece_id()
    publish(alice, "public", piece, equal_credits([alice.username, f"@{bob.username}"]))
    revenue(alice, piece, "8.00")
    finalize(alice, propose(alice, piece, review_days=0).json()["id"])
    assert Api(server.url).get(paths.STATEMENT).status_code == 401
    bob_st = bob.get(paths.STATEMENT).json()
    assert {x["name"] for x in bob_st["lines"]} == {f"@{bob.username}"}
    assert bob.get(paths.STATEMENT, params={"currency": "USD"}).json()["lines"] == []


def test_revenue_sent_again_after_a_lost_answer_is_recorded_once(alice: Api) -> None:
    piece = piece_id()
    publish(alice, "public", piece, equal_credits([alice.username]))
    rid = secrets.token_hex(16)
    first = revenue(alice, piece, "7.50", id=rid)
    again = revenue(alice, piece, "7.50", id=rid)
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["unproposed"] == "7.50"
    other = revenue(alice, piece, "9.00", id=rid)
    assert other.status_code == 409 and "other values" in other.json()["detail"]
    assert propose(alice, piece, review_days=0).json()["revenue"] == "7.50"


def test_concurrent_proposals_and_finalizes_take_effect_once(alice: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    piece = piece_id()
    publish(alice, "public", piece, equal_credits([alice.username, "Someone Else"]))
    revenue(alice, piece, "9.99")
    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(lambda _: propose(alice, piece, review_days=0).status_code, range(6)))
    assert codes == [201] + [409] * 5
    listed = alice.get(paths.PROPOSALS, params={"piece": piece}).json()
    assert len(listed["proposals"]) == 1 and listed["unproposed"] == "0.00" and listed["may_manage"] is True
    pid = listed["proposals"][0]["id"]
    with ThreadPoolExecutor(6) as pool:
        done = sorted(
            pool.map(
                lambda _: alice.post(paths.PROPOSAL_FINALIZE.format(proposal_id=pid)).status_code, range(6)
            )
        )
    assert done == [200] + [409] * 5
    entries, _ = alice.pull_all("public")
    finals = [e for e in entries if e["kind"] == "ledger" and e["doc"].get("id") == pid]
    assert [e["doc"]["event"] for e in finals] == ["proposal", "final"]


def test_held_lines_show_to_the_publisher_and_the_owner_who_proposed(alice: Api, bob: Api) -> None:
    space = alice.new_space("label")
    alice.add_member(space, bob.username, "editor")
    piece = piece_id()
    publish(bob, space, piece, equal_credits([bob.username, "Session Drummer"]))
    revenue(alice, piece, "3.01")
    finalize(alice, propose(alice, piece, review_days=0).json()["id"])
    for who in (alice, bob):
        held = who.get(paths.STATEMENT).json()["unclaimed"]
        assert [(u["name"], u["held"], u["piece"]) for u in held] == [("Session Drummer", "1.50", piece)]
    assert bob.get(paths.STATEMENT).json()["paid_total"] == "1.51"


def test_a_claim_confirmed_on_one_piece_takes_nothing_owed_by_another(
    server: ServerProcess, alice: Api, bob: Api
) -> None:
    mallory = signup(server.url, unique("mallory"))
    honest, own = piece_id(), piece_id()
    publish(alice, "public", honest, equal_credits([alice.username, "Lars Berg"]))
    publish(mallory, "public", own, equal_credits([mallory.username, "Lars Berg"]))
    made = mallory.post(paths.CLAIMS, json={"piece": own, "name": "Lars Berg"}).json()
    assert mallory.post(paths.CLAIM_CONFIRM.format(claim_id=made["id"])).status_code == 200
    revenue(alice, honest, "10.00")
    line = finalize(alice, propose(alice, honest, review_days=0).json()["id"])["lines"][1]
    assert line["name"] == "Lars Berg" and line["account"] is None and line["carried"] == "5.00"
    assert mallory.get(paths.STATEMENT).json()["lines"] == []
    assert [u["name"] for u in alice.get(paths.STATEMENT).json()["unclaimed"]] == ["Lars Berg"]
