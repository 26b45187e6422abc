"""A server restored from an older backup of its data folder makes clients reconcile instead of skipping."""

from __future__ import annotations

import shutil

import pytest

from studio.protocol import problems
from tests.server.conftest import signup


@pytest.fixture(scope="module")
def backend() -> tuple[str, str, str]:
    """The restore is played by copying the embedded data folder back from a backup."""
    return "embedded", "", ""


def _clip(change_id: str, rid: str, **fields: object) -> dict:
    return {"change_id": change_id, "kind": "contributor", "id": rid, "base_rev": None, "fields": fields}


def test_a_server_restored_from_an_older_backup_makes_clients_reconcile(make_server, tmp_path) -> None:
    server = make_server()
    server.start()
    user = signup(server.url, password="pw for restore")
    space = user.new_space()
    early = [_clip(f"early-{i:04d}", f"e{i}", name=f"E{i}") for i in range(3)]
    late = [_clip(f"late-{i:05d}", f"l{i}", name=f"L{i}") for i in range(2)]
    user.push(space, *early)
    server.stop()
    backup = tmp_path / "backup"
    shutil.copytree(server.data, backup)
    user.base = server.start().url
    user.push(space, *late)
    local, cursor = user.pull_all(space)
    assert len(local) == 5
    server.stop()
    shutil.rmtree(server.data)
    shutil.copytree(backup, server.data)
    user.base = server.start().url
    reset = user.feed(space, cursor)
    assert reset.status_code == 410 and reset.json()["type"] == problems.CURSOR_RESET
    other = signup(server.url)
    assert user.add_member(space, other.username, "editor").status_code == 200
    other.push(
        space,
        _clip("other-0001", "o1", name="O"),
        _clip("other-0002", "o2", name="O2"),
        _clip("other-0003", "o3", name="O3"),
    )
    assert user.feed(space, cursor).status_code == 410
    server_now, fresh_cursor = user.pull_all(space)
    have = {e["change_id"] for e in server_now}
    missing = [c for c in early + late if c["change_id"] not in have]
    assert [c["change_id"] for c in missing] == [c["change_id"] for c in late]
    results = user.push(space, *(early + late)).json()["results"]
    assert [r["status"] for r in results] == ["duplicate"] * 3 + ["applied"] * 2
    final, _ = user.pull_all(space)
    assert {e["id"] for e in final} == {"e0", "e1", "e2", "l0", "l1", "o1", "o2", "o3"}
    assert user.feed(space, fresh_cursor).status_code == 200
