"""Op client ids are bound to the account's registered devices, tried over real HTTP with the CLI: a second
login from the same data folder keeps pushing its edits (the login registers the folder's client id for the
new device), while ops under a client id whose device was revoked are refused with a reason the CLI shows,
until a login from that data folder registers it again."""

from __future__ import annotations

import json
import shutil

import requests

from studio.protocol import api
from tests.sync.conftest import PASSWORD
from tests.sync.test_integrity import add_title, items, shared


def revoke_all_but(server, user: str, keep: str) -> int:
    """Revoke every device of `user` but `keep`, as its owner would from another device."""
    token = requests.post(
        server.url + api.TOKENS, json={"username": user, "password": PASSWORD, "device_name": "t"}, timeout=30
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    listed = requests.get(server.url + api.DEVICES, headers=auth, timeout=30).json()
    revoked = 0
    for device in listed:
        if device["id"] != keep and not device["current"]:
            done = requests.delete(
                server.url + api.DEVICE.format(device_id=device["id"]), headers=auth, timeout=30
            )
            assert done.status_code == 204
            revoked += 1
    return revoked


def login(client) -> None:
    done = client.cli(
        "login", client.server_url, "--user", client.user, "--password-stdin", input=PASSWORD + "\n"
    )
    assert done.returncode == 0, done.stderr


def test_a_relogin_keeps_pushing_and_a_revoked_devices_client_id_is_refused(server, machines, tmp_path):
    ann, bob = shared(server, machines, "Dev", "ann", "bob")
    for client in (ann, bob):
        client.server_url = server.url
    add_title(ann, "Dev", "before", 1)
    assert ann.cli("sync").returncode == 0

    # A second login from the same data folder: the old device is revoked, the edits still go up.
    assert ann.cli("logout").returncode == 0
    login(ann)
    add_title(ann, "Dev", "after-relogin", 3)
    again = ann.cli("sync")
    assert again.returncode == 0, again.stdout + again.stderr

    # Ann's laptop logs in, then a copy of her desk's data folder (its client id, registered to the desk's
    # device) is put on it; the desk's device is revoked. Edits pushed under that client id are refused.
    laptop = machines("laptop")
    laptop.user, laptop.server_url = ann.user, server.url
    login(laptop)
    shutil.rmtree(laptop.root / "data")
    shutil.copytree(ann.root / "data", laptop.root / "data")
    laptop_device = json.loads((laptop.root / "config" / "account.json").read_text())["device_id"]
    assert revoke_all_but(server, ann.user, laptop_device) >= 1  # the desk's device among them
    add_title(laptop, "Dev", "from-copy", 5)
    refused = laptop.cli("sync")
    assert refused.returncode == 5, refused.stdout + refused.stderr
    assert (
        "[unregistered-client]" in refused.stdout and "log in again from this data folder" in refused.stdout
    )
    report = json.loads(laptop.cli("sync", "--json").stdout)
    assert [r["reason"] for r in report["refused"]] == ["unregistered-client"]

    # Logging in again from that folder registers its client id for the laptop: the edit goes up.
    login(laptop)
    fixed = laptop.cli("sync")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert bob.cli("sync").returncode == 0
    assert set(items(bob, "Dev")) == {"before", "after-relogin", "from-copy"}
