"""Accounts, device tokens and logging in: the app in this process, its clock moved past token expiry."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from typing import Any

from studio.protocol import api, problems
from tests.server.conftest import Api, ServerProcess, call, signup, unique

IN_PROCESS = True  # request/answer logic: the app in this process (tests/server/conftest.py)


def _login(server: ServerProcess, username: str, password: str, **extra: object) -> Any:
    body = {"username": username, "password": password, "device_name": "phone", **extra}
    return call("POST", server.url + api.TOKENS, json=body, timeout=30)


def test_signup_login_and_me(server: ServerProcess) -> None:
    user = signup(server.url, unique("carol"))
    me = user.get(api.ME)
    assert me.status_code == 200
    assert me.json()["username"] == user.username


def test_username_taken_is_a_problem_document(server: ServerProcess, alice: Api) -> None:
    r = call(
        "POST",
        server.url + api.ACCOUNTS,
        json={"username": alice.username, "password": "another long passphrase"},
        timeout=30,
    )
    assert r.status_code == 409
    assert r.headers["content-type"] == problems.PROBLEM_CONTENT_TYPE
    assert r.json()["type"] == problems.USERNAME_TAKEN


def test_wrong_password_and_unknown_user_look_the_same(server: ServerProcess, alice: Api) -> None:
    wrong = _login(server, alice.username, "not the password")
    unknown = _login(server, unique("ghost"), "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_requests_without_or_with_bad_tokens_are_401(server: ServerProcess) -> None:
    assert call("GET", server.url + api.ME, timeout=30).status_code == 401
    for header in ("Bearer st_nonsense", "Basic abc", "Bearer", "st_" + "a" * 40):
        r = call("GET", server.url + api.ME, headers={"Authorization": header}, timeout=30)
        assert r.status_code == 401, header
        assert r.json()["type"] == problems.UNAUTHORIZED


def test_devices_are_listed_and_revocable(server: ServerProcess) -> None:
    password = "correct horse battery"
    first = signup(server.url, unique("dan"), password)
    second = Api(server.url, _login(server, first.username, password).json()["token"], first.username)
    devices = first.get(api.DEVICES).json()
    assert len(devices) == 2
    assert sum(d["current"] for d in devices) == 1
    other = next(d for d in devices if not d["current"])
    assert first.delete(api.DEVICE.format(device_id=other["id"])).status_code == 204
    assert second.get(api.ME).status_code == 401
    assert first.get(api.ME).status_code == 200
    assert [d["id"] for d in first.get(api.DEVICES).json()] != [other["id"]]


def test_someone_elses_device_cannot_be_revoked(alice: Api, bob: Api) -> None:
    bobs_device = bob.get(api.ME).json()["device_id"]
    assert alice.delete(api.DEVICE.format(device_id=bobs_device)).status_code == 404
    assert bob.get(api.ME).status_code == 200


def test_logout_revokes_the_calling_token(server: ServerProcess) -> None:
    user = signup(server.url)
    assert user.delete(api.CURRENT_TOKEN).status_code == 204
    assert user.get(api.ME).status_code == 401


def test_expired_token_is_refused(server: ServerProcess, alice: Api) -> None:
    signup(server.url, unique("eve"), "secret password")
    grant = _login(server, alice.username, "correct horse battery", ttl_seconds=1)
    assert grant.status_code == 201
    short = Api(server.url, grant.json()["token"])
    assert short.get(api.ME).status_code == 200
    server.clock.advance(1.5)
    r = short.get(api.ME)
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]


def test_login_failures_are_rate_limited(server: ServerProcess) -> None:
    """One address guessing at one account is slowed down after its free attempts, the right password
    included (it could be a lucky guess): tests/server/test_throttle.py has the rest."""
    user = signup(server.url, unique("frank"), "the right password")
    codes = [_login(server, user.username, f"wrong {i}").status_code for i in range(7)]
    assert codes[:5] == [401] * 5 and 429 in codes
    limited = _login(server, user.username, "the right password")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.json()["type"] == problems.RATE_LIMITED


def test_secrets_are_stored_hashed_and_never_logged(server: ServerProcess, backend) -> None:
    password = "a very particular password"
    user = signup(server.url, unique("gina"), password)
    assert user.get(api.ME).status_code == 200
    deadline = time.monotonic() + 5
    while f'"account": "{user.username}"' not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert f'"account": "{user.username}"' in server.log()
    assert user.token and user.token not in server.log()
    assert "Authorization" not in server.log() and password not in server.log()
    if backend[0] != "embedded":
        return
    with sqlite3.connect(server.data / "studio.db") as db:
        (stored,) = db.execute(
            "SELECT password_hash FROM accounts WHERE username = ?", (user.username,)
        ).fetchone()
        tokens = [row[0] for row in db.execute("SELECT token_hash FROM tokens")]
    assert stored.startswith("$argon2id$") and password not in stored
    assert user.token not in tokens and all(len(t) == 64 for t in tokens)


def test_parts_need_a_live_token(server: ServerProcess) -> None:
    """The part route checks its caller itself (with the session, in one transaction): a missing, revoked
    or expired token gets 401 there too, and the part is not recorded."""
    user = signup(server.url, unique("gina"))
    data = b"part bytes " * 300
    negotiated = user.post(
        api.NEGOTIATE,
        json={
            "space": user.post(api.SPACES, json={"name": "g"}).json()["id"],
            "blobs": [{"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}],
        },
    )
    session = negotiated.json()["blobs"][0]["session_id"]
    short = Api(
        server.url, _login(server, user.username, "correct horse battery", ttl_seconds=1).json()["token"]
    )
    revoked = Api(server.url, _login(server, user.username, "correct horse battery").json()["token"])
    assert revoked.delete(api.CURRENT_TOKEN).status_code == 204
    server.clock.advance(1.5)
    for caller, detail in ((Api(server.url), "needs a token"), (revoked, "revoked"), (short, "expired")):
        r = caller.put_part(session, 1, data)
        assert r.status_code == 401, (detail, r.status_code, r.text)
        assert detail in r.json()["detail"]
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert user.get(api.UPLOAD.format(session_id=session)).json()["parts_received"] == []
    assert user.put_part(session, 1, data).status_code == 200
    assert user.get(api.UPLOAD.format(session_id=session)).json()["parts_received"] == [1]
    # A part refused after its caller is known is logged with that caller's account.
    stranger = signup(server.url, unique("hank"))
    assert stranger.put_part(session, 1, data).status_code == 404
    assert _logged(server, "PUT", f"/uploads/{session}/parts/1", 404) == [stranger.username]


def _logged(server: ServerProcess, method: str, path_end: str, status: int) -> list[str | None]:
    """The accounts of the access-log lines for these requests, once the server has written them."""
    deadline = time.monotonic() + 10
    while True:
        lines = [json.loads(line) for line in server.log().splitlines() if line.startswith('{"method"')]
        found = [
            line["account"]
            for line in lines
            if line["method"] == method and line["path"].endswith(path_end) and line["status"] == status
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)
