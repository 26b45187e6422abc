"""A space marked for commercial work, end to end through the CLI on separate machines and a live server:
the owner marks it, an editor cannot; the editor's export of a project in the space refuses its NC clip with
the clip and the rule named and nothing written; unmarking allows the export, read back with mutagen."""

from __future__ import annotations

import json
from pathlib import Path

import mutagen

from studio.core.licences import RULE_COMMERCIAL

from .conftest import Client, ServerProcess, noise_wav


def test_a_commercial_space_rules_its_members_exports(  # type: ignore[no-untyped-def]
    server: ServerProcess, machines, tmp_path: Path
) -> None:
    alice: Client = machines("alice").signup(server.url)
    bob: Client = machines("bob").signup(server.url)
    sound = noise_wav(tmp_path / "harbour.wav", 1.0, seed=17)
    imported = alice.cli(
        "import", str(sound), "--title", "Harbour", "--creator", "Ann:sound", "--licence", "CC-BY-NC-4.0"
    )
    assert imported.returncode == 0, imported.stderr
    clip = imported.stdout.split()[0]
    assert alice.cli("project", "new", "Brand film").returncode == 0
    assert alice.cli("project", "add", "Brand film", clip, "--track", "A1").returncode == 0
    shared = alice.cli("project", "share", "Brand film", "--with", bob.user, "--role", "editor")
    assert shared.returncode == 0, shared.stderr
    assert bob.cli("sync").returncode == 0

    # an editor cannot mark it; the server says why
    refused = bob.cli("space", "commercial", "Brand film", "on")
    assert refused.returncode == 2 and "only an owner" in refused.stderr, refused.stderr
    marked = alice.cli("space", "commercial", "Brand film", "on", "--json")
    assert marked.returncode == 0, marked.stderr
    assert json.loads(marked.stdout)["commercial"] is True

    synced = bob.cli("sync")
    assert synced.returncode == 0, synced.stderr
    listing = json.loads(bob.cli("space", "list", "--json").stdout)
    assert [s["commercial"] for s in listing if s["name"] == "Brand film"] == [True]

    out = tmp_path / "bob" / "piece.wav"
    denied = bob.cli("render", "Brand film", "-o", str(out))
    assert denied.returncode == 2, denied.stderr
    assert f"{RULE_COMMERCIAL}: Harbour (CC-BY-NC-4.0)" in denied.stderr
    assert "'Brand film' is marked for commercial work" in denied.stderr
    assert not out.exists() and not list(out.parent.glob("piece*"))

    assert alice.cli("space", "commercial", "Brand film", "off").returncode == 0
    assert bob.cli("sync").returncode == 0
    done = bob.cli("render", "Brand film", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "CC-BY-NC-4.0" in str(mutagen.File(out).tags["TXXX:LICENSE"])
