"""A clip's wire document has one encoder and one decoder (studio.sync.records) built on the Clip's codec:
documents and pulled rows are what the code before them made (tests/data/clip_codecs), a document reads
back into the same clip, and a credit is checked by the protocol's one shape on both sides."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from studio.core.library import save_clip
from studio.core.store import Store
from studio.protocol.records import credit_problem
from studio.server.merge import credits_problem
from studio.sync.records import (
    RecordRejected,
    clip_document,
    clip_from_document,
    credit_from_wire,
    local_doc,
    write_local,
)
from tests.core.conftest import CODEC_SAMPLES, codec_sample_clips
from tests.core.test_clip_codecs import ROW_COLUMNS


def _fixture(name: str) -> Any:
    return json.loads((CODEC_SAMPLES / name).read_text(encoding="utf-8"))


def test_documents_and_pulled_rows_are_as_before(tmp_path: Path) -> None:
    samples = codec_sample_clips(tmp_path)
    with Store(tmp_path / "here.db") as here:
        for clip in samples:
            save_clip(here, clip, source_name=clip.title + ".src", media_present=clip.path is not None)
        docs = {c.id: local_doc(here.conn, "clip", c.id)[0] for c in samples}
    assert json.loads(json.dumps(docs)) == _fixture("wire.json")
    with Store(tmp_path / "there.db") as there:
        rows = {}
        for clip in samples:
            with there.write() as conn:
                doc = docs[clip.id]
                write_local(conn, "clip", clip.id, doc, space="public", owner="bo", rev=3, create=True)
            row = there.conn.execute(f"SELECT {ROW_COLUMNS} FROM clips WHERE id = ?", (clip.id,)).fetchone()
            rows[clip.id] = dict(zip([c.strip() for c in ROW_COLUMNS.split(",")], row, strict=True))
    assert rows == _fixture("pulled-rows.json")


def test_a_document_reads_back_into_the_same_clip(tmp_path: Path) -> None:
    for clip in codec_sample_clips(tmp_path):
        doc = json.loads(json.dumps(clip_document(clip, "x.mp4")))
        assert doc["media"] == clip.id and doc["source_name"] == "x.mp4"
        assert clip_from_document(clip.id, doc, clip.owner) == replace(clip, path=None)


def test_older_documents_are_read_leniently(tmp_path: Path) -> None:
    clip = codec_sample_clips(tmp_path)[1]
    doc = {**clip_document(clip, ""), "title": None, "tags": None, "duration": 12.5, "has_video": 0}
    doc["credits"] = [{"name": "Cy", "role": "music", "weight": 3}]  # no roles list, no exact weight
    read = clip_from_document(clip.id, doc, "")
    assert (read.title, read.tags, read.duration, read.has_video) == ("", (), 12.5, False)
    assert [(c.name, c.roles, c.weight) for c in read.credits] == [("Cy", ("music",), 3)]


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ({"name": "Ann", "roles": ["camera"]}, "has no role"),
        ({"name": " ", "role": "camera"}, "has no name"),
        ({"name": "Ann", "role": "camera", "weight": -1}, "has weight -1"),
        ({"name": "Ann", "role": "camera", "weight": True}, "has weight True"),
        ({"name": "Ann", "role": "camera", "weight_exact": "2/0"}, "has weight_exact '2/0'"),
        ({"name": "Ann", "role": "camera", "roles": []}, "has roles []"),
        ("Ann", "is not an object"),
    ],
)
def test_a_credit_out_of_shape_is_refused_by_client_and_server_alike(entry: Any, named: str) -> None:
    assert named in (credit_problem(entry) or "")
    with pytest.raises(RecordRejected, match=re.escape(named)):
        credit_from_wire(entry)
    assert named in (credits_problem([{"name": "Bo", "role": "music"}, entry]) or "")


def test_a_document_with_a_wrong_field_is_refused_by_name(tmp_path: Path) -> None:
    clip = codec_sample_clips(tmp_path)[0]
    for change, named in (
        ({"kind": "hologram"}, "clip kind"),
        ({"lineage": ["me"]}, r"clip lineage\[0\]"),
        ({"embedded_credits": []}, "clip embedded_credits"),
        ({"duration": "soon"}, "clip duration 'soon'"),
    ):
        with pytest.raises(RecordRejected, match=named):
            clip_from_document(clip.id, {**clip_document(clip, ""), **change}, "")
    with pytest.raises(RecordRejected, match="not the SHA-256"):
        clip_from_document("abc", clip_document(clip, ""), "")
