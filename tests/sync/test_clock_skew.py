"""Clients whose clocks are a day apart merge exactly as clients with equal clocks.

The same collaboration runs twice, each against a fresh live server (a client id is bound to the
account that first pushes under it), with the same client ids: once with true
clocks, once with Alice's clock a day behind and Bob's a day ahead (time.time and the store's datetime
source shifted while each of them works). The merged projects, their conflicts and every op's Lamport
stamp are identical, because ordering uses Lamport stamps, never wall clocks.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

import studio.core.store as store_module
from studio.core.project import ProjectSession
from studio.services import sync as svc
from tests.sync.test_collaboration import alice_offline, bob_offline, shared_base

DAY = 86400.0
CLIENT_IDS = {"alice": "a" * 32, "bob": "b" * 32}


@contextlib.contextmanager
def clock(offset: float, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Shift the wall clock this process sees by `offset` seconds."""
    real_time = time.time
    real_ns = time.time_ns

    class Shifted(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return datetime.fromtimestamp(real_time() + offset, tz)

    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: real_time() + offset)
        patch.setattr(time, "time_ns", lambda: real_ns() + int(offset * 1e9))
        patch.setattr(store_module, "datetime", Shifted)
        yield


class Skewed:
    """A client whose every action runs under its own clock offset."""

    def __init__(self, client, offset: float, monkeypatch: pytest.MonkeyPatch) -> None:
        self.client, self.offset, self.monkeypatch = client, offset, monkeypatch

    def __getattr__(self, name):
        attr = getattr(self.client, name)
        if not callable(attr):
            return attr

        def run(*args, **kwargs):
            with clock(self.offset, self.monkeypatch):
                result = attr(*args, **kwargs)
            return self if result is self.client else result

        return run

    @contextlib.contextmanager
    def store(self):
        with clock(self.offset, self.monkeypatch), self.client.store() as store:
            yield store


def run_collaboration(server, machines, monkeypatch, offsets: dict[str, float]) -> tuple[dict, list]:
    def make(name: str):
        client = machines(name)
        with client.store() as store:
            store.set_meta("client_id", CLIENT_IDS[name])
        return Skewed(client, offsets[name], monkeypatch)

    alice, bob = shared_base(server, make, "Skew", "alice", "bob")
    alice_offline(alice, "Skew")
    bob_offline(bob, "Skew")
    for client in (bob, alice, bob):
        client.call(svc.sync)
    with alice.store() as a_store, bob.store() as b_store:
        a_session, b_session = ProjectSession.open(a_store, "Skew"), ProjectSession.open(b_store, "Skew")
        assert a_session.timeline == b_session.timeline
        stamps = [(r.op_id, r.lamport, r.op) for r in a_store.journal_ordered(a_session.id)]
        created = sorted(
            r.created for r in a_store.journal_ordered(a_session.id) if r.client == CLIENT_IDS["alice"]
        )
        return a_session.timeline.to_dict(), [stamps, created]


def test_a_day_of_clock_skew_merges_exactly_like_equal_clocks(tmp_path, monkeypatch):
    from tests.server.conftest import ServerProcess
    from tests.sync.conftest import Client

    def machines_in(folder: str):
        return lambda name, **env: Client(tmp_path / folder / name, name, env)

    def run(folder: str, offsets: dict[str, float]) -> tuple[dict, list]:
        server = ServerProcess(tmp_path / folder / "server").start()
        try:
            return run_collaboration(server, machines_in(folder), monkeypatch, offsets)
        finally:
            server.stop()

    equal, (equal_stamps, equal_created) = run("equal", {"alice": 0.0, "bob": 0.0})
    skewed, (skewed_stamps, skewed_created) = run("skewed", {"alice": -DAY, "bob": +DAY})
    assert skewed == equal
    assert skewed_stamps == equal_stamps
    assert equal["conflicts"], "the scenario has concurrent edits to merge"
    # The skew was real: Alice's journal rows carry wall-clock times a day earlier.
    assert equal_created[0] - skewed_created[0] > DAY * 0.99
