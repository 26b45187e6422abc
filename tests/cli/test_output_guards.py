"""What `studio render` and `studio project export` may write: never an input, the library's database or
media copies, a read-only file or (without --force) a file of another kind; long names, unreadable
files, read-only folders and protocol-looking names end in one clear line, never a traceback.

The tests run as root in CI, where permission bits do not stop a read or a write: the faults are made
in ways that hold for root too (sysfs refuses new files and reading write-only attributes; a read-only
file is recognised by its mode bits), and with chmod when not root.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from studio.core.projectfile import save_project_file
from tests import mediagen
from tests.cli.conftest import STUDIO, Run, ok, one_line_error
from tests.media.test_render_plan import clip_for, clip_map, timeline


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unreadable_file(tmp_path: Path) -> Path:
    """A file whose read fails with 'Permission denied', for root as for anyone."""
    if os.geteuid() != 0:
        path = mediagen.make_audio(tmp_path / "locked.wav", 1)
        path.chmod(0)
        return path
    write_only = sorted(glob.glob("/sys/bus/*/uevent") + glob.glob("/sys/module/*/uevent"))
    assert write_only, "no write-only sysfs attribute to read (is /sys mounted?)"
    return Path(write_only[0])


def read_only_folder(tmp_path: Path) -> Path:
    """A folder where no file can be created, for root as for anyone."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    return Path("/sys")


@pytest.fixture()
def project(cli_media: dict[str, Path], tmp_path: Path) -> tuple[Path, Path, Path]:
    """A project file cutting copies of the CLI media, returning (project, video, tone)."""
    video = Path(shutil.copy(cli_media["video"], tmp_path / "harbour.mp4"))
    tone = Path(shutil.copy(cli_media["tone"], tmp_path / "gulls.wav"))
    v, t = clip_for(video), clip_for(tone)
    tl = timeline([("V1", [dict(clip=v, start=0, duration=1)]), ("A1", [dict(clip=t, start=0, duration=1)])],
                  size=(160, 120))
    path = tmp_path / "harbour.studio"
    save_project_file(path, "p-harbour", "Harbour", tl, clip_map(v, t))
    return path, video, tone


def test_render_refuses_to_overwrite_its_inputs(studio: Run, project: tuple[Path, Path, Path]) -> None:
    timeline_file, video, tone = project
    before = {p: digest(p) for p in (timeline_file, video, tone)}
    for target, fmt, named in ((video, "mp4", "clip harbour"), (tone, "wav", "clip gulls"),
                               (timeline_file, "mp4", "timeline file")):
        line = one_line_error(studio("render", timeline_file, "-o", target, "--format", fmt))
        assert named in line and str(target) in line
    assert {p: digest(p) for p in before} == before


def test_render_refuses_the_library_database_and_media_copies(studio: Run, cli_media: dict[str, Path],
                                                              studio_dirs: dict[str, str],
                                                              tmp_path: Path) -> None:
    (clip_id,) = ok(studio("import", cli_media["video"])).split()
    ok(studio("project", "new", "walk"))
    ok(studio("project", "add", "walk", clip_id, "--track", "V1", "--out", "1"))
    ok(studio("project", "add", "walk", clip_id, "--track", "A1", "--out", "1"))
    data = Path(studio_dirs["STUDIO_DATA_DIR"])
    database = data / "studio.db"
    (copy,) = [p for p in (data / "media").rglob("*") if p.is_file() and clip_id in p.name]
    before = {p: digest(p) for p in (database, copy)}
    for target, fmt in ((copy, "mp4"), (database, "mp4"), (data / "elsewhere.mp4", "mp4")):
        line = one_line_error(studio("render", "walk", "-o", target, "--format", fmt))
        assert "data folder" in line or "reads" in line
    line = one_line_error(studio("project", "export", "walk", "-o", data / "walk.otio"))
    assert "data folder" in line
    assert {p: digest(p) for p in before} == before
    # the .otio being rendered is an input too
    otio = tmp_path / "walk.otio"
    ok(studio("project", "export", "walk", "-o", otio))
    kept = digest(otio)
    line = one_line_error(studio("render", otio, "-o", otio, "--format", "mp4"))
    assert "timeline file walk.otio" in line
    assert digest(otio) == kept


def test_replacing_a_file_of_another_kind_needs_force(
    studio: Run, cli_media: dict[str, Path], project: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    ok(studio("import", cli_media["video"]))
    ok(studio("project", "new", "walk"))
    song = mediagen.make_audio(tmp_path / "song.mp3", 1)
    kept = digest(song)
    line = one_line_error(studio("project", "export", "walk", "-o", song))
    assert "existing MP3 file" in line and "--force" in line
    assert digest(song) == kept
    ok(studio("project", "export", "walk", "-o", song, "--force"))
    assert b"OTIO_SCHEMA" in song.read_bytes()
    # a render over a file of the kind it writes replaces it and keeps its permissions
    timeline_file, _video, _tone = project
    out = tmp_path / "cut.mp4"
    ok(studio("render", timeline_file, "-o", out))
    out.chmod(0o640)
    ok(studio("render", timeline_file, "-o", out, "--title", "Again"))
    assert out.stat().st_mode & 0o777 == 0o640
    assert json.loads(ok(studio("credits", out, "--json")))["work"]["title"] == "Again"
    # ... but a project file there is another kind, and a read-only file is never replaced
    notes = tmp_path / "notes.mp4"
    shutil.copy(timeline_file, notes)
    assert "existing studio project file" in one_line_error(studio("render", timeline_file, "-o", notes))
    out.chmod(0o444)
    kept = digest(out)
    assert "read-only" in one_line_error(studio("render", timeline_file, "-o", out, "--force"))
    assert digest(out) == kept


def test_long_output_names(studio: Run, project: tuple[Path, Path, Path], tmp_path: Path) -> None:
    timeline_file, _video, _tone = project
    name = "港の夜明けと鴎の声" * 8 + "ですね"  # 75 characters, 225 bytes in UTF-8
    out = tmp_path / f"{name}.mp4"
    assert len(os.fsencode(out.name)) >= 205
    ok(studio("render", timeline_file, "-o", out))
    assert out.is_file() and out.with_name(out.name + ".credits.json").is_file()
    too_long = tmp_path / f"{name}{'の' * 6}.mp4"
    line = one_line_error(studio("render", timeline_file, "-o", too_long))
    assert "bytes long" in line and "shorter name" in line
    written = sorted(p.name for p in tmp_path.iterdir() if name in p.name)
    assert written == [out.name, out.name + ".credits.json"]


def test_permission_faults_are_one_line(
    studio: Run, project: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    timeline_file, _video, _tone = project
    locked = unreadable_file(tmp_path)
    line = one_line_error(studio("import", locked))
    assert str(locked) in line and "Permission denied" in line
    done = studio("credits", locked)
    assert done.returncode != 0 and "Traceback" not in done.stderr and str(locked) in done.stderr
    folder = read_only_folder(tmp_path)
    for target in (folder / "cut.mp4", folder / "missing" / "sub" / "cut.mp4"):
        line = one_line_error(studio("render", timeline_file, "-o", target))
        assert "output folder" in line and str(target.parent) in line
    ok(studio("project", "new", "walk"))
    line = one_line_error(studio("project", "export", "walk", "-o", folder / "walk.otio"))
    assert "output folder" in line
    parent_is_a_file = timeline_file / "cut.mp4"
    line = one_line_error(studio("render", timeline_file, "-o", parent_is_a_file))
    assert "output folder" in line


def test_names_that_look_like_ffmpeg_protocols(cli_media: dict[str, Path], studio_dirs: dict[str, str],
                                                tmp_path: Path) -> None:
    shutil.copy(cli_media["tone"], tmp_path / "concat:a.wav")
    shutil.copy(cli_media["video"], tmp_path / "file:b.mp4")
    done = subprocess.run([str(STUDIO), "import", "concat:a.wav", "file:b.mp4", "--json"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    clips = json.loads(done.stdout)
    assert [c["title"] for c in clips] == ["concat:a", "file:b"]


def test_credits_json_into_a_closed_pipe(
    studio: Run, project: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    timeline_file, _video, _tone = project
    out = tmp_path / "cut.mp4"
    ok(studio("render", timeline_file, "-o", out))
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte, as `| head` after its lines
    try:
        done = subprocess.run([str(STUDIO), "credits", str(out), "--json"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write_end)
    assert done.stderr == "" and done.returncode == 141


def test_project_show_keeps_each_title_on_its_line(studio: Run, cli_media: dict[str, Path]) -> None:
    ok(studio("project", "new", "港"))
    title = "Gulls\ncalling\tat \x1b[31mdawn"
    (clip_id,) = ok(studio("import", cli_media["tone"], "--title", title)).split()
    ok(studio("project", "add", "港", clip_id, "--track", "A1"))
    shown = ok(studio("project", "show", "港"))
    (row,) = [line for line in shown.splitlines() if clip_id[:12] in line]
    assert row.endswith("Gulls\\ncalling\\tat \\x1b[31mdawn")
    assert "\x1b" not in shown and "\t" not in shown
