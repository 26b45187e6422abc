"""Clip and contributor records: exact round trip, lookup by id, prefix or title, contributors
shared between clips, and every change queued for sync."""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction as F

import pytest

from studio.core.clips import Credit
from studio.core.errors import InvalidInput, NotFound
from studio.core.library import (
    delete_clip,
    ensure_contributor,
    find_clip,
    get_clip,
    get_record,
    list_clips,
    list_contributors,
    save_clip,
    set_media_present,
)
from studio.core.paths import media_path
from studio.core.store import Store
from tests.core.conftest import make_clip


def test_a_clip_round_trips_exactly(store: Store) -> None:
    clip = replace(
        make_clip("harbour", "video", F(1001, 30)),
        credits=(Credit("Ann Lee", ("camera", "sound")), Credit("Bo", ("music",), F(2))),
        licence="CC-BY-4.0",
        owner="ann",
        lineage=("a" * 64,),
        embedded_credits={"schema": "studio-credits/1", "contributors": []},
        tags=("sea", "boats"),
        probe={"schema": "studio.probe/1", "duration": "1001/30"},
    )
    stored = save_clip(store, clip, source_name="harbour.mp4")
    assert stored.duration == F(1001, 30)
    assert [(c.name, c.roles, c.weight) for c in stored.credits] == [
        ("Ann Lee", ("camera", "sound"), 1),
        ("Bo", ("music",), 2),
    ]
    assert all(c.contributor_id for c in stored.credits)
    assert replace(stored, credits=clip.credits, path=None) == clip
    assert stored.path == media_path(clip.id)
    record = get_record(store, clip.id)
    assert (record.source_name, record.media_present, record.origin) == ("harbour.mp4", True, "local")
    set_media_present(store, clip.id, False)
    assert get_clip(store, clip.id).path is None


def test_people_are_one_contributor_across_clips(store: Store) -> None:
    a = save_clip(store, replace(make_clip("a"), credits=(Credit("Ann Lee"),)))
    b = save_clip(store, replace(make_clip("b"), credits=(Credit("Ann  Lee", ("music",)),)))
    assert a.credits[0].contributor_id == b.credits[0].contributor_id
    assert [p.name for p in list_contributors(store)] == ["Ann Lee"]
    assert ensure_contributor(store, " Ann Lee ").id == a.credits[0].contributor_id
    with pytest.raises(InvalidInput, match="needs a name"):
        ensure_contributor(store, "  ")


def test_clips_are_found_by_id_prefix_or_title(store: Store) -> None:
    harbour = save_clip(store, make_clip("harbour"))
    save_clip(store, make_clip("song", "audio"))
    save_clip(store, replace(make_clip("song2", "audio"), title="song"))
    assert find_clip(store, harbour.id) == harbour
    assert find_clip(store, harbour.id[:5]) == harbour
    assert find_clip(store, "HARBOUR") == harbour
    with pytest.raises(NotFound, match="clip 'song' is ambiguous"):
        find_clip(store, "song")
    with pytest.raises(NotFound, match="no clip 'nothing'"):
        find_clip(store, "nothing")
    assert [r.clip.title for r in list_clips(store, "son")] == ["song", "song"]
    assert len(list_clips(store)) == 3


def test_bad_records_are_refused(store: Store) -> None:
    with pytest.raises(InvalidInput, match="not a media id"):
        save_clip(store, replace(make_clip("x"), id="ABC"))
    with pytest.raises(InvalidInput, match="clip kind must be one of"):
        save_clip(store, replace(make_clip("x"), kind="hologram"))
    bad_lineage = replace(make_clip("x"), lineage=("a" * 64 + "\n",), credits=(Credit("Ann"),))
    with pytest.raises(InvalidInput, match=r"clip lineage\[0\]: not a clip id"):
        save_clip(store, bad_lineage)
    assert list_clips(store) == [] and list_contributors(store) == [] and store.outbox() == []


def test_clip_changes_are_queued_for_sync(store: Store) -> None:
    clip = save_clip(store, replace(make_clip("harbour"), credits=(Credit("Ann"),)))
    save_clip(store, replace(clip, title="Harbour at dawn"))
    rows = store.conn.execute("SELECT kind, record_id, payload FROM outbox ORDER BY seq").fetchall()
    assert [(k, r) for k, r, _ in rows][-2:] == [("clip", clip.id), ("clip", clip.id)]
    assert ("contributor", clip.credits[0].contributor_id) in [(k, r) for k, r, _ in rows]
    assert json.loads(rows[-1][2])["title"] == "Harbour at dawn"
    before = len(store.outbox())
    save_clip(store, replace(make_clip("pulled"), credits=(Credit("Cy"),)), origin="pulled", queue=False)
    assert len(store.outbox()) == before


def test_deleting_a_clip_takes_its_queued_changes_and_nothing_else(store: Store) -> None:
    gone = save_clip(store, replace(make_clip("gone"), credits=(Credit("Ann"),)))
    save_clip(store, replace(gone, title="gone again"))
    kept = save_clip(store, replace(make_clip("kept"), credits=(Credit("Bo"),)))
    assert delete_clip(store, gone.id) is True
    queued = [(e.kind, e.record_id) for e in store.outbox()]
    assert ("clip", gone.id) not in queued
    assert ("clip", kept.id) in queued
    assert ("contributor", gone.credits[0].contributor_id) in queued  # the person stays credited elsewhere
    with pytest.raises(NotFound):
        get_clip(store, gone.id)
    assert get_clip(store, kept.id) == kept
    assert delete_clip(store, gone.id) is False
