"""Each shape of a clip has one codec: the domain dict, the project-file form and the store row round-trip,
write exactly what the code before them wrote (tests/data/clip_codecs), and no other module writes a clip
field by field."""

from __future__ import annotations

import ast
import json
import shutil
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import studio
from studio.core.clips import CLIP_KINDS, Clip, ClipFieldError, Credit
from studio.core.library import clip_columns, clip_from_columns, save_clip
from studio.core.projectfile import load_project_file, save_project_file
from studio.core.store import Store
from tests.core.conftest import CODEC_SAMPLES, codec_sample_clips

ROW_COLUMNS = (
    "id, title, kind, duration, has_video, has_audio, probe, credits, licence, owner, lineage, "
    "embedded_credits, tags, source_name, media_present, origin, space"
)


def test_a_project_file_written_before_loads_and_saves_to_the_same_bytes(tmp_path: Path) -> None:
    shutil.copy(CODEC_SAMPLES / "project.studio", tmp_path / "old.studio")
    meta, timeline, clips = load_project_file(tmp_path / "old.studio")
    assert (meta.id, meta.name) == ("p-codecs", "Codecs")
    assert clips == {c.id: c for c in codec_sample_clips(tmp_path)}
    save_project_file(tmp_path / "again.studio", meta.id, meta.name, timeline, clips)
    assert (tmp_path / "again.studio").read_bytes() == (CODEC_SAMPLES / "project.studio").read_bytes()


def test_store_rows_and_outbox_payloads_are_as_before(store: Store, tmp_path: Path) -> None:
    samples = codec_sample_clips(tmp_path)
    for clip in samples:
        save_clip(store, clip, source_name=clip.title + ".src", media_present=clip.path is not None)
    rows = {}
    for clip in samples:
        row = store.conn.execute(f"SELECT {ROW_COLUMNS} FROM clips WHERE id = ?", (clip.id,)).fetchone()
        rows[clip.id] = dict(zip([c.strip() for c in ROW_COLUMNS.split(",")], row, strict=True))
    assert rows == _fixture("store-rows.json")
    payloads = {e.record_id: e.payload for e in store.outbox() if e.kind == "clip"}
    assert payloads == _fixture("outbox.json")


def test_each_codec_round_trips_the_samples(tmp_path: Path) -> None:
    for clip in codec_sample_clips(tmp_path):
        bare = replace(clip, path=None)
        assert Clip.from_dict(json.loads(json.dumps(clip.to_dict()))) == bare
        assert clip_from_columns(clip_columns(clip), present=False) == bare
        form = json.loads(json.dumps(clip.to_file_dict("media/x.mp4")))
        assert Clip.from_file_dict(clip.id, form) == replace(clip, path=Path("media/x.mp4"))


_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8)
_credits = st.builds(
    Credit,
    name=_names.filter(lambda n: n.strip() == n),
    roles=st.lists(_names, min_size=1, max_size=3).map(tuple),
    weight=st.fractions(min_value=0, max_value=50, max_denominator=1000),
    contributor_id=st.sampled_from(["", "0123abcd" * 4]),
)
_clips = st.builds(
    Clip,
    id=st.text("0123456789abcdef", min_size=64, max_size=64),
    title=st.text(max_size=10),
    kind=st.sampled_from(CLIP_KINDS),
    duration=st.none() | st.fractions(min_value=Fraction(1, 1000), max_value=10**6, max_denominator=30000),
    credits=st.lists(_credits, max_size=3).map(tuple),
    licence=st.sampled_from(["", "CC-BY-4.0"]),
    owner=st.sampled_from(["", "ann"]),
    has_video=st.booleans(),
    has_audio=st.booleans(),
    lineage=st.lists(st.text("0123456789abcdef", min_size=64, max_size=64), max_size=2).map(tuple),
    embedded_credits=st.none() | st.just({"schema": "studio-credits/1"}),
    tags=st.lists(st.text(max_size=5), max_size=3).map(tuple),
    probe=st.just({}) | st.just({"duration": "1/2"}),
)


@settings(max_examples=60, deadline=None)
@given(_clips)
def test_any_clip_round_trips_through_each_codec(clip: Clip) -> None:
    assert Clip.from_dict(json.loads(json.dumps(clip.to_dict()))) == clip
    assert clip_from_columns(clip_columns(clip), present=False) == clip
    assert Clip.from_file_dict(clip.id, json.loads(json.dumps(clip.to_file_dict(None)))) == clip


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"kind": "hologram"}, "kind", "expected one of video, audio, image, title, got 'hologram'"),
        ({"credits": [{"name": "Ann"}, {"name": ""}]}, "credits[1]", "credit: missing name"),
        ({"lineage": ["me"]}, "lineage[0]", "not a clip id: 'me'"),
        ({"tags": "sea"}, "tags", "expected a list, got text"),
        ({"has_audio": 1}, "has_audio", "expected true/false, got a number"),
        ({"duration": "1/0"}, "duration", "not a time"),
        ({"id": "ABC"}, "id", "not a media id"),
        ({"colour": "red"}, "", "unknown field(s) colour"),
    ],
)
def test_a_wrong_field_is_named(change: dict[str, Any], field: str, problem: str, tmp_path: Path) -> None:
    doc = {**codec_sample_clips(tmp_path)[0].to_dict(), **change}
    with pytest.raises(ClipFieldError) as caught:
        Clip.from_dict(doc)
    assert caught.value.field == field
    assert problem in caught.value.problem


def test_a_project_file_refuses_a_duration_that_is_not_positive(tmp_path: Path) -> None:
    clip = codec_sample_clips(tmp_path)[1]
    with pytest.raises(ClipFieldError, match="duration: must be positive, got 0"):
        Clip.from_file_dict(clip.id, {**clip.to_file_dict(None), "duration": 0})


_CLIP_FIELDS = {"title", "kind", "duration", "credits", "licence", "owner", "lineage", "tags", "probe"}
_CODEC_ONLY = {"embedded_credits", "has_video", "has_audio"}
_ALLOWED = {
    ("core/clips.py", "to_dict"),  # the domain dict
    ("core/projectfile.py", "_draft_clips"),  # the upgrade of the draft format's clip table
}


def test_no_other_module_writes_a_clip_field_by_field() -> None:
    """A dict display holding the clip-only fields and four more clip fields is a copy of the codec."""
    root = Path(studio.__file__).parent
    found = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            for node in ast.walk(func):
                if isinstance(node, ast.Dict):
                    keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                    if keys & _CODEC_ONLY and len(keys & _CLIP_FIELDS) >= 4:
                        found.add((path.relative_to(root).as_posix(), func.name))
    assert found == _ALLOWED


def _fixture(name: str) -> Any:
    return json.loads((CODEC_SAMPLES / name).read_text(encoding="utf-8"))
