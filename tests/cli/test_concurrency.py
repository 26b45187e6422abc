"""Several `studio project add` processes on one project at the same moment: every one succeeds
(no "database is locked"), each sees the others' edits, and nothing overlaps."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli.conftest import STUDIO, Run, ok


def test_concurrent_cli_edits_all_succeed(studio: Run, cli_media: dict[str, Path]) -> None:
    ok(studio("import", cli_media["video"], cli_media["tone"]))
    ok(studio("project", "new", "busy"))
    commands = [["project", "add", "busy", "harbour"] for _ in range(5)]  # each at the end of V1 and A1
    commands += [["project", "add", "busy", "gulls", "--track", "A2", "--at", str(3 * n)] for n in range(3)]
    procs = [
        subprocess.Popen([str(STUDIO), *c], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for c in commands
    ]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err
    ids = [out.strip() for out, _ in results]
    doc = json.loads(ok(studio("project", "show", "busy", "--json")))
    pictures = {i["id"]: i for i in doc["items"] if i["track"] != "A1"}
    assert sorted(pictures) == sorted(ids)
    sounds = [i for i in doc["items"] if i["track"] == "A1"]  # each harbour's sound, linked to its picture
    on_v1 = sorted(i for i, p in pictures.items() if p["track"] == "V1")
    assert sorted(s["linked"][0] for s in sounds) == on_v1
    assert doc["overlaps"] == []
    starts = sorted(float(i["at"]) for i in doc["items"] if i["track"] == "V1")
    assert len(starts) == 5 and len(set(starts)) == 5
    assert [t["name"] for t in doc["tracks"]].count("V1") == 1
    assert [t["name"] for t in doc["tracks"]].count("A1") == 1
