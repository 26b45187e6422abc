"""Payouts and open calls end to end through the CLI: real media, a remix of a remix exported with its
credits, published, paid by the shares its file carries (read back with mutagen), statements as JSON and
CSV; and a call answered and accepted, which brings the clip into the owner's library."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from mutagen.mp4 import MP4

from studio.core.library import get_record
from studio.core.project import create_project
from studio.protocol.ids import claim_media
from studio.services import sync as svc
from studio.services.export import export_timeline
from studio.services.library import import_files, parse_creator
from studio.services.projects import add_clip, open_project
from tests import mediagen
from tests.sync.conftest import Client, unique


def published(result: dict[str, Any]) -> str:
    """The clip id of a publish that reached the server (a refused push leaves no revision)."""
    assert result["rev"] is not None, result
    return str(result["clip"])


def run_json(client: Client, *args: str) -> Any:
    done = client.cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def embedded_block(path: Path) -> dict[str, Any]:
    tags = MP4(str(path)).tags
    assert tags is not None
    return dict(json.loads(bytes(tags["----:com.apple.iTunes:CREDITS_JSON"][0]).decode()))


def test_a_remix_of_a_remix_pays_by_the_shares_in_its_file(server, machines, tmp_path):
    alice = machines("alice").signup(server.url)
    bob = machines("bob").signup(server.url)
    carol = machines("carol").signup(server.url)
    tag = unique("t")
    waves = mediagen.make_video(tmp_path / "waves.mp4", 2, frequency=577)
    hum = mediagen.make_audio(tmp_path / "hum.wav", 2, frequency=349)
    bell = mediagen.make_audio(tmp_path / "bell.wav", 1, frequency=947)
    with bob.store() as store:
        hum_clip = import_files(
            store,
            [hum],
            title=f"hum {tag}",
            creators=[parse_creator(f"@{bob.user}:music")],
            licence="CC-BY-4.0",
        )[0].clip
    published(bob.call(svc.publish_clip, hum_clip.id))
    with alice.store() as store:
        shot = import_files(
            store,
            [waves],
            title=f"waves {tag}",
            creators=[parse_creator(f"{alice.user}:camera")],
            licence="CC-BY-4.0",
        )[0].clip
    published(alice.call(svc.publish_clip, shot.id))
    assert alice.cli("pull", hum_clip.id).returncode == 0
    with alice.store() as store:
        create_project(store, f"first {tag}")
        session = open_project(store, f"first {tag}")
        add_clip(session, shot.id, track="V1")
        add_clip(session, hum_clip.id, track="A1")
        first = export_timeline(f"first {tag}", tmp_path / "first.mp4", store=store, editors=["Cy Ko"])
    first_id = published(alice.call(svc.publish_export, first.path))

    assert carol.cli("pull", first_id).returncode == 0
    with carol.store() as store:
        ring = import_files(
            store,
            [bell],
            title=f"bell {tag}",
            creators=[parse_creator(f"{carol.user}:sound")],
            licence="CC-BY-4.0",
        )[0].clip
        create_project(store, f"second {tag}")
        session = open_project(store, f"second {tag}")
        add_clip(session, first_id, track="V1")
        add_clip(session, first_id, track="A1")
        add_clip(session, ring.id, track="A2")
        second = export_timeline(f"second {tag}", tmp_path / "second.mp4", store=store, editors=[carol.user])
    published(carol.call(svc.publish_clip, ring.id))
    piece = published(carol.call(svc.publish_export, second.path))

    block = embedded_block(second.path)
    shares = {c["name"]: c["share_bp"] for c in block["contributors"]}
    assert {f"@{bob.user}", alice.user, "Cy Ko", carol.user} <= set(shares)  # transitive through both remixes

    refused = alice.cli("payouts", "revenue", piece, "--amount", "1.00", "--currency", "EUR")
    assert refused.returncode != 0 and "only the publisher" in refused.stderr
    rev = run_json(
        carol, "payouts", "revenue", piece, "--amount", "100.01", "--currency", "EUR", "--note", "Q3"
    )
    assert rev["unproposed"] == "100.01"
    proposal = run_json(carol, "payouts", "propose", piece, "--review-days", "0")
    lines = {line["name"]: line for line in proposal["lines"]}
    assert {name: line["share_bp"] for name, line in lines.items()} == shares
    assert sum(Decimal(line["amount"]) for line in proposal["lines"]) == Decimal("100.01")
    assert lines[f"@{bob.user}"]["account"] == bob.user
    assert lines[alice.user]["account"] == alice.user
    assert lines[carol.user]["account"] == carol.user
    assert lines["Cy Ko"]["account"] is None
    said = run_json(bob, "payouts", "comment", proposal["id"], "fine by me")
    assert said["comments"][-1] == {**said["comments"][-1], "author": bob.user, "text": "fine by me"}
    final = run_json(carol, "payouts", "finalize", proposal["id"])
    assert final["status"] == "final"
    assert bob.cli("payouts", "comment", proposal["id"], "late").returncode != 0

    statement = run_json(bob, "payouts", "statement", "--csv", str(tmp_path / "bob.csv"))
    assert statement["paid_total"] == lines[f"@{bob.user}"]["amount"]
    with open(tmp_path / "bob.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # The piece is carol's public claim about the file she published (named here by its hash).
    assert claim_media(proposal["piece"]) == piece
    assert [(r["account"], r["piece"], r["paid"]) for r in rows] == [
        (bob.user, proposal["piece"], statement["paid_total"])
    ]
    owner = run_json(carol, "payouts", "statement")
    assert [(u["name"], u["held"]) for u in owner["unclaimed"]] == [("Cy Ko", lines["Cy Ko"]["amount"])]
    shown = carol.cli("payouts", "show", proposal["id"], "--csv", str(tmp_path / "pay.csv"))
    assert shown.returncode == 0 and "(unclaimed)" in shown.stdout
    with open(tmp_path / "pay.csv", newline="") as fh:
        paid = {r["account"]: r["amount"] for r in csv.DictReader(fh)}
    assert paid == {
        n: lines[k]["paid"]
        for n, k in [(bob.user, f"@{bob.user}"), (alice.user, alice.user), (carol.user, carol.user)]
    }


def test_a_call_answered_and_accepted_lands_in_the_owners_library_with_its_credits(
    server, machines, tmp_path
):
    owner = machines("owner").signup(server.url)
    member = machines("member").signup(server.url)
    tag = unique("t")
    due = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    call = run_json(
        owner, "calls", "new", "public", "--brief", f"rain {tag}", "--due", due, "--licence", "CC-BY-4.0"
    )
    assert call["due"].startswith(due)
    rain = mediagen.make_audio(tmp_path / "rain.wav", 1, frequency=227)
    with member.store() as store:
        clip = import_files(
            store,
            [rain],
            title=f"rain {tag}",
            creators=[parse_creator("Mo Reyes:field recording")],
            licence="CC-BY-NC-4.0",
        )[0].clip
    published(member.call(svc.publish_clip, clip.id))
    wrong = member.cli("calls", "answer", call["id"], clip.id)
    assert wrong.returncode != 0 and "CC-BY-NC-4.0" in wrong.stderr and "wants CC-BY-4.0" in wrong.stderr
    bad_date = owner.cli("calls", "new", "public", "--brief", "x", "--due", "2026-02-30")
    assert bad_date.returncode != 0 and "2026-02-30" in bad_date.stderr
    with member.store() as store:
        good = import_files(
            store,
            [mediagen.make_audio(tmp_path / "rain2.wav", 1, frequency=251)],
            title=f"rain two {tag}",
            creators=[parse_creator("Mo Reyes:field recording")],
            licence="CC-BY-4.0",
        )[0].clip
    published(member.call(svc.publish_clip, good.id))
    assert member.cli("calls", "answer", call["id"], good.id).returncode == 0
    shown = run_json(owner, "calls", "show", call["id"])
    assert [(a["clip"], a["by"], a["accepted"]) for a in shown["answers"]] == [(good.id, member.user, False)]
    accepted = run_json(owner, "calls", "accept", call["id"], good.id)
    assert accepted["accepted"] is True
    with owner.store() as store:
        pulled = get_record(store, good.id)
        assert pulled.media_present
        assert [c.name for c in pulled.clip.credits] == ["Mo Reyes"]
        assert pulled.clip.licence == "CC-BY-4.0"


def test_a_claim_rejected_from_the_cli_links_nothing(server, machines, tmp_path):
    owner = machines("owner").signup(server.url)
    mallory = machines("mallory").signup(server.url)
    with owner.store() as store:
        clip = import_files(
            store,
            [mediagen.make_audio(tmp_path / "drums.wav", 1, frequency=313)],
            title=f"drums {unique('t')}",
            creators=[parse_creator(f"{owner.user}:mix"), parse_creator("Session Drummer:drums")],
            licence="CC-BY-4.0",
        )[0].clip
    piece = published(owner.call(svc.publish_clip, clip.id))
    made = run_json(mallory, "payouts", "claim", piece, "Session Drummer")
    assert made["status"] == "pending"
    listed = owner.cli("payouts", "claims")
    assert listed.returncode == 0
    assert f"Session Drummer -> @{mallory.user}" in listed.stdout
    assert listed.stdout.rstrip().endswith("pending  (yours to confirm or reject)")
    assert "yours to" not in mallory.cli("payouts", "claims").stdout  # mallory's own, not mallory's to decide
    refused = mallory.cli("payouts", "reject", made["id"])
    assert refused.returncode != 0 and "only the publisher" in refused.stderr
    rejected = run_json(owner, "payouts", "reject", made["id"])
    assert (rejected["status"], rejected["rejected_by"]) == ("rejected", owner.user)
    late = owner.cli("payouts", "confirm", made["id"])
    assert late.returncode != 0 and "rejected" in late.stderr
    assert run_json(owner, "payouts", "claims") == []
