"""The published JSON Schemas: valid draft 2020-12, met by every credits block and project file the code
writes (real exports rendered with ffmpeg, their tags read back with mutagen, a remix of one of them), and
broken documents refused at the edges with the faulty field named. The schemas are checked here with
jsonschema-rs directly, not through studio's own wrapper."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from mutagen.mp4 import MP4
from mutagen.oggvorbis import OggVorbis

from studio.core.errors import InvalidInput, MediaError
from studio.core.projectfile import project_document, save_project_file
from studio.media.tags import read_credits
from studio.protocol import schemas
from studio.services.export import export_timeline, resolve_timeline
from tests import mediagen
from tests.media.test_render_plan import clip_for, clip_map, timeline

WHEN = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)


def validator(name: str) -> Any:
    credits = schemas.schema(schemas.CREDITS)
    registry = jsonschema_rs.Registry([(credits["$id"], credits)])
    return jsonschema_rs.Draft202012Validator(schemas.schema(name), registry=registry)


def errors(name: str, doc: Any) -> list[str]:
    return [f"{list(e.instance_path)} {e.message}" for e in validator(name).iter_errors(doc)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A piece exported to MP4, then a remix of it (with a music bed) exported to Ogg: two real blocks,
    the second carrying the first's sources through `via`, and the two project files behind them."""
    folder = tmp_path_factory.mktemp("schema-exports")
    video = clip_for(mediagen.make_video(folder / "harbour.mp4", 1), credits=("Ann Lee",))
    music = clip_for(mediagen.make_audio(folder / "gulls.wav", 1, frequency=660), credits=("Bo",))
    first_tl = timeline([("V1", [dict(clip=video, start=0, duration=1)]),
                         ("A1", [dict(clip=music, start=0, duration=1)])])
    first_file = folder / "first.studio"
    save_project_file(first_file, "p-first", "First", first_tl, clip_map(video, music))
    first = export_timeline(first_file, folder / "out" / "first.mp4", editors=["Cy"], exported=WHEN)
    mp4_block = json.loads(bytes(MP4(str(first.path)).tags["----:com.apple.iTunes:CREDITS_JSON"][0]))

    remixed = replace(clip_for(first.path, credits=()), embedded_credits=mp4_block)
    remix_tl = timeline([("V1", [dict(clip=remixed, start=0, duration=1)]),
                         ("A1", [dict(clip=remixed, start=0, duration=1)]),
                         ("A2", [dict(clip=music, start=0, duration=1, gain_db=-6)])])
    remix_file = folder / "remix.studio"
    save_project_file(remix_file, "p-remix", "Remix", remix_tl, clip_map(remixed, music))
    second = export_timeline(remix_file, folder / "out" / "remix.ogg", exported=WHEN, editors=["Dee"])
    ogg_block = json.loads(OggVorbis(str(second.path))["CREDITS_JSON"][0])
    return {
        "blocks": [mp4_block, ogg_block],
        "sidecars": [json.loads(Path(f"{r.path}.credits.json").read_text("utf-8")) for r in (first, second)],
        "projects": [json.loads(p.read_text("utf-8")) for p in (first_file, remix_file)],
        "remix_out": second.path,
        "remix_file": remix_file,
    }


@pytest.mark.parametrize("name", [schemas.CREDITS, schemas.PROJECT])
def test_the_schemas_are_valid_draft_2020_12(name: str) -> None:
    doc = schemas.schema(name)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema_rs.meta.validate(doc)


def test_every_block_and_project_the_code_writes_conforms(exported: dict[str, Any]) -> None:
    mp4_block, ogg_block = exported["blocks"]
    assert any(s["via"] for s in ogg_block["sources"]), "the remix carries its source's sources"
    for block in (*exported["blocks"], *exported["sidecars"]):
        assert errors(schemas.CREDITS, block) == []
    assert all("export_sha256" in s for s in exported["sidecars"])
    for project in exported["projects"]:
        assert errors(schemas.PROJECT, project) == []
    remix_clips = exported["projects"][1]["clips"].values()
    assert [c["embedded_credits"] for c in remix_clips if c["embedded_credits"]] == [mp4_block]


def test_a_project_with_a_title_and_fractional_times_conforms(tmp_path: Path) -> None:
    video = clip_for(mediagen.make_video(tmp_path / "v.mp4", 1))
    tl = timeline([("V1", [dict(clip=video, start=0, duration=1, fade_in=Fraction(1, 2))]),
                   ("V2", [dict(kind="title", text="Hello", start=0, duration=1)])])
    doc = project_document(tmp_path / "p.studio", "p-1", "P", tl, clip_map(video))
    assert [i.get("fade_in") for i in doc["timeline"]["items"] if i.get("clip")] == ["1/2"]
    assert errors(schemas.PROJECT, doc) == []


BROKEN_BLOCKS = [
    ("contributors[0].share_bp", lambda b: b["contributors"][0].update(share_bp="50")),
    ("work.id", lambda b: b["work"].pop("id")),
    ("work.exported", lambda b: b["work"].update(exported="2026-05-06 07:08:09")),
    ("share_method", lambda b: b.update(share_method="loudest/1")),
    ("(top level)", lambda b: b.update(extra=1)),
    ("sources[0].via[0]", lambda b: b["sources"][0].update(via=[""])),
]


@pytest.mark.parametrize(("field", "breaks"), BROKEN_BLOCKS, ids=[f for f, _ in BROKEN_BLOCKS])
def test_broken_blocks_are_refused_naming_the_field(
    exported: dict[str, Any], field: str, breaks: Any
) -> None:
    block = copy.deepcopy(exported["blocks"][1])
    breaks(block)
    assert errors(schemas.CREDITS, block) != []
    problem = schemas.first_problem(schemas.CREDITS, block)
    assert problem is not None and problem.startswith(f"{field}:")


def test_a_file_whose_block_breaks_the_schema_is_refused_naming_the_field(
    exported: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "tampered.ogg"
    out.write_bytes(Path(exported["remix_out"]).read_bytes())
    block = copy.deepcopy(exported["blocks"][1])
    block["contributors"][0]["share_bp"] = 10001
    tags = OggVorbis(str(out))
    tags["CREDITS_JSON"] = json.dumps(block)
    tags.save()
    with pytest.raises(MediaError, match=r"contributors\[0\]\.share_bp: 10001 is greater than the maximum"):
        read_credits(out)


BROKEN_PROJECTS = [
    ("project.id", lambda d: d["project"].update(id="")),
    ("timeline.items[0].start", lambda d: d["timeline"]["items"][0].update(start=-1)),
    ("timeline.tracks[0].kind", lambda d: d["timeline"]["tracks"][0].update(kind="smell")),
    ("clips", lambda d: d["clips"].update({"not-a-sha": {"kind": "video"}})),
    ("(top level)", lambda d: d.update(autosave=True)),
]


@pytest.mark.parametrize(("field", "breaks"), BROKEN_PROJECTS, ids=[f for f, _ in BROKEN_PROJECTS])
def test_broken_project_files_are_refused_on_loading_naming_the_field(
    exported: dict[str, Any], tmp_path: Path, field: str, breaks: Any
) -> None:
    doc = copy.deepcopy(exported["projects"][1])
    breaks(doc)
    assert errors(schemas.PROJECT, doc) != []
    path = tmp_path / "broken.studio"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        resolve_timeline(path)
    assert str(caught.value).startswith(f"{path}: {field}")


def test_a_conforming_project_file_still_opens(exported: dict[str, Any]) -> None:
    resolved = resolve_timeline(exported["remix_file"])
    assert resolved.name == "Remix" and len(resolved.clips) == 2


def test_a_project_whose_clip_carries_a_broken_block_is_refused_on_loading(
    exported: dict[str, Any], tmp_path: Path
) -> None:
    doc = copy.deepcopy(exported["projects"][1])
    remix = next(cid for cid, c in doc["clips"].items() if c["embedded_credits"])
    doc["clips"][remix]["embedded_credits"]["contributors"][0].pop("share_bp")
    path = tmp_path / "broken-block.studio"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        resolve_timeline(path)
    assert str(caught.value) == f"{path}: clips.{remix}.embedded_credits.contributors[0].share_bp: missing"
