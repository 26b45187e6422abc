"""`studio serve` from the command line: the embedded default starts with no setup; bad URLs are refused."""

from __future__ import annotations

import subprocess
import sys

import requests

from studio.protocol import api
from tests.server.conftest import REPO


def test_studio_serve_starts_the_embedded_server(tmp_path) -> None:
    data = tmp_path / "server data"
    proc = subprocess.Popen(
        [sys.executable, "-m", "studio.cli.main", "serve", "--data", str(data), "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line + proc.stderr.read()
        url = line.split("listening on ")[1].split()[0]
        assert requests.get(url + api.HEALTH, timeout=30).json()["status"] == "ok"
        schema = requests.get(url + api.OPENAPI, timeout=30).json()
        assert api.FEED in schema["paths"] and api.UPLOAD_PART in schema["paths"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert (data / "studio.db").is_file() and (data / "blobs").is_dir()


def test_bad_urls_are_user_errors(tmp_path) -> None:
    for args in (["--database", "mysql://x"], ["--blobs", "ftp://x"], ["--port", "70000"]):
        done = subprocess.run(
            [sys.executable, "-m", "studio.cli.main", "serve", "--data", str(tmp_path), *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, args
        assert done.stderr.startswith("studio: error: "), done.stderr
