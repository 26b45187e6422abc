"""TLS on `studio serve`, the client's refusal of plain http to other computers, and untrusted text shown by
the CLI without letting it drive the terminal."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from studio.protocol import api
from tests.selfsigned import self_signed
from tests.server.conftest import REPO, Api, ServerProcess, signup


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    cert, key, _sha = self_signed(tmp_path_factory.mktemp("tls"), "server", ca=True)
    return cert, key


@pytest.fixture
def tls_server(tmp_path: Path, certificate: tuple[Path, Path]) -> Iterator[int]:
    cert, key = certificate
    port_file = tmp_path / "port"
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - handed to the child process
    args = ["--data", str(tmp_path / "data"), "--port", "0", "--port-file", str(port_file)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "studio.server", *args, "--tls-cert", str(cert), "--tls-key", str(key)],
        cwd=REPO,
        stdout=log,
        stderr=log,
    )
    log.close()
    try:
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        yield int(port_file.read_text())
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_speaks_tls(tls_server: int, certificate: tuple[Path, Path]) -> None:
    r = requests.get(f"https://127.0.0.1:{tls_server}{api.HEALTH}", verify=str(certificate[0]), timeout=30)
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{tls_server}{api.HEALTH}", timeout=10)


def test_parts_over_tls_arrive_whole(tls_server: int, certificate: tuple[Path, Path]) -> None:
    """Upload parts are read straight from the connection (direct_body), here from the TLS layer."""
    base, ca = f"https://127.0.0.1:{tls_server}", str(certificate[0])
    account = {"username": "tls-parts", "password": "correct horse battery"}
    assert requests.post(base + api.ACCOUNTS, json=account, verify=ca, timeout=60).status_code == 201
    token = requests.post(base + api.TOKENS, json=account, verify=ca, timeout=60).json()["token"]
    user = Api(base, token)
    user.session.verify = ca
    user.session.trust_env = False  # a CA bundle named in the environment would replace `verify`
    data = os.urandom(api.PART_SIZE + 54321)
    sha = user.upload(user.new_space(), data)
    assert sha == hashlib.sha256(data).hexdigest()
    got = user.get(api.BLOB.format(sha256=sha))
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == sha


def test_serve_refuses_half_a_tls_setup(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    done = _studio(tmp_path, "serve", "--data", str(tmp_path / "d"), "--tls-cert", str(certificate[0]))
    assert done.returncode != 0
    assert "certificate and its key" in done.stderr


def _studio(home: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studio.cli.main", *args],
        cwd=REPO,
        input=stdin,
        text=True,
        capture_output=True,
        timeout=120,
        env={
            **os.environ,
            "STUDIO_DATA_DIR": str(home / "data"),
            "STUDIO_CONFIG_DIR": str(home / "config"),
            "STUDIO_CACHE_DIR": str(home / "cache"),
            "STUDIO_KEYRING": "file",
            "STUDIO_SYNC_CONNECT_TIMEOUT": "0.5",
            "STUDIO_SYNC_RETRIES": "1",
            **env,
        },
    )


def test_the_client_refuses_plain_http_to_another_computer(tmp_path: Path) -> None:
    refused = _studio(
        tmp_path, "login", "http://192.0.2.7:8750", "--user", "ann", "--password-stdin", stdin="pw\n"
    )
    assert refused.returncode != 0
    assert "plain http" in refused.stderr and "--allow-http" in refused.stderr
    allowed = _studio(
        tmp_path,
        "login",
        "http://192.0.2.7:8750",
        "--user",
        "ann",
        "--password-stdin",
        "--allow-http",
        stdin="pw\n",
    )
    assert allowed.returncode != 0
    assert "plain http" not in allowed.stderr, "with the flag the client tries (and here cannot connect)"


def test_the_cli_shows_untrusted_text_without_interpreting_it(tmp_path: Path) -> None:
    """A clip stored before names were checked (written straight into the embedded database here) comes
    back from search with a terminal escape and a right-to-left override: the CLI prints them escaped."""
    server = ServerProcess(tmp_path / "server").start()
    try:
        _search_hostile_text(server, tmp_path)
    finally:
        server.stop()


def _search_hostile_text(server: ServerProcess, tmp_path: Path) -> None:
    user = signup(server.url)
    record = "evilclip"
    pushed = user.push(
        "public",
        {
            "change_id": "evil-change-1",
            "kind": "clip",
            "id": record,
            "base_rev": None,
            "fields": {"title": "evil"},
        },
    )
    assert pushed.status_code == 200, pushed.text
    hostile = "evil \x1b[2J\x1b]0;owned\x07 \u202etxt.exe"
    with sqlite3.connect(server.data / "studio.db") as db:
        db.execute(
            "UPDATE records SET doc = json_set(doc, '$.title', ?) WHERE id = ?",
            (hostile, record),
        )
    home = tmp_path / "home"
    done = _studio(
        home,
        "login",
        server.url,
        "--user",
        user.username,
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert done.returncode == 0, done.stderr
    found = _studio(home, "library", "search", "evil")
    assert found.returncode == 0, found.stderr
    assert "evilclip" in found.stdout
    assert "\x1b" not in found.stdout and "\u202e" not in found.stdout and "\x07" not in found.stdout
    assert "\\x1b[2J" in found.stdout and "\\u202etxt.exe" in found.stdout
