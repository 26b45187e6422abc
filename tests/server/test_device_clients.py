"""Op client ids are bound to the account's registered devices: a client id whose device was
revoked is refused (`unregistered-client`) even to another live device of the account; a login that names
the client id registers it for the new device; a login of another account naming someone's client id
registers nothing, and its pushes stay refused as `foreign-client`; a device whose token expired (the
server's clock moved past it) counts as gone."""

from __future__ import annotations

import secrets
from typing import Any

from studio.protocol import api
from tests.server.conftest import Api, ServerProcess, call, signup
from tests.server.test_integrity import op, ops_change

IN_PROCESS = True  # request/answer logic: the app in this process (tests/server/conftest.py)


def login(server: ServerProcess, username: str, client_id: str | None = None, **extra: Any) -> Api:
    body = {"username": username, "password": "correct horse battery", "device_name": "desk", **extra}
    if client_id:
        body["client_id"] = client_id
    grant = call("POST", server.url + api.TOKENS, json=body, timeout=30)
    assert grant.status_code == 201, grant.text
    return Api(server.url, grant.json()["token"], username)


def result(answer: Any) -> dict:
    assert answer.status_code == 200, answer.text
    return answer.json()["results"][0]


def test_a_revoked_devices_client_id_is_refused_until_a_login_registers_it(server: ServerProcess) -> None:
    first = signup(server.url)
    space = first.new_space()
    client = secrets.token_hex(16)
    assert result(first.push(space, ops_change("cut", op(client, 1, 1, set="a"))))["accepted"] == 1
    second = login(server, first.username)  # another device of the account, not naming the client id
    assert result(second.push(space, ops_change("cut", op(client, 2, 2, set="b"))))["accepted"] == 1

    device = first.get(api.ME).json()["device_id"]
    assert second.delete(api.DEVICE.format(device_id=device)).status_code == 204
    refused = result(second.push(space, ops_change("cut", op(client, 3, 3, set="c"))))
    assert (refused["status"], refused["reason"], refused["clients"]) == (
        "refused",
        "unregistered-client",
        [client],
    )
    assert "revoked or expired" in refused["detail"]

    again = login(server, first.username, client_id=client)  # a login from that data folder
    assert result(again.push(space, ops_change("cut", op(client, 3, 3, set="c"))))["accepted"] == 1
    assert result(second.push(space, ops_change("cut", op(client, 4, 4, set="d"))))["accepted"] == 1


def test_a_login_cannot_register_another_accounts_client_id(server: ServerProcess) -> None:
    owner, thief = signup(server.url), signup(server.url)
    space = owner.new_space()
    assert owner.add_member(space, thief.username, "editor").status_code == 200
    client = secrets.token_hex(16)
    assert result(owner.push(space, ops_change("cut", op(client, 1, 1, set="a"))))["accepted"] == 1
    stolen = login(server, thief.username, client_id=client)
    squat = result(stolen.push(space, ops_change("cut", op(client, 2, 2, set="x"))))
    assert (squat["status"], squat["reason"]) == ("refused", "foreign-client")
    assert result(owner.push(space, ops_change("cut", op(client, 2, 2, set="b"))))["accepted"] == 1


def test_an_expired_devices_client_id_is_refused_until_a_login_registers_it(server: ServerProcess) -> None:
    owner = signup(server.url)
    space = owner.new_space()
    client = secrets.token_hex(16)
    short = login(server, owner.username, client, ttl_seconds=3600)
    assert result(short.push(space, ops_change("cut", op(client, 1, 1, set="a"))))["accepted"] == 1
    server.clock.advance(3601)
    assert short.get(api.ME).status_code == 401
    late = result(owner.push(space, ops_change("cut", op(client, 2, 2, set="b"))))
    assert late["status"] == "refused" and late["reason"] == "unregistered-client", late
    again = login(server, owner.username, client)
    assert result(again.push(space, ops_change("cut", op(client, 2, 2, set="b"))))["accepted"] == 1
