"""Licences at export, end to end: a refused export names its clips and rules and writes nothing at
the output; an accepted one carries the attribution lines in its credits block, its human tags and its
sidecar in every container, read back with ffmpeg, mutagen and exiftool."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import mutagen
import pytest

from studio.core.licences import RULE_ND, RULE_SA_NC, RULE_UNLICENSED
from studio.core.projectfile import save_project_file
from studio.media.tags import read_credits
from studio.services.export import export_timeline
from studio.services.licensing import LicenceRefused
from tests import mediagen
from tests.deps import missing_dependency
from tests.media.test_render_plan import clip_for, clip_map, timeline

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
CONTAINERS = ["mp4", "mkv", "webm", "m4a", "mp3", "wav", "flac", "ogg"]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("licence-media")
    return {
        "video": mediagen.make_video(folder / "harbour.mp4", 1, size="160x120"),
        "music": mediagen.make_audio(folder / "gulls.wav", 1, frequency=660),
    }


def project(tmp_path: Path, media: dict[str, Path], video_licence: str, music_licence: str) -> Path:
    video = clip_for(media["video"], credits=("Ann Lee", "Cy"), licence=video_licence)
    music = clip_for(media["music"], credits=("Bo",), licence=music_licence)
    tl = timeline([("V1", [dict(clip=video, start=0, duration=1)]),
                   ("A1", [dict(clip=music, start=0, duration=1)])], size=(160, 120))
    path = tmp_path / "harbour.studio"
    save_project_file(path, "p-harbour", "Harbour", tl, clip_map(video, music))
    return path


@pytest.mark.parametrize(
    ("video_licence", "music_licence", "rule", "named"),
    [
        ("CC-BY-ND-4.0", "CC-BY-4.0", RULE_ND, "harbour (CC-BY-ND-4.0)"),
        ("CC-BY-SA-4.0", "CC-BY-NC-4.0", RULE_SA_NC, "harbour (CC-BY-SA-4.0); gulls (CC-BY-NC-4.0)"),
        ("CC-BY-4.0", "", RULE_UNLICENSED, "gulls (no licence)"),
    ],
)
def test_a_refused_export_names_clips_and_rule_and_writes_nothing(
    media: dict[str, Path], tmp_path: Path, video_licence: str, music_licence: str, rule: str, named: str
) -> None:
    path = project(tmp_path, media, video_licence, music_licence)
    out = tmp_path / "out" / "harbour.mp4"
    out.parent.mkdir()
    out.write_bytes(b"an earlier export")
    with pytest.raises(LicenceRefused) as err:
        export_timeline(path, out, exported=WHEN, force=True)
    assert f"{rule}: {named}" in str(err.value).splitlines()
    assert out.read_bytes() == b"an earlier export"
    assert sorted(p.name for p in out.parent.iterdir()) == ["harbour.mp4"]  # no temp, no sidecar


def test_cli_refusal_and_rights_cleared(media: dict[str, Path], tmp_path: Path) -> None:
    path = project(tmp_path, media, "CC-BY-4.0", "")
    out = tmp_path / "harbour.m4a"
    studio = [sys.executable, "-m", "studio.cli.main"]
    refused = subprocess.run([*studio, "render", str(path), "-o", str(out)], capture_output=True, text=True)
    assert refused.returncode == 2 and not out.exists()
    assert "gulls (no licence)" in refused.stderr and "--rights-cleared" in refused.stderr
    done = subprocess.run(
        [*studio, "render", str(path), "-o", str(out), "--rights-cleared", "gulls", "--json"],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["licence"] == "CC-BY-4.0"
    assert "gulls" in done.stderr and "rights cleared" in done.stderr
    shown = subprocess.run([*studio, "credits", str(out)], capture_output=True, text=True)
    assert shown.returncode == 0
    after = shown.stdout.split("Attribution:\n", 1)[1]
    assert after.startswith('  "gulls" by Bo — clip ') and "— NOASSERTION" in after
    assert '"harbour" by Ann Lee, Cy — clip ' in after


def test_commercial_export_refuses_nc(media: dict[str, Path], tmp_path: Path) -> None:
    path = project(tmp_path, media, "CC-BY-NC-4.0", "CC-BY-4.0")
    out = tmp_path / "harbour.flac"
    with pytest.raises(LicenceRefused, match=r"commercial space: .*: harbour \(CC-BY-NC-4.0\)"):
        export_timeline(path, out, exported=WHEN, commercial=True)
    assert not out.exists()
    assert export_timeline(path, out, exported=WHEN).block["work"]["licence"] == "CC-BY-NC-4.0"


@pytest.fixture(scope="module")
def exports(media: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("licence-exports")
    path = project(folder, media, "CC-BY-SA-4.0", "CC0-1.0")
    return {fmt: export_timeline(path, folder / f"harbour.{fmt}", exported=WHEN).path for fmt in CONTAINERS}


EXPECTED = [  # sources in block order: equal seconds, then by title
    '"gulls" by Bo — clip {music} — CC0-1.0 (https://creativecommons.org/publicdomain/zero/1.0/)',
    '"harbour" by Ann Lee, Cy — clip {video} — CC-BY-SA-4.0 (https://creativecommons.org/licenses/by-sa/4.0/)',
]


def expected_lines(media: dict[str, Path]) -> list[str]:
    from studio.media.hashing import sha256_file

    ids = {"video": sha256_file(media["video"]), "music": sha256_file(media["music"])}
    return [line.format(**ids) for line in EXPECTED]


@pytest.mark.parametrize("fmt", CONTAINERS)
def test_attribution_reads_back_from_every_container(
    exports: dict[str, Path], media: dict[str, Path], fmt: str
) -> None:
    out = exports[fmt]
    lines = expected_lines(media)
    block = read_credits(out)
    assert block is not None and block["attribution"] == lines and block["work"]["licence"] == "CC-BY-SA-4.0"
    sidecar = json.loads(out.with_name(out.name + ".credits.json").read_text(encoding="utf-8"))
    assert sidecar["attribution"] == lines
    if fmt == "ogg":  # ffmpeg reports Ogg comments per stream: read the human tag with mutagen
        tags = "\n".join(mutagen.File(out).tags["DESCRIPTION"])
    else:  # ffmpeg's reading of the human tags
        tags = "\n".join(mediagen.ffmetadata(out).values())
    for line in lines:
        assert line in tags, (fmt, line, tags)
    if fmt not in ("mkv", "webm"):  # mutagen cannot read Matroska; ffmpeg read its tags above
        assert json.loads(_credits_text(mutagen.File(out)))["attribution"] == lines


def _credits_text(found: object) -> str:
    tags = found.tags  # type: ignore[attr-defined]
    for key in ("----:com.apple.iTunes:CREDITS_JSON", "TXXX:CREDITS_JSON", "CREDITS_JSON", "credits_json"):
        if key in tags:
            value = tags[key]
            if key.startswith("----"):
                return bytes(value[0]).decode("utf-8")
            if key.startswith("TXXX"):
                return str(value.text[0])
            return str(value[0])
    raise AssertionError(f"no CREDITS_JSON among {list(tags.keys())}")


def test_exiftool_reads_the_attribution(exports: dict[str, Path], media: dict[str, Path]) -> None:
    exiftool = shutil.which("exiftool")
    if exiftool is None:
        missing_dependency("exiftool is not on PATH here (CI installs it)")
    lines = expected_lines(media)
    for fmt, out in exports.items():
        dump = subprocess.run([exiftool, "-j", "-a", "-u", "-G1", str(out)], capture_output=True, text=True,
                              check=True).stdout
        text = json.dumps(json.loads(dump), ensure_ascii=False)
        for line in lines:
            assert json.dumps(line, ensure_ascii=False)[1:-1] in text, (fmt, line)
