"""The local library holds several publishers' claims about one media file, tried with real data folders
and the CLI against a live server on loopback: after pulling someone else's claim of a file you can still
publish your own (and `studio publish` prints the claim id it made), the pulled claim keeps following its
publisher's edits without touching your own, and `studio pull HASH` lists every claim when it cannot
choose."""

from __future__ import annotations

import json

import requests

from studio.core.library import clip_claims, get_clip
from studio.protocol import api
from tests.sync.conftest import noise_wav, sha256_of


def claim_line(done) -> str:
    """The claim line `studio publish` / `studio pull` print on stderr (stdout is the clip id alone)."""
    return next(line for line in done.stderr.splitlines() if line.startswith("claim "))


def search_media(server, sha: str) -> dict[str, dict]:
    """Every claim about `sha`, asked of the server directly, by publisher."""
    found = requests.get(server.url + api.SEARCH, params={"media": sha}, timeout=30)
    assert found.status_code == 200, found.text
    return {r["owner"]: {"claim": r["id"], **r["doc"]} for r in found.json()["results"]}


def test_after_pulling_anothers_claim_you_publish_your_own(server, machines, tmp_path):
    ann, bob, carol = (machines(n).signup(server.url) for n in ("ann", "bob", "carol"))
    media = noise_wav(tmp_path / "tin.wav", 0.3, seed=71)
    sha = sha256_of(media)
    first = ann.cli(
        "publish", str(media), "--title", "Rain on tin", "--creator", "Ann:sound", "--licence", "CC-BY-4.0"
    )
    assert first.returncode == 0, first.stderr
    ann_claim = claim_line(first).split()[1]
    assert first.stdout.strip() == sha and ann_claim.startswith(sha + "-")

    pulled = bob.cli("pull", sha)
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.strip() == sha and claim_line(pulled) == f"claim {ann_claim} by {ann.user}"

    # Bob publishes his own claim about the same bytes, with his own title and credits.
    own = bob.cli(
        "publish",
        str(media),
        "--title",
        "Tin roof",
        "--creator",
        "Bob:recordist",
        "--licence",
        "CC-BY-SA-4.0",
    )
    assert own.returncode == 0, own.stdout + own.stderr
    assert own.stdout.strip() == sha
    bob_claim = claim_line(own).split()[1]
    claims = search_media(server, sha)
    assert set(claims) == {ann.user, bob.user}
    assert claims[bob.user]["claim"] == bob_claim != ann_claim == claims[ann.user]["claim"]
    assert claims[bob.user]["title"] == "Tin roof" and claims[ann.user]["title"] == "Rain on tin"
    assert [c["name"] for c in claims[bob.user]["credits"]] == ["Bob"]

    # Ann retitles her claim: Bob's library follows it as her claim; his own stays his.
    retitled = ann.cli("publish", str(media), "--title", "Rain on a tin roof")
    assert retitled.returncode == 0, retitled.stderr
    synced = bob.cli("sync")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    with bob.store() as store:
        kept = {c.publisher: (c.claim_id, c.title) for c in clip_claims(store, sha)}
        assert kept == {ann.user: (ann_claim, "Rain on a tin roof")}
        mine = get_clip(store, sha)
        assert (mine.title, mine.owner, [c.name for c in mine.credits]) == ("Tin roof", bob.user, ["Bob"])
    assert search_media(server, sha)[bob.user]["title"] == "Tin roof"

    # By hash: each publisher gets their own claim; a third person is shown every claim to choose from.
    assert claim_line(bob.cli("pull", sha)) == f"claim {bob_claim} by {bob.user}"
    ambiguous = carol.cli("pull", sha)
    assert ambiguous.returncode != 0
    listed = [line.split() for line in ambiguous.stderr.splitlines()[1:]]
    assert sorted((w[0], w[2].rstrip(":")) for w in listed) == sorted(
        [(ann_claim, ann.user), (bob_claim, bob.user)]
    )
    chosen = carol.cli("pull", bob_claim, "--json")
    assert chosen.returncode == 0, chosen.stderr
    assert json.loads(chosen.stdout)["title"] == "Tin roof"
