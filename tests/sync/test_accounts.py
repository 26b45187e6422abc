"""Accounts from the command line: passwords from a prompt or stdin (never an argument), the token in
the OS keyring or a file only the user can read, logout revoking the token on the server, and the sync
command's exit status with no login and with no server."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import stat
import subprocess
import sys
import termios

import keyring
import pytest
import requests
from keyring.backend import KeyringBackend

from studio.protocol import api
from studio.sync import credentials
from tests.sync.conftest import PASSWORD, REPO, unique


def token_of(client) -> str:
    with client.active():
        found = credentials.load()
    assert found is not None
    return found[1]


def test_signup_and_login_read_the_password_from_stdin_and_keep_the_token_private(server, machines):
    ann = machines("ann")
    user = unique("ann")
    done = ann.cli("signup", server.url, "--user", user, "--password-stdin", input=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    token_file = ann.root / "config" / "token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert PASSWORD not in (ann.root / "config" / "account.json").read_text()
    token = token_of(ann)
    me = requests.get(server.url + api.ME, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert me.json()["username"] == user

    wrong = ann.cli("login", server.url, "--user", user, "--password-stdin", input="not it\n")
    assert wrong.returncode == 2 and "wrong user name or password" in wrong.stderr
    as_argument = ann.cli("login", server.url, "--user", user, PASSWORD)
    assert as_argument.returncode == 2 and "unrecognized arguments" in as_argument.stderr

    again = ann.cli("login", server.url, "--user", user, "--password-stdin", input=PASSWORD + "\n")
    assert again.returncode == 0, again.stderr
    assert token_of(ann) != token


def test_login_prompts_for_the_password_on_a_terminal(server, machines):
    bo = machines("bo").signup(server.url)
    master, slave = pty.openpty()

    def on_terminal() -> None:
        # A session of its own whose controlling terminal is the pty, as in a terminal window.
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        [sys.executable, "-m", "studio.cli.main", "login", server.url, "--user", bo.user],
        cwd=REPO,
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **bo.env},
        preexec_fn=on_terminal,
    )
    os.close(slave)
    prompt = b""
    while b"Password" not in prompt:
        prompt += os.read(master, 100)
    os.write(master, PASSWORD.encode() + b"\n")
    out, err = proc.communicate(timeout=60)
    os.close(master)
    assert proc.returncode == 0, err
    assert b"logged in as " + bo.user.encode() in out


def test_logout_revokes_the_token_and_sync_then_needs_a_login(server, machines):
    cy = machines("cy").signup(server.url)
    token = token_of(cy)
    assert cy.cli("sync").returncode == 0
    done = cy.cli("logout")
    assert done.returncode == 0 and "logged out" in done.stdout
    me = requests.get(server.url + api.ME, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert me.status_code == 401
    assert not (cy.root / "config" / "token").exists()
    after = cy.cli("sync")
    assert after.returncode == 2 and "not logged in" in after.stderr


def test_a_token_file_others_can_read_is_refused(server, machines):
    di = machines("di").signup(server.url)
    (di.root / "config" / "token").chmod(0o644)
    done = di.cli("sync")
    assert done.returncode == 2 and "can be read by other users" in done.stderr


def test_sync_with_no_server_exits_4_and_keeps_local_work(server, machines):
    ed = machines("ed", STUDIO_SYNC_RETRIES="2").signup(server.url)
    with ed.active():
        account = credentials.current_account()
        credentials.save(
            credentials.Account("http://127.0.0.1:9", account.username, account.device_id),
            token_of(ed),
        )
    assert ed.cli("project", "new", "Offline work").returncode == 0
    done = ed.cli("sync", "--json")
    assert done.returncode == 4 and "cannot reach the server" in done.stderr
    shown = ed.cli("project", "show", "Offline work", "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["name"] == "Offline work"


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps secrets in memory, standing in for the desktop's keyring service."""

    priority = 10

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def desktop_keyring(monkeypatch):
    ring = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    monkeypatch.delenv("STUDIO_KEYRING", raising=False)
    yield ring
    keyring.set_keyring(previous)


def test_the_token_goes_to_the_os_keyring_when_there_is_one(desktop_keyring, machines):
    fay = machines("fay")
    with fay.active():
        os.environ.pop("STUDIO_KEYRING")
        stored = credentials.save(credentials.Account("http://127.0.0.1:8750", "fay"), "secret-token")
        assert stored.backend == "keyring"
        assert desktop_keyring.secrets == {(credentials.SERVICE, "http://127.0.0.1:8750|fay"): "secret-token"}
        assert not (fay.root / "config" / "token").exists()
        assert "secret-token" not in (fay.root / "config" / "account.json").read_text()
        assert credentials.load() == (stored, "secret-token")
        credentials.clear()
        assert desktop_keyring.secrets == {} and credentials.load() is None
