"""Resumable, verified transfers under real faults: killed clients, a corrupting, stalling and resetting
network (a loopback proxy in front of the live server)."""

from __future__ import annotations

import filecmp
import hashlib
import os
import random
import re
import time
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
import requests

from studio.core import edits
from studio.core.cancel import CancelToken
from studio.core.errors import Cancelled
from studio.core.library import get_clip
from studio.core.project import ProjectSession, create_project
from studio.protocol import api
from studio.services import sync as svc
from studio.services.library import parse_creator
from tests.sync.conftest import noise_wav, sha256_of, wait_for
from tests.sync.proxy import Chaos, FlakyProxy

MIB = 1024 * 1024
PART = re.compile(r"^/v1/uploads/([0-9a-f]{32})/parts/(\d+)$")
PUBLISH = ("--creator", "Ann Lee:sound", "--licence", "CC0-1.0")


def seed() -> int:
    return int.from_bytes(os.urandom(4), "big")


def part_puts(server, since: int) -> list[tuple[str, int, int]]:
    """(session, part number, status) of every part upload the server logged after entry `since`."""
    out = []
    for entry in server.access()[since:]:
        match = PART.match(entry.get("path", ""))
        if entry.get("method") == "PUT" and match:
            out.append((match.group(1), int(match.group(2)), entry["status"]))
    return out


def blob_gets(server, sha: str, since: int) -> list[dict]:
    return [
        e for e in server.access()[since:] if e.get("method") == "GET" and e.get("path") == f"/v1/blobs/{sha}"
    ]


def media_file(client, sha: str) -> Path:
    return client.root / "data" / "media" / sha[:2] / sha[2:4] / sha


@pytest.fixture
def proxy(server):
    made = FlakyProxy(server.port)
    yield made
    made.close()


def test_upload_killed_at_random_points_resumes_without_resending_verified_parts(
    server, machines, proxy, tmp_path
):
    rng = random.Random(seed())
    alice = machines("alice").signup(proxy.url)
    wav = noise_wav(tmp_path / "long.wav", 360, rng.randrange(2**31))  # 69 MB: 3 parts of 32 MiB
    sha = sha256_of(wav)
    proxy.rate = 40 * MIB
    since = len(server.access())
    kills = 0
    for _round in range(2):
        received = sum(1 for _s, _n, status in part_puts(server, since) if status == 200)
        proc = alice.popen("publish", str(wav), *PUBLISH)
        wait_for(
            lambda proc=proc, received=received: (
                proc.poll() is not None
                or sum(1 for *_x, st in part_puts(server, since) if st == 200) > received
            ),
            60,
            "a part upload",
        )
        if proc.poll() is None:
            time.sleep(rng.uniform(0.0, 0.6))
            proc.kill()
            kills += 1
        proc.wait(30)
    done = alice.cli("publish", str(wav), *PUBLISH)
    assert done.returncode == 0, done.stderr
    assert kills >= 1

    puts = part_puts(server, since)
    sessions = {s for s, _n, _st in puts}
    assert len(sessions) == 1, "a resumed upload continues the same session"
    verified = Counter(n for _s, n, status in puts if status == 200)
    assert sorted(verified) == [1, 2, 3]
    assert set(verified.values()) == {1}, f"a verified part was sent again: {puts}"
    served = requests.get(server.url + api.BLOB.format(sha256=sha), timeout=30)
    assert served.status_code == 200 and served.content == wav.read_bytes()


@pytest.fixture
def published(server, machines, tmp_path):
    """A 3-part clip Alice published (uploaded straight to the server)."""
    alice = machines("alice").signup(server.url)
    wav = noise_wav(tmp_path / "shared.wav", 90, seed())
    result = alice.call(svc.publish_file, wav, creators=[parse_creator("Ann Lee:sound")], licence="CC0-1.0")
    return result["clip"], wav


def test_download_killed_at_random_points_resumes_from_the_part_file(server, machines, proxy, published):
    clip_id, wav = published
    rng = random.Random(seed())
    bob = machines("bob").signup(proxy.url)
    target = media_file(bob, clip_id)
    partial = target.with_name(target.name + ".part")
    proxy.rate = 12 * MIB
    since = len(server.access())
    sizes = []
    for _round in range(2):
        start = partial.stat().st_size if partial.exists() else 0
        threshold = start + rng.randrange(MIB, 6 * MIB)
        proc = bob.popen("pull", clip_id)
        wait_for(
            lambda proc=proc, t=threshold: (
                proc.poll() is not None or (partial.exists() and partial.stat().st_size >= t)
            ),
            60,
            "download progress",
        )
        proc.kill()
        proc.wait(30)
        if partial.exists():
            sizes.append(partial.stat().st_size)
    assert sizes and not target.exists()
    kept = partial.stat().st_size
    done = bob.cli("pull", clip_id)
    assert done.returncode == 0, done.stderr
    assert filecmp.cmp(target, wav, shallow=False)
    assert not partial.exists()
    gets = blob_gets(server, clip_id, since)
    resumed = gets[-1]
    assert resumed["status"] == 206
    assert resumed["bytes"] == wav.stat().st_size - kept, "only the bytes after the part file were fetched"


def test_a_corrupted_byte_in_a_download_is_detected_and_fetched_again(server, machines, proxy, published):
    clip_id, wav = published
    bob = machines("bob").signup(proxy.url)
    proxy.corrupt_at = 5 * MIB + 12345
    since = len(server.access())
    result = bob.call(svc.pull_clip, clip_id)
    assert proxy.corrupted == 1
    assert filecmp.cmp(result["path"], wav, shallow=False)
    assert [g["status"] for g in blob_gets(server, clip_id, since)] == [200, 200]
    assert [c["name"] for c in result["credits"]] == ["Ann Lee"]
    assert result["licence"] == "CC0-1.0"


def test_a_flaky_network_that_stalls_and_resets_corrupts_nothing(server, machines, tmp_path):
    rng = random.Random(seed())
    proxy = FlakyProxy(server.port)
    try:
        alice = machines("alice").signup(proxy.url)
        bob = machines("bob").signup(proxy.url)
        for client in (alice, bob):  # short read timeouts from here on, so stalls cost little
            client.extra_env.update(
                STUDIO_SYNC_TIMEOUT="2", STUDIO_SYNC_RETRIES="8", STUDIO_SYNC_BACKOFF="0.05"
            )
        wav = noise_wav(tmp_path / "flaky.wav", 60, rng.randrange(2**31))  # 2 parts
        with alice.store() as store:
            create_project(store, "Noisy")
        alice.call(svc.share_project, "Noisy", bob.user, "editor")
        proxy.chaos = Chaos(rng, reset_p=0.002, stall_p=0.002, stall_s=2.5)

        published = alice.call(
            svc.publish_file, wav, creators=[parse_creator("Ann Lee")], licence="CC-BY-4.0"
        )
        clip_id = published["clip"]
        with alice.store() as store:
            session = ProjectSession.open(store, "Noisy")
            session.apply("Track", lambda tl: edits.add_track(tl, "audio", "A1"))
            clip = get_clip(store, clip_id)
            for n in range(20):
                session.apply(
                    "Add",
                    lambda tl, n=n: edits.insert_item(
                        tl, clip, "A1", at=Fraction(n * 60), source_out=Fraction(1)
                    ),
                )
        alice.call(svc.sync)
        bob.call(svc.sync)
        for n in range(3):
            with bob.store() as store:
                ProjectSession.open(store, "Noisy").apply(
                    "Note", lambda tl, n=n: edits.add_marker(tl, Fraction(n), f"note {n}", author="bob")
                )
            bob.call(svc.sync)
        alice.call(svc.sync)
        assert proxy.resets > 0 and proxy.stalls > 0, "the proxy did not misbehave: the test proves nothing"
    finally:
        proxy.close()

    assert filecmp.cmp(media_file(bob, clip_id), wav, shallow=False)
    served = requests.get(server.url + api.BLOB.format(sha256=clip_id), timeout=30)
    assert served.content == wav.read_bytes()
    timelines = []
    for client in (alice, bob):
        with client.store() as store:
            assert store.integrity_check() == []
            timelines.append(ProjectSession.open(store, "Noisy").timeline)
    assert timelines[0] == timelines[1]
    assert len(timelines[0].items) == 20 and len(timelines[0].markers) == 3


def test_a_cancelled_download_keeps_its_part_file_and_the_next_pull_resumes(
    server, machines, proxy, published
):
    clip_id, wav = published
    bob = machines("bob").signup(proxy.url)
    proxy.rate = 12 * MIB
    token = CancelToken()
    partial = media_file(bob, clip_id).with_name(clip_id + ".part")

    def progress(fraction: float, message: str) -> None:
        if message == "downloading media" and fraction > 0.3:
            token.cancel()

    before = len(server.access())
    with pytest.raises(Cancelled):
        bob.call(svc.pull_clip, clip_id, progress=progress, cancel=token)
    kept = partial.stat().st_size
    assert 0.3 * wav.stat().st_size < kept < wav.stat().st_size
    # The server logs the cancelled GET once it notices the client went away, which may be a moment later.
    wait_for(lambda: blob_gets(server, clip_id, before) != [], 30, "the cancelled download in the log")
    since = len(server.access())
    result = bob.call(svc.pull_clip, clip_id)
    assert filecmp.cmp(result["path"], wav, shallow=False)
    assert [(g["status"], g["bytes"]) for g in blob_gets(server, clip_id, since)] == [
        (206, wav.stat().st_size - kept)
    ]


def test_a_file_that_changes_or_shrinks_during_its_upload_is_named_and_nothing_is_published(server, tmp_path):
    """Parts are read into reused buffers: a short read must never send a previous part's bytes, and a
    file edited after it was hashed must fail at the whole-blob check, not publish."""
    from studio.sync.client import ApiClient, SyncError
    from studio.sync.transfer import BlobSource, upload_blobs
    from tests.server.conftest import signup

    owner = signup(server.url)
    space = owner.new_space("uploads")
    path = tmp_path / "blob.bin"
    with ApiClient(server.url, owner.token) as client:
        data = os.urandom(2 * api.PART_SIZE + 4096)
        sha = hashlib.sha256(data).hexdigest()
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
        with pytest.raises(SyncError, match="changed while it was being uploaded"):
            upload_blobs(client, space, [BlobSource(sha, len(data), path)])
        data = os.urandom(2 * api.PART_SIZE + 4096)
        sha_short = hashlib.sha256(data).hexdigest()
        path.write_bytes(data[: api.PART_SIZE + 10])
        with pytest.raises(SyncError, match="shorter than when it was announced"):
            upload_blobs(client, space, [BlobSource(sha_short, len(data), path)])
    for blob in (sha, sha_short):
        assert owner.get(api.BLOB.format(sha256=blob)).status_code == 404


@pytest.mark.parametrize("elsewhere", [False, True], ids=["this-computer", "another-computer"])
def test_parts_go_one_at_a_time_to_this_computer_and_two_at_a_time_to_another(
    server, proxy, tmp_path, monkeypatch, elsewhere
):
    """To this computer there is no round trip to hide: one part at a time, on one connection. To another
    computer (the address judged as a remote one) two parts are in flight, on two connections. Either way
    every part is verified once and the blob is exactly the file."""
    from studio.sync import transfer
    from studio.sync.client import ApiClient
    from tests.server.conftest import signup

    if elsewhere:
        monkeypatch.setattr(transfer, "is_this_computer", lambda _url: False)
    owner = signup(server.url)
    space = owner.new_space("uploads")
    data = os.urandom(2 * api.PART_SIZE + 999)
    sha = hashlib.sha256(data).hexdigest()
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    since, opened = len(server.access()), proxy.connections
    with ApiClient(proxy.url, owner.token) as client:
        transfer.upload_blobs(client, space, [transfer.BlobSource(sha, len(data), path)])
    assert sorted(n for _s, n, status in part_puts(server, since) if status == 200) == [1, 2, 3]
    assert owner.get(api.BLOB.format(sha256=sha)).content == data
    if elsewhere:
        assert proxy.connections - opened >= 2
    else:
        assert proxy.connections - opened == 1


def test_this_computer_is_told_apart_from_others_by_the_address() -> None:
    from studio.sync.client import is_this_computer

    for url in ("http://127.0.0.1:8750", "http://localhost:1", "https://[::1]:9", "http://studio.localhost"):
        assert is_this_computer(url), url
    for url in ("http://192.168.1.20:8750", "https://studio.example.org", "http://10.0.0.1", "http://[::2]"):
        assert not is_this_computer(url), url
