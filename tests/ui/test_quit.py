"""Quitting a real `studio` while a sync is still on the wire ends cleanly: exit code 0 and no traceback
(e.g. "Signal source has been deleted" from a worker reporting to a window already gone)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sync.conftest import PASSWORD, ServerProcess
from tests.sync.proxy import FlakyProxy

pytestmark = pytest.mark.qt
ROOT = Path(__file__).resolve().parents[2]


def _studio(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studio.cli.main", *args],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "STUDIO_KEYRING": "file", **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_quitting_during_a_sync_leaves_no_traceback(server: ServerProcess, studio_dirs):
    proxy = FlakyProxy(server.port)
    try:
        user = f"q{secrets.token_hex(3)}"
        done = _studio("signup", proxy.url, "--user", user, "--password-stdin", stdin=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
        proxy.rate = 300  # bytes per second: the first sync (1.5 s after ready) is still running at the quit
        seen = proxy.connections
        app = _studio(env={"STUDIO_QUIT_AFTER_MS": "4000", "STUDIO_NO_WELCOME": "1"})
    finally:
        proxy.close()
    assert proxy.connections > seen, "the app never reached the server: the quit did not meet a sync"
    assert app.returncode == 0, app.stderr[-3000:]
    assert "Traceback" not in app.stderr and "has been deleted" not in app.stderr, app.stderr[-3000:]
