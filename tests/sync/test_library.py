"""The shared library end to end: publish clips with credits and licence, publish a finished export
as a new clip whose lineage lists its sources, search, pull on another machine with credits, lineage
and identical media; clip records of a shared project that two people retitle at once become a
listed conflict that either can resolve."""

from __future__ import annotations

import filecmp
import json
from dataclasses import replace

import av
import pytest

from studio.core.errors import InvalidInput
from studio.core.identity import contributor_id
from studio.core.library import find_clip, get_record, save_clip
from studio.core.project import create_project
from studio.services import sync as svc
from studio.services.export import export_timeline
from studio.services.library import import_files, parse_creator
from studio.services.projects import add_clip, open_project
from tests import mediagen
from tests.sync.conftest import unique


def test_publish_search_and_pull_with_credits_licence_and_lineage(server, machines, tmp_path):
    alice = machines("alice").signup(server.url)
    bob = machines("bob").signup(server.url)
    tag = unique("t")
    video = mediagen.make_video(tmp_path / "waves.mp4", 2, frequency=523)
    tone = mediagen.make_audio(tmp_path / "hum.wav", 2, frequency=311)
    with alice.store() as store:
        shot = import_files(
            store,
            [video],
            title=f"waves {tag}",
            creators=[parse_creator("Ann Lee:camera")],
            licence="CC-BY-4.0",
        )[0].clip
        hum = import_files(
            store, [tone], title=f"hum {tag}", creators=[parse_creator("Bo Diaz:music")], licence="CC-BY-4.0"
        )[0].clip
    done = alice.cli("publish", shot.id[:12], "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["clip"] == shot.id
    alice.call(svc.publish_clip, hum.id)

    with alice.store() as store:
        create_project(store, f"remix {tag}")
        session = open_project(store, f"remix {tag}")
        add_clip(session, shot.id, track="V1")
        add_clip(session, hum.id, track="A1")
        export = export_timeline(
            f"remix {tag}", tmp_path / "remix.mp4", store=store, editors=["Cy Ko"], title=f"remix {tag}"
        )
    with pytest.raises(InvalidInput, match="not a studio export"):
        alice.call(svc.publish_export, tone)
    published = alice.call(svc.publish_export, export.path)
    remix_id = published["clip"]
    assert sorted(published["lineage"]) == sorted([shot.id, hum.id])

    found = bob.cli("library", "search", tag, "--json")
    assert found.returncode == 0, found.stderr
    hits = {h["id"]: h for h in json.loads(found.stdout)}
    assert set(hits) == {shot.id, hum.id, remix_id}
    assert hits[shot.id]["credits"] == [
        {"name": "Ann Lee", "role": "camera", "roles": ["camera"], "contributor": contributor_id("Ann Lee")}
    ]
    assert sorted(hits[remix_id]["lineage"]) == sorted([shot.id, hum.id])
    audio_only = json.loads(bob.cli("library", "search", tag, "--kind", "audio", "--json").stdout)
    assert [h["id"] for h in audio_only] == [hum.id]

    pulled = bob.cli("pull", f"remix {tag}")
    assert pulled.returncode == 0, pulled.stderr
    with bob.store() as store:
        remix = get_record(store, remix_id)
        assert remix.origin == "pulled" and remix.media_present
        assert filecmp.cmp(remix.clip.path, export.path, shallow=False)
        assert sorted(remix.clip.lineage) == sorted([shot.id, hum.id])
        names = {c.name for c in remix.clip.credits}
        assert {"Ann Lee", "Bo Diaz", "Cy Ko"} <= names
        assert remix.clip.licence == export.block["work"]["licence"]
        ancestor = get_record(store, shot.id)
        assert (ancestor.clip.title, ancestor.clip.licence) == (f"waves {tag}", "CC-BY-4.0")
        assert [(c.name, c.roles) for c in ancestor.clip.credits] == [("Ann Lee", ("camera",))]
        assert not ancestor.media_present, "ancestors come as records; their media on request"
        path = remix.clip.path
    with av.open(str(path)) as container:
        assert container.duration / av.time_base > 1.5
    credits = bob.cli("credits", str(path), "--json")
    assert credits.returncode == 0, credits.stderr
    assert "Ann Lee" in credits.stdout and "Bo Diaz" in credits.stdout


def test_publishing_without_credits_or_licence_is_refused(server, machines, tmp_path):
    alice = machines("alice").signup(server.url)
    tone = mediagen.make_audio(tmp_path / "bare.wav", 1, frequency=733)
    done = alice.cli("publish", str(tone))
    assert done.returncode == 2 and "credits nobody" in done.stderr
    done = alice.cli("publish", str(tone), "--creator", "Ann Lee")
    assert done.returncode == 2 and "no licence" in done.stderr
    assert json.loads(alice.cli("library", "search", "bare", "--json").stdout) == []


def test_concurrent_retitles_of_a_shared_clip_are_listed_and_resolved(server, machines, tmp_path):
    alice = machines("alice").signup(server.url)
    bob = machines("bob").signup(server.url)
    tone = mediagen.make_audio(tmp_path / "shared.wav", 1, frequency=617)
    with alice.store() as store:
        clip = import_files(
            store, [tone], title="take 1", creators=[parse_creator("Ann Lee")], licence="CC0-1.0"
        )[0].clip
        create_project(store, "Band")
        add_clip(open_project(store, "Band"), clip.id, track="A1")
    alice.call(svc.share_project, "Band", bob.user, "editor")
    bob.call(svc.sync)
    with bob.store() as store:
        pulled = get_record(store, clip.id)
        assert pulled.media_present and pulled.clip.title == "take 1"
        save_clip(store, replace(pulled.clip, title="bob's take"), origin=pulled.origin, space=pulled.space)
    with alice.store() as store:
        mine = get_record(store, clip.id)
        save_clip(store, replace(mine.clip, title="alice's take"), origin=mine.origin, space=mine.space)
    bob.call(svc.sync)
    alice.call(svc.sync)
    report = bob.call(svc.sync)
    records = [c for c in report.conflicts if c["where"] == "record"]
    assert len(records) == 1
    conflict = records[0]
    assert (conflict["id"], conflict["field"]) == (clip.id, "title")
    assert {conflict["server"], conflict["client"]} == {"alice's take", "bob's take"}

    alice.call(svc.resolve_record_conflict, "clip", clip.id, "title", "final take")
    assert alice.call(svc.sync).conflicts == []
    assert bob.call(svc.sync).conflicts == []
    for client in (alice, bob):
        with client.store() as store:
            assert find_clip(store, clip.id).title == "final take"
