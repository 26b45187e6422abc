"""Two collaborators with their own data folders and a live server: the same value set by both offline
stays two edits (one undoing keeps the other's), and tracks both add offline end with distinct names."""

from __future__ import annotations

from studio.core import edits
from studio.core.project import ProjectSession
from studio.services import sync as svc
from tests.sync.test_collaboration import edit, shared_base, timeline


def undo(client, project: str) -> str:
    with client.store() as store:
        return ProjectSession.open(store, project).undo()


def synced(*clients) -> None:
    for _ in range(2):  # the second round brings each the other's last push
        for client in clients:
            assert client.call(svc.sync).state == "up_to_date"


def test_undo_keeps_a_collaborators_identical_edit_and_new_tracks_get_distinct_names(
    server, machines
) -> None:
    alice, bob = shared_base(server, machines, "Alike", "alice", "bob")
    edit(alice, "Alike", ("Text", lambda tl: edits.set_text(tl, "same", "both of us")))
    edit(bob, "Alike", ("Text", lambda tl: edits.set_text(tl, "same", "both of us")))
    edit(alice, "Alike", ("Add track", lambda tl: edits.add_track(tl, "video", track_id="alice-track")))
    edit(bob, "Alike", ("Add track", lambda tl: edits.add_track(tl, "video", track_id="bob-track")))
    synced(alice, bob)
    state = timeline(alice, "Alike")
    assert timeline(bob, "Alike") == state
    names = {t["id"]: t["name"] for t in state["tracks"]}
    assert sorted(names.values()) == ["V1", "V2", "V3", "V4"]
    assert {names["alice-track"], names["bob-track"]} == {"V3", "V4"}
    assert undo(alice, "Alike") == "Add track"
    assert undo(alice, "Alike") == "Text"
    synced(alice, bob)
    for client in (alice, bob):
        state = timeline(client, "Alike")
        same = next(i for i in state["items"] if i["id"] == "same")
        assert same["text"] == "both of us"  # bob's edit stays though alice undid hers
        assert "alice-track" not in {t["id"] for t in state["tracks"]}
        assert not state["conflicts"]
    assert timeline(alice, "Alike") == timeline(bob, "Alike")
