"""Hostile input on SQLite and on PostgreSQL/S3: control characters, NaN and huge numbers, Range headers,
amplifying JSON, page byte caps, quotas, concurrent completes and the answers' security headers."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from studio.protocol import api, problems
from tests.server.conftest import Api, ServerProcess, signup, unique
from tests.server.test_abuse_connections import MIB, rss


def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} in a served document")

    return json.loads(text, parse_constant=refuse)


def _clip(change: str, record: str, **fields: object) -> dict[str, object]:
    return {"change_id": change, "kind": "clip", "id": record, "base_rev": None, "fields": fields}


@pytest.mark.parametrize(
    "body",
    [
        '{"username": "ann\\u0000", "password": "x", "device_name": "d"}',
        '{"username": "ann", "password": "x", "device_name": "phone\\u001b[2J"}',
        '{"username": "ann", "password": "x", "device_name": "phone\\ud800"}',
    ],
)
def test_control_characters_in_login_are_refused(server: ServerProcess, body: str) -> None:
    r = requests.post(
        server.url + api.TOKENS, data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert r.status_code == 422, r.text
    assert r.json()["type"] == problems.INVALID


@pytest.mark.parametrize("name", ["team\u0000", "team\u202eevil", "team\x1b[31m", "a\u0085b"])
def test_control_characters_in_names_and_text_are_refused(alice: Api, name: str) -> None:
    assert alice.post(api.SPACES, json={"name": name}).status_code == 422
    pushed = alice.push("public", _clip(unique("chg-"), unique("c"), title=name))
    assert pushed.status_code == 422, pushed.text
    assert "control character" in pushed.json()["detail"]


def test_text_keeps_tabs_line_breaks_and_any_script(alice: Api) -> None:
    record = unique("c")
    title = "Ann's clip \u05e9\u05dc\u05d5\u05dd \u4e2d\u6587 \U0001f3b5\n\tline two"
    assert alice.push("public", _clip(unique("chg-"), record, title=title)).status_code == 200
    got = alice.get(api.RECORD.format(space_id="public", kind="clip", record_id=record)).json()
    assert got["doc"]["title"] == title


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-2E+400"])
def test_non_finite_numbers_never_reach_a_reader(server: ServerProcess, alice: Api, number: str) -> None:
    record = unique("c")
    change = json.dumps({"change_id": unique("chg-"), "kind": "clip", "id": record, "fields": {"weight": 0}})
    body = '{"changes":[' + change.replace('"weight": 0', f'"weight": {number}') + "]}"
    r = alice.post(
        api.CHANGES.format(space_id="public"), data=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    anon = Api(server.url)
    feed = anon.feed("public", limit=1000)
    _strict(feed.text)
    assert anon.get(api.RECORD.format(space_id="public", kind="clip", record_id=record)).status_code == 404


@pytest.mark.parametrize("query", ["q=a%00b", "tag=%1b%5b2J", "contributor=%e2%80%ae", "q=%ff%fe"])
def test_control_characters_in_query_strings_are_refused(server: ServerProcess, query: str) -> None:
    r = requests.get(f"{server.url}{api.SEARCH}?{query}", timeout=30)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    "header",
    [
        "bytes=" + "9" * 5000 + "-",
        "bytes=-" + "1" * 5000,
        "bytes=\u00b2-",
        "bytes=\u0661-\u0662",
        "bytes=1-2,3-4",
    ],
)
def test_malformed_ranges_are_ignored_not_errors(alice: Api, header: str) -> None:
    data = os.urandom(3000)
    sha = alice.upload(alice.new_space("r"), data)
    r = alice.get(api.BLOB.format(sha256=sha), headers={"Range": header.encode("latin-1", "replace")})
    assert r.status_code == 200, r.text
    assert r.content == data
    assert alice.get(api.BLOB.format(sha256=sha), headers={"Range": "bytes=10-19"}).content == data[10:20]


def test_an_amplifying_push_is_refused_before_it_is_parsed(make_server) -> None:
    """7 million array elements in 14 MB: refused from its bytes, without building the objects."""
    server = make_server(env={"STUDIO_SERVER_MAX_BODY": str(16 * MIB)})
    server.start()
    user = signup(server.url)
    values = ",".join(["0"] * 7_000_000)
    change = json.dumps({"change_id": unique("chg-"), "kind": "clip", "id": "c1", "fields": {"x": []}})
    body = '{"changes":[' + change.replace("[]", f"[{values}]") + "]}"
    before = rss(server)
    started = time.monotonic()
    r = user.post(
        api.CHANGES.format(space_id="public"), data=body, headers={"Content-Type": "application/json"}
    )
    seconds = time.monotonic() - started
    after = rss(server)
    print(
        f"amplifying push of {len(body) / MIB:.1f} MiB: {seconds:.2f} s, "
        f"RSS {before / MIB:.0f} -> {after / MIB:.0f} MiB"
    )
    assert r.status_code == 422, r.text
    assert "JSON values" in r.json()["detail"]
    assert after - before < 96 * MIB


def test_feed_and_search_pages_are_capped_by_bytes(make_server) -> None:
    server = make_server(env={"STUDIO_SERVER_PAGE_BYTES": str(600 * 1024)})
    server.start()
    user = signup(server.url)
    space = user.new_space("big")
    big = "x" * (250 * 1024)
    for i in range(6):
        assert (
            user.push(space, _clip(unique("chg-"), f"c{i}", title=f"clip {i}", description=big)).status_code
            == 200
        )
        assert (
            user.push(
                "public", _clip(unique("chg-"), unique("c"), title="needle", description=big)
            ).status_code
            == 200
        )
    entries, cursor = [], None
    pages = 0
    while True:
        r = user.feed(space, cursor, limit=1000)
        assert len(r.content) <= 600 * 1024 + 16 * 1024
        page = r.json()
        entries += page["entries"]
        cursor = page["cursor"]
        pages += 1
        if not page["more"]:
            break
    assert sorted(e["id"] for e in entries) == [f"c{i}" for i in range(6)]
    assert pages >= 3
    found, following = [], None
    while True:
        params = {"q": "needle", "limit": 200, **({"cursor": following} if following else {})}
        r = user.get(api.SEARCH, params=params)
        assert len(r.content) <= 600 * 1024 + 16 * 1024
        found += r.json()["results"]
        following = r.json()["next"]
        if not following:
            break
    assert len(found) == 6


def test_simultaneous_completes_all_succeed(alice: Api) -> None:
    data = os.urandom(3 * 1024 * 1024)
    sha = hashlib.sha256(data).hexdigest()
    space = alice.new_space("c")
    answer = alice.post(api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": sha, "size": len(data)}]})
    answer = answer.json()["blobs"][0]
    alice.send_parts(answer, data)
    url = alice.base + api.UPLOAD_COMPLETE.format(session_id=answer["session_id"])
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: requests.post(url, headers=alice.headers(), timeout=60), range(4)))
    assert [r.status_code for r in results] == [200] * 4, [r.text for r in results]
    assert alice.get(api.BLOB.format(sha256=sha)).content == data


def test_answers_carry_security_headers(server: ServerProcess, alice: Api) -> None:
    for r in (alice.get(api.ME), Api(server.url).get(api.HEALTH), alice.get("/v1/nowhere")):
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Cache-Control"] == "no-store"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "server" not in {k.lower() for k in r.headers}


@pytest.mark.parametrize("password", ["password", "12345678", "qwertyuiop", "{user}", "{user}2024"])
def test_common_passwords_and_the_user_name_are_refused(server: ServerProcess, password: str) -> None:
    username = unique("weak")
    r = requests.post(
        server.url + api.ACCOUNTS,
        json={"username": username, "password": password.format(user=username)},
        timeout=60,
    )
    assert r.status_code == 422, r.text
    assert "password" in r.json()["detail"]


def test_the_data_folder_and_database_are_private(server: ServerProcess, backend) -> None:
    assert stat.S_IMODE(server.data.stat().st_mode) == 0o700
    if backend[0] == "embedded":
        for path in server.data.glob("studio.db*"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
