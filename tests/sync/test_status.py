"""The status the app shows follows sync: offline, syncing with progress, up to date, conflicts, error;
and a cancelled sync keeps what it applied and a later one completes."""

from __future__ import annotations

from fractions import Fraction

import pytest

from studio.core import edits
from studio.core.cancel import CancelToken
from studio.core.errors import Cancelled, StudioError
from studio.core.project import ProjectSession, create_project
from studio.services import sync as svc
from studio.services.sync_status import CONFLICTS, ERROR, OFFLINE, SYNCING, UP_TO_DATE, SyncStatusModel
from studio.sync import credentials
from tests.sync.test_faults import local_people, push_people, team_space


def test_status_goes_through_syncing_to_up_to_date_then_conflicts(server, machines):
    alice = machines("alice").signup(server.url)
    bob = machines("bob").signup(server.url)
    with alice.store() as store:
        create_project(store, "Status")
        session = ProjectSession.open(store, "Status")
        session.apply("V1", lambda tl: edits.add_track(tl, "video", "V1"))
        session.apply("T", lambda tl: edits.add_title(tl, "V1", "x", at=Fraction(0), item_id="t"))
    alice.call(svc.share_project, "Status", bob.user, "editor")

    model = SyncStatusModel(server.url)
    seen = []
    model.subscribe(seen.append)
    bob.call(svc.sync, status=model)
    states = [s.state for s in seen]
    assert states[0] == OFFLINE and states[-1] == UP_TO_DATE
    progress = [s.progress for s in seen if s.state == SYNCING]
    assert progress and progress == sorted(progress) and all(0 <= p <= 1 for p in progress)

    for client, text in ((alice, "mine"), (bob, "yours")):
        with client.store() as store:
            ProjectSession.open(store, "Status").apply("Text", lambda tl, t=text: edits.set_text(tl, "t", t))
    alice.call(svc.sync)
    bob.call(svc.sync, status=model)
    assert model.status.state == CONFLICTS and model.status.conflicts == 1
    assert model.status.describe() == "1 conflict to resolve"


def test_status_says_offline_without_a_server_and_error_with_a_revoked_login(server, machines):
    cy = machines("cy", STUDIO_SYNC_RETRIES="1").signup(server.url)
    model = SyncStatusModel(server.url)
    with cy.active():
        account, token = credentials.load()
        credentials.save(credentials.Account("http://127.0.0.1:9", account.username), token)
    with pytest.raises(StudioError):
        cy.call(svc.sync, status=model)
    assert model.status.state == OFFLINE and "cannot reach" in model.status.describe()

    with cy.active():
        credentials.save(account, token)
    svc_logout_elsewhere(cy)
    with pytest.raises(StudioError):
        cy.call(svc.sync, status=model)
    assert model.status.state == ERROR and "log in again" in model.status.reason


def svc_logout_elsewhere(client) -> None:
    """Revoke the token on the server while keeping the local copy (as from another device)."""
    with client.active():
        api_client = svc.client_for()
    with api_client:
        api_client.request("DELETE", "/v1/tokens/current")


def test_a_cancelled_sync_keeps_applied_pages_and_the_next_one_completes(server, machines):
    alice = machines("alice").signup(server.url)
    bob = machines("bob").signup(server.url)
    client, space = team_space(alice, bob, server.url)
    push_people(client, space, 2500, pad=20)
    token = CancelToken()

    def progress(fraction: float, message: str) -> None:
        if message.startswith("pulled") and not token.cancelled and local_people(bob, space):
            token.cancel()

    model = SyncStatusModel(server.url)
    with pytest.raises(Cancelled):
        bob.call(svc.sync, progress=progress, cancel=token, status=model)
    assert model.status.state == OFFLINE and model.status.message == "Sync cancelled"
    part = local_people(bob, space)
    assert 0 < part < 2500 and part % 1000 == 0
    with bob.store() as store:
        assert store.integrity_check() == []
    assert bob.call(svc.sync).state == "up_to_date"
    assert local_people(bob, space) == 2500
