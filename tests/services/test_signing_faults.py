"""What goes wrong around signing, for real: a key that cannot sign, a server that cannot be reached, a
device key others can read, two server processes making their root at once. An export either finishes
signed, or finishes unsigned and says why, or fails leaving the earlier file untouched."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from studio.core.errors import MediaError
from studio.core.paths import config_dir
from studio.core.projectfile import save_project_file
from studio.services.export import export_timeline
from studio.sync import credentials
from studio.sync.certificates import KEY_FILE, SigningIdentity
from tests import mediagen
from tests.media.test_render_plan import clip_for, clip_map, timeline

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    tone = clip_for(mediagen.make_audio(tmp_path / "tone.wav", 1), licence="CC-BY-4.0")
    path = tmp_path / "tone.studio"
    save_project_file(path, "p-tone", "Tone", timeline([("A1", [dict(clip=tone, start=0, duration=1)])]),
                      clip_map(tone))
    return path


def test_a_key_that_cannot_sign_fails_the_export_and_keeps_the_earlier_file(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "tone.mp3"
    out.parent.mkdir()
    out.write_bytes(b"an earlier export")
    broken = SigningIdentity("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                             "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "x", "http://x")
    with pytest.raises(MediaError, match="C2PA signing failed"):
        export_timeline(project, out, exported=WHEN, signing=broken, force=True)
    assert out.read_bytes() == b"an earlier export"
    assert sorted(p.name for p in out.parent.iterdir()) == ["tone.mp3"]


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server_exports_unsigned_and_says_why(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUDIO_SYNC_RETRIES", "1")
    server = f"http://127.0.0.1:{_dead_port()}"
    credentials.save(credentials.Account(server, "ann", "d1"), "token")
    result = export_timeline(project, tmp_path / "tone.flac", exported=WHEN)
    assert result.signed_by == "" and result.path.is_file()
    assert any(w.startswith(f"unsigned: no signing certificate from {server}") for w in result.warnings)


def test_a_device_key_others_can_read_is_not_used(project: Path, tmp_path: Path) -> None:
    credentials.save(credentials.Account("http://127.0.0.1:9", "ann", "d1"), "token")
    key = config_dir() / KEY_FILE
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    os.chmod(key, 0o644)
    (config_dir() / "signing.json").write_text('{"login": "http://127.0.0.1:9|ann|d1", "chain": ""}')
    result = export_timeline(project, tmp_path / "piece.wav", exported=WHEN)
    assert result.signed_by == ""
    assert any("can be read by other users" in w for w in result.warnings), result.warnings


def test_two_processes_making_the_root_at_once_agree(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from studio.server.ca import load_or_create; "
        "print(load_or_create(Path(sys.argv[1])).root_pem)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    roots = {p.communicate(timeout=60)[0] for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(roots) == 1 and (tmp_path / "ca" / "root.pem").read_text() + "\n" in roots
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca"]  # no half-made folders left behind
