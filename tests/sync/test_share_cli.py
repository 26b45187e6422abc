"""`studio project share` through the CLI against a live server: offline it says what to do; online the
collaborator gets the project."""

from __future__ import annotations

from .conftest import Client, ServerProcess


def test_share_without_login_names_the_fix(machines) -> None:  # type: ignore[no-untyped-def]
    alice: Client = machines("alice")
    assert alice.cli("project", "new", "Offline piece").returncode == 0
    proc = alice.cli("project", "share", "Offline piece", "--with", "bob")
    assert proc.returncode == 2
    assert "studio login" in proc.stderr and "Traceback" not in proc.stderr


def test_share_reaches_the_collaborator(server: ServerProcess, machines) -> None:  # type: ignore[no-untyped-def]
    alice: Client = machines("alice").signup(server.url)
    bob: Client = machines("bob").signup(server.url)
    assert alice.cli("project", "new", "Duet").returncode == 0
    proc = alice.cli("project", "share", "Duet", "--with", bob.user, "--role", "viewer")
    assert proc.returncode == 0, proc.stderr
    assert bob.user in proc.stdout and "viewer" in proc.stdout

    assert bob.cli("sync").returncode == 0
    shown = bob.cli("project", "show", "Duet", "--json")
    assert shown.returncode == 0, shown.stderr

    unknown = alice.cli("project", "share", "Duet", "--with", "nobody-here")
    assert unknown.returncode == 2 and "nobody-here" in unknown.stderr
