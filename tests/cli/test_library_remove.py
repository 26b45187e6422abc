"""`studio library remove CLIP`: the record and its media go, a clip a project uses is refused by name."""

from __future__ import annotations

import json
from pathlib import Path

from studio.core.paths import media_path
from tests.cli.conftest import Run, ok, one_line_error


def test_remove_a_clip_from_the_library(studio: Run, cli_media: dict[str, Path]) -> None:
    video_id, tone_id = ok(studio("import", cli_media["video"], cli_media["tone"])).split()
    assert media_path(tone_id).is_file()
    ok(studio("project", "new", "cut"))
    ok(studio("project", "add", "cut", video_id))
    refused = one_line_error(studio("library", "remove", "harbour"))
    assert (
        refused
        == "studio: error: clip 'harbour' is used by the project 'cut': remove it from the timeline first"
    )
    done = json.loads(ok(studio("library", "remove", tone_id[:10], "--json")))
    assert done == {"id": tone_id, "title": "gulls", "media_removed": True}
    assert not media_path(tone_id).exists()
    assert "no clip" in one_line_error(studio("library", "remove", tone_id))
    listed = json.loads(ok(studio("project", "show", "cut", "--json")))
    assert [i["clip"] for i in listed["items"]] == [video_id, video_id]  # its picture and its sound
    assert media_path(video_id).is_file()
