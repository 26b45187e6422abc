"""A person with an account is that account in every credit, tried over real HTTP with several data folders:
`--creator @user:ROLE` and the logged-in user's own name get the account's contributor id, the same on every
machine, in the clips pulled elsewhere and in the credits embedded in an export (read back with mutagen); a
name credited before the login moves to the account's id; an unknown or unreachable account is a clear error
that imports nothing."""

from __future__ import annotations

import json

import requests
from mutagen.wave import WAVE

from studio.core.identity import contributor_id
from studio.core.library import get_clip
from studio.protocol import api
from tests import mediagen
from tests.server.conftest import unique
from tests.sync.conftest import PASSWORD, noise_wav, sha256_of


def account_id(server, user: str) -> str:
    """The account id the server hands out at login, asked for directly (not through the studio's client)."""
    grant = requests.post(
        server.url + api.TOKENS, json={"username": user, "password": PASSWORD, "device_name": "t"}, timeout=30
    )
    assert grant.status_code == 201, grant.text
    return str(grant.json()["account"]["id"])


def imported_credits(client, media, *creators: str) -> dict[str, str]:
    args = ["import", str(media), "--licence", "CC-BY-4.0", "--json"]
    for creator in creators:
        args += ["--creator", creator]
    done = client.cli(*args)
    assert done.returncode == 0, done.stderr
    return {c["name"]: c["id"] for c in json.loads(done.stdout)[0]["credits"]}


def test_an_account_has_one_contributor_id_on_every_machine_and_in_exports(server, machines, tmp_path):
    ann = machines("ann").signup(server.url)
    bob = machines("bob").signup(server.url)
    ann_id, bob_id = "a-" + account_id(server, ann.user), "a-" + account_id(server, bob.user)
    # Ann's second machine: another data folder logged in to the same account.
    laptop = machines("laptop")
    laptop.user = ann.user
    done = laptop.cli("login", server.url, "--user", ann.user, "--password-stdin", input=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr

    one = noise_wav(tmp_path / "one.wav", 0.3, seed=1)
    two = noise_wav(tmp_path / "two.wav", 0.3, seed=2)
    on_desk = imported_credits(ann, one, f"@{bob.user}:music", f"{ann.user}:camera", "Ann Lee:sound")
    on_laptop = imported_credits(laptop, two, f"@{bob.user}:mix", f"@{ann.user}:edit")
    own = imported_credits(bob, noise_wav(tmp_path / "three.wav", 0.3, seed=3), f"{bob.user}:music")

    assert on_desk[f"@{bob.user}"] == on_laptop[f"@{bob.user}"] == own[bob.user] == bob_id
    assert on_desk[ann.user] == on_laptop[f"@{ann.user}"] == ann_id
    assert on_desk["Ann Lee"] == contributor_id("Ann Lee")  # a person known only by name keeps that id

    # Published from one machine and pulled on another, the clip keeps the account ids.
    published = ann.cli("publish", sha256_of(one))
    assert published.returncode == 0, published.stderr
    pulled = bob.cli("pull", sha256_of(one), "--json")
    assert pulled.returncode == 0, pulled.stderr
    with bob.store() as store:
        pulled_ids = {c.name: c.contributor_id for c in get_clip(store, sha256_of(one)).credits}
    assert pulled_ids == on_desk
    hits = json.loads(bob.cli("library", "search", "--contributor", "Ann Lee", "--json").stdout)
    mine = [h for h in hits if h["id"] == sha256_of(one)]
    assert mine and {c["name"]: c["contributor"] for c in mine[0]["credits"]} == on_desk

    # An export names the accounts by the same ids (read back with mutagen, not the studio's reader).
    assert bob.cli("project", "new", "piece").returncode == 0
    assert bob.cli("project", "add", "piece", sha256_of(one), "--track", "A1").returncode == 0
    out = tmp_path / "piece.wav"
    rendered = bob.cli("render", "piece", "-o", str(out), "--format", "wav")
    assert rendered.returncode == 0, rendered.stderr
    block = json.loads(str(WAVE(out).tags["TXXX:CREDITS_JSON"]))
    assert {c["name"]: c["id"] for c in block["contributors"]} == on_desk


def test_a_name_credited_before_login_becomes_the_account(server, machines, tmp_path):
    cleo = machines("cleo")
    cleo.user = unique("cleo")
    media = noise_wav(tmp_path / "before.wav", 0.3, seed=4)
    offline = imported_credits(cleo, media, f"{cleo.user}:camera")
    assert offline[cleo.user] == contributor_id(cleo.user)

    signed = cleo.cli("signup", server.url, "--user", cleo.user, "--password-stdin", input=PASSWORD + "\n")
    assert signed.returncode == 0, signed.stderr
    with cleo.store() as store:
        after = {c.name: c.contributor_id for c in get_clip(store, sha256_of(media)).credits}
    assert after == {cleo.user: "a-" + account_id(server, cleo.user)}
    # The change is queued, so the server learns the account credit at the next publish or sync.
    assert cleo.cli("publish", sha256_of(media)).returncode == 0
    record = requests.get(
        server.url + api.RECORD.format(space_id="public", kind="clip", record_id=sha256_of(media)), timeout=30
    ).json()
    assert [c["contributor"] for c in record["doc"]["credits"]] == [after[cleo.user]]


def test_crediting_an_unknown_or_unreachable_account_imports_nothing(own_server, machines, tmp_path):
    own_server.start()
    dan = machines("dan").signup(own_server.url)
    media = mediagen.make_audio(tmp_path / "tone.wav", 0.3)
    unknown = dan.cli("import", str(media), "--creator", "@nobody-here:music")
    assert unknown.returncode != 0
    assert "no account @nobody-here" in unknown.stderr and "Traceback" not in unknown.stderr

    known = dan.cli("import", str(media), "--creator", f"@{dan.user}:music", "--json")
    assert known.returncode == 0, known.stderr
    own_server.stop()
    # Known accounts are credited offline; an account never resolved here is a clear error, nothing written.
    other = mediagen.make_audio(tmp_path / "other.wav", 0.3, frequency=660)
    cached = dan.cli("import", str(other), "--creator", f"@{dan.user}:mix", "--json")
    assert cached.returncode == 0, cached.stderr
    assert json.loads(cached.stdout)[0]["credits"][0]["id"] == json.loads(known.stdout)[0]["credits"][0]["id"]
    third = mediagen.make_audio(tmp_path / "third.wav", 0.3, frequency=880)
    down = dan.cli("import", str(third), "--creator", "@erin:music")
    assert down.returncode != 0 and "cannot check who @erin is" in down.stderr, down.stderr
    with dan.store() as store, store.read() as conn:
        assert conn.execute("SELECT count(*) FROM clips").fetchone()[0] == 2

    nobody = machines("nologin")
    offline = nobody.cli("import", str(media), "--creator", "@dan:music")
    assert offline.returncode != 0 and "log in first" in offline.stderr
    assert "run studio login URL --user NAME" in offline.stderr, offline.stderr  # the CLI words the way in
