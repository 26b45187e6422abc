"""Public clip records are their publisher's claim about a media hash, tried with real client data folders
and the CLI against a live server on loopback: two publishers of one file each publish with their own
title and credits, search shows whose claim each is, each is pullable, and an earlier stranger's claim
never blocks the author."""

from __future__ import annotations

import json

import requests

from studio.protocol import api
from tests.sync.conftest import noise_wav, sha256_of


def publish(client, media, title: str, creator: str) -> None:
    done = client.cli(
        "publish", str(media), "--title", title, "--creator", creator, "--licence", "CC-BY-4.0"
    )
    assert done.returncode == 0, (done.stdout, done.stderr)


def search(client, text: str) -> list[dict]:
    done = client.cli("library", "search", text, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_two_publishers_of_one_file_each_get_their_own_claim(server, machines, tmp_path):
    ann, bob, carol = (machines(n).signup(server.url) for n in ("ann", "bob", "carol"))
    media = noise_wav(tmp_path / "same.wav", 0.2, seed=41)
    sha = sha256_of(media)
    publish(ann, media, "Rain on tin", "Ann:sound")
    publish(bob, media, "Tin roof", "Bob:recordist")

    hits = [h for h in search(carol, "tin") if h["id"] == sha]
    assert {h["publisher"] for h in hits} == {ann.user, bob.user}
    by = {h["publisher"]: h for h in hits}
    assert by[ann.user]["title"] == "Rain on tin" and by[bob.user]["title"] == "Tin roof"
    assert [c["name"] for c in by[ann.user]["credits"]] == ["Ann"]
    assert [c["name"] for c in by[bob.user]["credits"]] == ["Bob"]
    assert by[ann.user]["claim"] != by[bob.user]["claim"]
    assert all(h["claim"].startswith(sha) for h in hits)
    # The bytes are one blob: both claims serve the same verified media.
    blob = requests.get(server.url + api.BLOB.format(sha256=sha), timeout=30)
    assert blob.status_code == 200 and blob.content == media.read_bytes()

    # The text output names the publisher of each result.
    text = carol.cli("library", "search", "tin").stdout
    assert f"published by {ann.user}" in text and f"published by {bob.user}" in text

    # By hash alone, a third person must choose: the error lists both claims and their publishers.
    ambiguous = carol.cli("pull", sha)
    assert ambiguous.returncode != 0
    assert ann.user in ambiguous.stderr and bob.user in ambiguous.stderr and "claim id" in ambiguous.stderr
    # By claim id, each is pullable with its own credits; the media arrives verified.
    pulled = carol.cli("pull", by[bob.user]["claim"], "--json")
    assert pulled.returncode == 0, pulled.stderr
    got = json.loads(pulled.stdout)
    assert got["id"] == sha and got["publisher"] == bob.user and got["title"] == "Tin roof"
    assert sha256_of(got["path"]) == sha
    # Each publisher's own library keeps its own credits after syncing the other's claim's existence.
    for client, title in ((ann, "Rain on tin"), (bob, "Tin roof")):
        assert client.cli("sync").returncode == 0
        mine = json.loads(client.cli("pull", sha, "--json").stdout)
        assert mine["title"] == title and mine["publisher"] == client.user


def test_a_strangers_earlier_claim_no_longer_blocks_the_author(server, machines, tmp_path):
    ann, mallory, dora = (machines(n).signup(server.url) for n in ("ann", "mallory", "dora"))
    media = noise_wav(tmp_path / "ann.wav", 0.2, seed=42)
    sha = sha256_of(media)
    # Mallory saw the file and publishes a record about its hash first, crediting himself.
    publish(mallory, media, "Mine now", "Mallory:camera")
    done = ann.cli("publish", str(media), "--title", "Harbour", "--creator", "Ann:camera",
                   "--licence", "CC-BY-4.0", "--json")  # fmt: skip
    assert done.returncode == 0, (done.stdout, done.stderr)
    report = json.loads(ann.cli("sync", "--json").stdout)
    assert report["refused"] == [] and ann.cli("sync").returncode == 0
    hits = {h["publisher"]: h for h in search(dora, "") if h["id"] == sha}
    assert hits[ann.user]["credits"][0]["name"] == "Ann"
    assert hits[mallory.user]["credits"][0]["name"] == "Mallory"
    # Mallory cannot write into ann's claim, nor make a claim in her name, by its id.
    from studio.sync import credentials

    with mallory.active():
        login = credentials.load()
    assert login is not None
    headers = {"Authorization": f"Bearer {login[1]}"}
    for target in (hits[ann.user]["claim"], sha + "-" + "0" * 16):
        change = {"change_id": f"forge-{target[-8:]}", "kind": "clip", "id": target, "base_rev": None}
        forged = requests.post(
            server.url + api.CHANGES.format(space_id="public"),
            json={"changes": [{**change, "fields": {"title": "stolen"}}]},
            headers=headers,
            timeout=30,
        )
        assert forged.status_code == 200, forged.text
        assert forged.json()["results"][0]["reason"] == "not-owner"
    again = {h["publisher"]: h for h in search(dora, "harbour") if h["id"] == sha}
    assert again[ann.user]["title"] == "Harbour"
