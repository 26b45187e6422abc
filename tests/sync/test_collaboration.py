"""Two and three collaborators edit one shared project offline, then sync in every order.

Each ends with the same project, where every edit is either applied or shown as a conflict: concurrent
move and trim of one item both apply, inserts at the same place both survive (listed as an overlap),
one field set to different values keeps both values in a conflict, an item deleted by one and trimmed by
the other is kept and flagged. Review markers with notes travel with the project.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from studio.core import edits
from studio.core.project import ProjectSession, create_project
from studio.services import sync as svc

F = Fraction


def edit(client, project: str, *steps) -> None:
    with client.store() as store:
        session = ProjectSession.open(store, project)
        for label, make in steps:
            session.apply(label, make)


def timeline(client, project: str) -> dict:
    with client.store() as store:
        return ProjectSession.open(store, project).timeline.to_dict()


def shared_base(server, machines, project: str, *names: str):
    """`names[0]` makes the project with five titles and shares it with the others as editors."""
    clients = [machines(n).signup(server.url) for n in names]
    owner = clients[0]
    with owner.store() as store:
        create_project(store, project)
    edit(
        owner,
        project,
        ("tracks", lambda tl: edits.add_track(tl, "video", "V1", track_id="v1")),
        ("V2", lambda tl: edits.add_track(tl, "video", "V2", track_id="v2")),
        *[
            (
                f"title {i}",
                lambda tl, name=name, start=start: edits.add_title(
                    tl, "V1", name, at=F(start), duration=F(2), item_id=name
                ),
            )
            for i, (name, start) in enumerate([("move", 0), ("trim", 3), ("same", 6), ("doomed", 9)])
        ],
    )
    for other in clients[1:]:
        owner.call(svc.share_project, project, other.user, "editor")
    for other in clients[1:]:
        assert other.call(svc.sync).state == "up_to_date"
    base = timeline(owner, project)
    assert all(timeline(c, project) == base for c in clients)
    return clients


def alice_offline(alice, project: str) -> None:
    edit(
        alice,
        project,
        ("Move", lambda tl: edits.move_item(tl, "move", at=F(20))),
        ("Trim", lambda tl: edits.trim_item(tl, "trim", source_out=F(1))),
        ("Insert", lambda tl: edits.add_title(tl, "V1", "from alice", at=F(30), item_id="alice-new")),
        ("Text", lambda tl: edits.set_text(tl, "same", "alice's words")),
        ("Delete", lambda tl: edits.remove_item(tl, "doomed")),
        ("Note", lambda tl: edits.add_marker(tl, F(5), "louder here", author="alice", marker_id="note-a")),
    )


def bob_offline(bob, project: str) -> None:
    edit(
        bob,
        project,
        ("Trim", lambda tl: edits.trim_item(tl, "move", source_out=F(3, 2))),
        ("Move", lambda tl: edits.move_item(tl, "trim", at=F(40))),
        ("Insert", lambda tl: edits.add_title(tl, "V1", "from bob", at=F(30), item_id="bob-new")),
        ("Text", lambda tl: edits.set_text(tl, "same", "bob's words")),
        ("Trim doomed", lambda tl: edits.trim_item(tl, "doomed", source_out=F(1))),
        ("Note", lambda tl: edits.add_marker(tl, F(7), "cut earlier?", author="bob", marker_id="note-b")),
    )


def check_every_edit_kept(final: dict) -> None:
    items = {i["id"]: i for i in final["items"]}
    conflicts = final["conflicts"]
    # Concurrent move and trim of one item: both applied.
    assert (items["move"]["start"], items["move"]["duration"]) == (20, "3/2")
    assert (items["trim"]["start"], items["trim"]["duration"]) == (40, 1)
    # Inserts at the same place: both survive.
    assert items["alice-new"]["start"] == items["bob-new"]["start"] == 30
    # One field, two values: one in effect, both kept in a conflict.
    assert items["same"]["text"] in ("alice's words", "bob's words")
    text = [c for c in conflicts if c["target"] == "same" and c["field"] == "text"]
    assert len(text) == 1 and sorted(text[0]["values"]) == ["alice's words", "bob's words"]
    # Deleted by one, trimmed by the other: kept with the trim, flagged.
    assert items["doomed"]["duration"] == 1
    assert [c["kind"] for c in conflicts if c["target"] == "doomed"] == ["deleted"]
    # Review notes from both.
    notes = {m["id"]: (m["note"], m["author"]) for m in final["markers"]}
    assert notes == {"note-a": ("louder here", "alice"), "note-b": ("cut earlier?", "bob")}


@pytest.mark.parametrize("order", ["alice-first", "bob-first"])
def test_two_collaborators_converge_with_every_edit_applied_or_flagged(server, machines, order):
    alice, bob = shared_base(server, machines, "Cut", "alice", "bob")
    alice_offline(alice, "Cut")
    bob_offline(bob, "Cut")
    first, second = (alice, bob) if order == "alice-first" else (bob, alice)
    first.call(svc.sync)
    second.call(svc.sync)
    report = first.call(svc.sync)

    final = timeline(alice, "Cut")
    assert timeline(bob, "Cut") == final
    check_every_edit_kept(final)
    kinds = sorted(c["kind"] for c in report.conflicts)
    assert kinds == ["deleted", "field", "overlap"]
    overlap = next(c for c in report.conflicts if c["kind"] == "overlap")
    assert sorted(overlap["values"]) == ["alice-new", "bob-new"]

    # The CLI says the same: exit 3 while conflicts remain, with the list in --json.
    done = bob.cli("sync", "--json")
    assert done.returncode == 3, done.stderr
    assert len(json.loads(done.stdout)["conflicts"]) == 3

    # Resolve: pick Bob's words, keep both inserted items, complete the deletion.
    with bob.store() as store:
        tl = ProjectSession.open(store, "Cut").timeline
        text_id = next(c.id for c in tl.conflicts.values() if c.field == "text")
        bob_index = tl.conflicts[text_id].values.index("bob's words")
        doomed_id = next(c.id for c in tl.conflicts.values() if c.target == "doomed")
    bob.call(svc.resolve_conflict, "Cut", text_id, bob_index)
    bob.call(svc.resolve_conflict, "Cut", overlap["id"])
    bob.call(svc.resolve_conflict, "Cut", doomed_id, 1)
    assert bob.call(svc.sync).conflicts == []
    assert alice.call(svc.sync).conflicts == []
    settled = timeline(alice, "Cut")
    assert settled == timeline(bob, "Cut")
    items = {i["id"]: i for i in settled["items"]}
    assert items["same"]["text"] == "bob's words"
    assert "doomed" not in items
    assert items["alice-new"]["track"] != items["bob-new"]["track"]
    assert alice.cli("sync").returncode == 0


def test_three_collaborators_with_duplicate_syncs(server, machines):
    alice, bob, carol = shared_base(server, machines, "Trio", "alice", "bob", "carol")
    alice_offline(alice, "Trio")
    bob_offline(bob, "Trio")
    edit(
        carol,
        "Trio",
        ("Text", lambda tl: edits.set_text(tl, "same", "carol's words")),
        ("Move", lambda tl: edits.move_item(tl, "move", track_ref="V2")),
    )
    for client in (carol, bob, carol, alice, alice, bob, carol):
        client.call(svc.sync)
    final = timeline(alice, "Trio")
    assert timeline(bob, "Trio") == final == timeline(carol, "Trio")
    items = {i["id"]: i for i in final["items"]}
    assert items["move"]["track"] == "v2" and items["move"]["start"] == 20
    text = [c for c in final["conflicts"] if c["target"] == "same" and c["field"] == "text"]
    assert len(text) == 1
    assert sorted(text[0]["values"]) == ["alice's words", "bob's words", "carol's words"]


def test_a_project_published_with_an_editor_and_a_viewer(server, machines):
    alice, bob, carol = (machines(n).signup(server.url) for n in ("alice", "bob", "carol"))
    with alice.store() as store:
        create_project(store, "Review")
    edit(
        alice,
        "Review",
        ("V1", lambda tl: edits.add_track(tl, "video", "V1", track_id="v1")),
        ("Title", lambda tl: edits.add_title(tl, "V1", "draft", at=F(0), item_id="t")),
    )
    published = alice.call(svc.publish_project, "Review", [(bob.user, "viewer"), (carol.user, "editor")])
    assert [m["role"] for m in published["members"]] == ["viewer", "editor"]
    for client in (bob, carol):
        client.call(svc.sync)
    done = bob.cli("pull", "Review")
    assert done.returncode == 0 and "Review is up to date" in done.stdout, done.stderr
    edit(
        bob,
        "Review",
        ("Note", lambda tl: edits.add_marker(tl, F(1), "too long", author="bob", marker_id="b")),
    )
    edit(
        carol,
        "Review",
        ("Note", lambda tl: edits.add_marker(tl, F(2), "agreed", author="carol", marker_id="c")),
    )
    report = bob.call(svc.sync)
    assert any("only view" in w for w in report.warnings)
    assert bob.call(svc.sync_summary)["unpushed_ops"] == 1, "the viewer's note stays here, not lost"
    carol.call(svc.sync)
    alice.call(svc.sync)
    assert [m["id"] for m in timeline(alice, "Review")["markers"]] == ["c"]
