"""`studio import`: clip ids on stdout, records with --json, one-line errors and nothing imported
when a file is bad."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.cli.conftest import Run, ok, one_line_error


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_import_prints_one_clip_id_per_file(studio: Run, cli_media: dict[str, Path]) -> None:
    out = ok(studio("import", cli_media["video"], cli_media["tone"]))
    assert out.split() == [sha256(cli_media["video"]), sha256(cli_media["tone"])]


def test_import_json_carries_credits_and_licence(studio: Run, cli_media: dict[str, Path]) -> None:
    out = ok(
        studio(
            "import",
            cli_media["video"],
            "--title",
            "Harbour",
            "--creator",
            "Ann Lee:camera",
            "--creator",
            "Bo",
            "--licence",
            "CC-BY-4.0",
            "--json",
        )
    )
    (doc,) = json.loads(out)
    assert doc["id"] == sha256(cli_media["video"])
    assert (doc["title"], doc["kind"], doc["licence"], doc["existed"]) == (
        "Harbour",
        "video",
        "CC-BY-4.0",
        False,
    )
    assert [(c["name"], c["roles"]) for c in doc["credits"]] == [("Ann Lee", ["camera"]), ("Bo", ["creator"])]
    assert doc["file"] == str(cli_media["video"])
    again = json.loads(ok(studio("import", cli_media["video"], "--json")))
    assert again[0]["existed"] is True and again[0]["title"] == "Harbour"


def test_a_bad_file_is_one_line_error_and_imports_nothing(studio: Run, cli_media: dict[str, Path]) -> None:
    message = one_line_error(studio("import", cli_media["tone"], cli_media["junk"]))
    assert "notes.mp4" in message
    ok(studio("project", "new", "p"))
    assert "no clip 'gulls'" in one_line_error(studio("project", "add", "p", "gulls"))
    assert "not an SPDX licence id" in one_line_error(
        studio("import", cli_media["tone"], "--licence", "any!")
    )
