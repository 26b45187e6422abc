"""`studio render` as a user runs it: files, --json, --dry-run (whose command is then run by hand),
errors on stderr with exit 2, and a progress bar only on a terminal."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from mutagen.mp4 import MP4

from studio.cli.main import main
from studio.core.projectfile import save_project_file
from tests import mediagen
from tests.cli.conftest import Run, ok, one_line_error
from tests.media.test_render import ffmpeg_duration, streams, volume
from tests.media.test_render_plan import clip_for, clip_map, timeline

STUDIO = Path(sys.executable).with_name("studio")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli-media")
    return {
        "video": mediagen.make_video(folder / "pier.mp4", 2),
        "music": mediagen.make_audio(folder / "waves.flac", 2, sample_rate=44100),
    }


@pytest.fixture()
def project(media: dict[str, Path], tmp_path: Path) -> Path:
    video = clip_for(media["video"], credits=("Ann",))
    music = clip_for(media["music"], credits=("Bo",), licence="CC0-1.0")
    tl = timeline(
        [
            ("V1", [dict(clip=video, start=0, duration="1.5", source_in="0.25")]),
            ("V2", [dict(kind="title", text="Pier: 'night' [1]", start="0.5", duration="0.5")]),
            ("A1", [dict(clip=music, start="0.5", duration="1.5", fade_in="0.5")]),
        ]
    )
    path = tmp_path / "pier.studio"
    save_project_file(path, "p-pier", "Pier", tl, clip_map(video, music))
    return path


def test_render_json_summary(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pier.mp4"
    code = main(
        [
            "render",
            str(project),
            "-o",
            str(out),
            "--title",
            "Pier at night",
            "--licence",
            "CC-BY-4.0",
            "--editor",
            "Cy",
            "--editor",
            "Dee",
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    doc = json.loads(captured.out)
    assert doc["path"] == str(out) and doc["sidecar"] == str(out) + ".credits.json"
    assert doc["format"] == "mp4" and doc["duration"] == 2.0
    people = {c["name"]: c for c in doc["contributors"]}
    assert set(people) == {"Ann", "Bo", "Cy", "Dee"}
    assert sum(c["share_bp"] for c in people.values()) == 10000
    assert people["Cy"]["roles"] == ["editor"]
    embedded = json.loads(bytes(MP4(str(out)).tags["----:com.apple.iTunes:CREDITS_JSON"][0]))
    assert embedded["work"]["title"] == "Pier at night" and embedded["work"]["licence"] == "CC-BY-4.0"
    assert {c["name"]: c["share_bp"] for c in embedded["contributors"]} == {
        n: c["share_bp"] for n, c in people.items()
    }
    assert abs(ffmpeg_duration(out) - 2) <= 1 / 25


def test_format_from_extension_or_named(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", str(project), "-o", str(tmp_path / "pier.ogg")]) == 0
    assert streams(tmp_path / "pier.ogg")["audio"]["codec"] == "vorbis"
    assert main(["render", str(project), "-o", str(tmp_path / "pier.sound"), "--format", "wav"]) == 0
    assert streams(tmp_path / "pier.sound")["audio"]["codec"] == "pcm_s16le"
    text = capsys.readouterr().out
    assert "pier.ogg" in text and "Ann" in text and "Bo" in text


def test_dry_run_prints_a_command_that_renders_the_same(project: Path, tmp_path: Path) -> None:
    planned = tmp_path / "planned.mp4"
    done = subprocess.run(
        [str(STUDIO), "render", str(project), "-o", str(planned), "--dry-run"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert done.returncode == 0, done.stderr
    assert not planned.exists()  # nothing rendered
    command = shlex.split(done.stdout.strip())
    assert command[-1] == str(planned) and "-filter_complex" in command
    by_hand = subprocess.run(command, capture_output=True, text=True)
    assert by_hand.returncode == 0, by_hand.stderr
    real = tmp_path / "real.mp4"
    assert main(["render", str(project), "-o", str(real)]) == 0
    assert abs(ffmpeg_duration(planned) - ffmpeg_duration(real)) <= 1 / 25
    assert streams(planned)["video"] == streams(real)["video"]


def test_errors_name_the_problem(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "no such project", "-o", str(tmp_path / "x.mp4")]) == 2
    assert "studio: error: no project named 'no such project'" in capsys.readouterr().err
    assert main(["render", str(project), "-o", str(tmp_path / "x.avi")]) == 2
    assert "--format" in capsys.readouterr().err
    assert main(["render", str(tmp_path / "missing.otio"), "-o", str(tmp_path / "x.mp4")]) == 2
    assert "missing.otio" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [project]


def test_progress_bar_on_a_terminal_only(project: Path, tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [str(STUDIO), "render", str(project), "-o", str(tmp_path / "tty.mp4")],
            stdout=subprocess.PIPE,
            stderr=follower,
            env=os.environ.copy(),
        )
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0
    assert b"render [" in shown and b"100.0%" in shown
    quiet = subprocess.run(
        [str(STUDIO), "render", str(project), "-o", str(tmp_path / "pipe.mp4")],
        capture_output=True,
        env=os.environ.copy(),
    )
    assert quiet.returncode == 0 and b"render [" not in quiet.stderr


def test_render_a_project_built_on_the_command_line(studio: Run, cli_media: dict[str, Path],
                                                    tmp_path: Path) -> None:
    ok(studio("import", cli_media["video"], "--creator", "Ann:camera", "--licence", "CC-BY-4.0"))
    ok(studio("import", cli_media["tone"], "--creator", "Bo:music", "--licence", "CC-BY-4.0"))
    ok(studio("project", "new", "harbour cut"))
    ok(studio("project", "add", "harbour cut", "harbour", "--track", "V1"))  # picture on V1, sound on A1
    ok(studio("project", "add", "harbour cut", "gulls", "--track", "A2", "--at", "1"))
    out = tmp_path / "cut.webm"
    doc = json.loads(ok(studio("render", "harbour cut", "-o", out, "--editor", "Cy", "--json")))
    assert doc["format"] == "webm" and doc["duration"] == 2.0 and doc["licence"] == "CC-BY-4.0"
    people = {c["name"]: (c["roles"], c["share_bp"]) for c in doc["contributors"]}
    assert set(people) == {"Ann", "Bo", "Cy"} and sum(bp for _r, bp in people.values()) == 10000
    assert people["Bo"][0] == ["music"]
    info = streams(out)
    assert info["video"]["codec"] == "vp9" and info["audio"]["codec"] == "opus"
    assert volume(out, 1.1, 0.8)[0] > volume(out, 0.1, 0.8)[0] + 3  # the gulls join the harbour's sound
    side = json.loads(Path(doc["sidecar"]).read_text(encoding="utf-8"))
    assert side["export_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert "x.gif from '.gif'" in one_line_error(studio("render", "harbour cut", "-o", tmp_path / "x.gif"))
