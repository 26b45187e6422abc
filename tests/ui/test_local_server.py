"""The local server started from the app outlives it: a second start finds it running, a start after it
died (a reboot, a crash) starts it again on the same address with the account still logged in, and
Sync ▸ Stop the local server ends it for good. Real `studio serve` processes, real HTTP, real windows."""

from __future__ import annotations

import os
import secrets
import signal
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

pytestmark = pytest.mark.qt
PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def local_server_cleanup() -> Iterator[None]:
    """Whatever the test leaves running is stopped (the server is detached: nothing else would)."""
    yield
    from studio.services import local_server

    server = local_server.running()
    if server is not None:
        local_server.stop()


def _start_window(qtbot):  # type: ignore[no-untyped-def]
    from studio.ui.app import build_window, create_app

    create_app([])
    window = build_window(show_welcome=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_ready, timeout=60_000)
    return window


def _ping(url: str) -> bool:
    from studio.services.local_server import health

    return health(url) is not None


def test_the_local_server_outlives_the_app_and_is_started_again_at_the_next_launch(
    qtbot, local_server_cleanup
):
    from studio.services import local_server
    from studio.ui.connect import ConnectDialog

    # --- first launch: Sync ▸ Start the local server, then the filled-in form creates an account ---
    window = _start_window(qtbot)
    assert not window.actions_by_name["local_stop"].isEnabled()
    window.actions_by_name["local_start"].trigger()
    qtbot.waitUntil(lambda: window.findChild(ConnectDialog) is not None, timeout=90_000)
    dialog = window.findChild(ConnectDialog)
    server = window.sync.local_server
    assert server is not None and dialog.form.server.text() == server.url
    assert dialog.form.create_account.isChecked() and window.actions_by_name["local_stop"].isEnabled()
    user = f"me{secrets.token_hex(3)}"
    qtbot.keyClicks(dialog.form.account, user)
    qtbot.keyClicks(dialog.form.password, PASSWORD)
    qtbot.keyClick(dialog.form.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.sync.account is not None, timeout=60_000)
    assert window.sync.account.server == server.url
    qtbot.waitUntil(
        lambda: window.sync.sync_task is None and window.sync_badge.state == "up_to_date", timeout=60_000
    )
    window.close()

    # --- the app is gone, the server is not ---
    assert _ping(server.url)
    assert local_server.read_record() == server

    # --- second launch: the running server is reused as it is ---
    window = _start_window(qtbot)
    qtbot.waitUntil(lambda: window.sync.local_server is not None, timeout=60_000)
    assert window.sync.local_server.pid == server.pid
    qtbot.waitUntil(lambda: window.sync_badge.state == "up_to_date", timeout=60_000)
    window.close()

    # --- the server dies with the app closed (as at a reboot); the next launch starts it again ---
    os.kill(server.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: not _ping(server.url), timeout=10_000)
    window = _start_window(qtbot)
    qtbot.waitUntil(
        lambda: window.sync.local_server is not None or "could not" in window.message.text(), timeout=90_000
    )
    assert window.sync.local_server is not None, window.message.text()
    again = window.sync.local_server
    assert again.pid != server.pid and again.url == server.url and again.epoch == server.epoch
    assert _ping(server.url)
    qtbot.waitUntil(lambda: "Started the local server again" in window.message.text(), timeout=10_000)
    qtbot.waitUntil(lambda: window.sync_badge.state == "up_to_date", timeout=60_000)
    assert window.sync.account is not None and window.sync.account.username == user

    # --- Sync ▸ Stop the local server ends it, and it stays stopped at the next launch ---
    window.actions_by_name["local_stop"].trigger()
    qtbot.waitUntil(lambda: window.sync.local_server is None, timeout=30_000)
    assert not _ping(server.url)
    assert not window.actions_by_name["local_stop"].isEnabled()
    assert "local server is stopped" in window.sync_status.status.message
    window.close()
    window = _start_window(qtbot)
    qtbot.waitUntil(lambda: window.sync.account is not None, timeout=30_000)
    assert window.sync.local_server is None and not _ping(server.url)
    window.close()


def test_a_taken_port_is_named_when_the_local_server_cannot_start_again(local_server_cleanup):
    import json
    import socket
    from dataclasses import asdict, replace

    from studio.services import local_server

    _server, fresh = local_server.start()
    assert fresh
    local_server.stop()
    # Another program now listens where the record says the server was. The squatter takes a port of
    # its own choosing: the stopped server's port may be reused by any process on the machine meanwhile.
    with socket.socket() as squatter:
        squatter.bind((local_server.HOST, 0))
        squatter.listen(1)
        port = squatter.getsockname()[1]
        record = local_server.read_record()
        assert record is not None and record.stopped
        moved = replace(record, port=port, url=f"http://{local_server.HOST}:{port}")
        local_server.record_path().write_text(json.dumps(asdict(moved)), encoding="utf-8")
        with pytest.raises(local_server.LocalServerError, match=f"port {port} .* is taken"):
            local_server.start()


def test_the_welcome_starts_the_local_server_and_fills_in_the_form(qtbot, local_server_cleanup):
    from studio.services import local_server
    from studio.ui.welcome import WelcomeDialog

    window = _start_window(qtbot)
    welcome = WelcomeDialog(window, window.settings)
    qtbot.addWidget(welcome)
    welcome.show()
    qtbot.mouseClick(welcome.local_button, Qt.MouseButton.LeftButton)
    assert not welcome.local_button.isEnabled()  # one start at a time
    qtbot.waitUntil(lambda: welcome.local_button.isEnabled(), timeout=90_000)
    record = local_server.read_record()
    assert record is not None and welcome.connect_form.server.text() == record.url
    assert welcome.connect_form.create_account.isChecked() and _ping(record.url)
    welcome.close()
    window.close()
    assert _ping(record.url)  # closing the app leaves it running
