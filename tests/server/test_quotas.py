"""Per-account quotas (spaces, open uploads, staged bytes, records): refused all or nothing with a problem
that names the quota and its limit, and /v1/me shows the usage against each."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from studio.protocol import api, problems
from tests.server.conftest import signup, unique

IN_PROCESS = True  # request/answer logic: the app in this process (tests/server/conftest.py)

MIB = 1024 * 1024


def _clip(change: str, record: str, **fields: object) -> dict[str, object]:
    return {"change_id": change, "kind": "clip", "id": record, "base_rev": None, "fields": fields}


def test_quotas_refuse_with_a_clear_problem_and_me_shows_usage(make_server: Any) -> None:
    server = make_server(
        env={
            "STUDIO_SERVER_QUOTA_UPLOADS": "3",
            "STUDIO_SERVER_QUOTA_BYTES": str(MIB),
            "STUDIO_SERVER_QUOTA_SPACES": "2",
            "STUDIO_SERVER_QUOTA_RECORDS": "4",
        }
    )
    server.start()
    user = signup(server.url)
    space = user.new_space("q1")
    assert user.post(api.SPACES, json={"name": "q2"}).status_code == 201
    third = user.post(api.SPACES, json={"name": "q3"})
    assert third.status_code == 403 and third.json()["type"] == problems.QUOTA_EXCEEDED
    assert third.json()["quota"] == "spaces" and third.json()["limit"] == 2

    def blob(size: int) -> dict[str, object]:
        return {"sha256": hashlib.sha256(os.urandom(8)).hexdigest(), "size": size}

    many = user.post(api.NEGOTIATE, json={"space": space, "blobs": [blob(10) for _ in range(4)]})
    assert many.status_code == 403 and many.json()["quota"] == "uploads"
    assert user.get(api.ME).json()["usage"]["uploads"] == 0, "all or nothing"
    staged = user.post(api.NEGOTIATE, json={"space": space, "blobs": [blob(400 * 1024), blob(400 * 1024)]})
    assert staged.status_code == 200
    me = user.get(api.ME).json()
    assert me["usage"] == {"bytes": 800 * 1024, "uploads": 2, "records": 0, "spaces": 2}
    assert me["quotas"] == {"bytes": MIB, "uploads": 3, "records": 4, "spaces": 2}
    over = user.post(api.NEGOTIATE, json={"space": space, "blobs": [blob(400 * 1024)]})
    assert over.status_code == 403 and over.json()["quota"] == "bytes", "staging space is reserved"
    user.delete(api.UPLOAD.format(session_id=staged.json()["blobs"][0]["session_id"]))
    assert user.get(api.ME).json()["usage"]["bytes"] == 400 * 1024

    five = [_clip(unique("chg-"), f"r{i}", title="t") for i in range(5)]
    refused = user.push(space, *five)
    assert refused.status_code == 403 and refused.json()["quota"] == "records"
    assert user.push(space, *five[:4]).status_code == 200
    edit = {
        "change_id": unique("chg-"),
        "kind": "clip",
        "id": "r0",
        "base_rev": None,
        "fields": {"title": "u"},
    }
    assert user.push(space, edit).status_code == 200, "editing an owned record is not a new record"
    assert user.get(api.ME).json()["usage"]["records"] == 4
