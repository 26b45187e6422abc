"""An open call in a private space end to end: the owner posts it with the CLI in the space of a shared
project, a member answers with a clip of real media that the project uses, the owner accepts it (which
syncs the space), and the piece the owner then exports credits the member as an answer to a public call
would, in the file's embedded credits (read back with mutagen). Someone outside the space sees no call."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from mutagen.mp4 import MP4

from studio.core.identity import ACCOUNT_PREFIX
from studio.core.library import get_record
from studio.core.project import create_project
from studio.services import sync as svc
from studio.services.export import export_timeline
from studio.services.library import import_files, parse_creator
from studio.services.projects import add_clip, open_project
from tests import mediagen
from tests.sync.conftest import Client, unique


def run_json(client: Client, *args: str) -> Any:
    done = client.cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_member_answer_accepted_in_a_private_space_is_credited_in_the_piece(server, machines, tmp_path):
    owner = machines("owner").signup(server.url)
    member = machines("member").signup(server.url)
    outsider = machines("outsider").signup(server.url)
    project = unique("label")
    picture = mediagen.make_video(tmp_path / "shot.mp4", 1, frequency=431)
    with owner.store() as store:
        shot = import_files(
            store,
            [picture],
            title="shot",
            creators=[parse_creator(f"{owner.user}:camera")],
            licence="CC-BY-4.0",
        )[0].clip
        create_project(store, project)
        add_clip(open_project(store, project), shot.id, track="V1")
    space = owner.call(svc.share_project, project, member.user, "editor")["space"]
    due = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    call = run_json(owner, "calls", "new", space, "--brief", "rain for the label", "--due", due)
    assert call["space"] == space

    assert member.call(svc.sync).state == "up_to_date"
    shown = run_json(member, "calls", "show", call["id"])
    assert (shown["brief"], shown["status"]) == ("rain for the label", "open")
    rain = mediagen.make_audio(tmp_path / "rain.wav", 1, frequency=233)
    with member.store() as store:
        clip = import_files(
            store,
            [rain],
            title="rain",
            creators=[parse_creator(f"@{member.user}:field recording")],
            licence="CC-BY-4.0",
        )[0].clip
        add_clip(open_project(store, project), clip.id, track="A1")
    member.call(svc.sync)
    assert member.cli("calls", "answer", call["id"], clip.id).returncode == 0
    refused = outsider.cli("calls", "show", call["id"])
    assert refused.returncode != 0 and call["id"] in refused.stderr
    assert call["id"] not in {c["id"] for c in run_json(outsider, "calls", "list")}

    accepted = run_json(owner, "calls", "accept", call["id"], clip.id)
    assert (accepted["accepted"], accepted["clip_space"]) == (True, space)
    with owner.store() as store:
        pulled = get_record(store, clip.id)
        assert pulled.media_present
        [credit] = pulled.clip.credits
        assert credit.contributor_id.startswith(ACCOUNT_PREFIX)
        piece = export_timeline(project, tmp_path / "piece.mp4", store=store, editors=[owner.user])
    tags = MP4(str(piece.path)).tags
    assert tags is not None
    block = json.loads(bytes(tags["----:com.apple.iTunes:CREDITS_JSON"][0]).decode())
    people = {c["id"]: c for c in block["contributors"]}
    assert credit.contributor_id in people
    assert people[credit.contributor_id]["share_bp"] > 0
    assert "field recording" in people[credit.contributor_id]["roles"]
    assert sum(c["share_bp"] for c in block["contributors"]) == 10000
