"""The account service is the one way the app and the CLI log in and out, and the errors of the sync
services carry fields instead of CLI flags: the CLI words them with its commands, the app with its own."""

from __future__ import annotations

import pytest

from studio.core.clips import Credit
from studio.services import account
from studio.services import sync as svc
from studio.services.sync import NotPublishable
from tests import mediagen
from tests.sync.conftest import PASSWORD, unique


def test_signup_login_and_logout_through_the_account_service(server, machines):
    alice = machines("alice")
    name = unique("alice")
    with alice.active():
        assert account.current_account() is None
        with pytest.raises(account.NotLoggedIn) as missing:
            account.current_login()
        assert str(missing.value) == "not logged in to a server"
        made = account.signup(server.url, name, PASSWORD)
        assert (made.server, made.username) == (server.url, name)
        kept = account.current_account()
        assert kept is not None and (kept.server, kept.username) == (server.url, name)
        assert account.current_login().account.username == name
        gone = account.logout()
        assert gone is not None and gone.username == name
        assert account.current_account() is None
        again = account.login(server.url, name, PASSWORD)
        assert again.username == name
    # The CLI reads the same kept login.
    synced = alice.cli("sync")
    assert synced.returncode == 0, synced.stderr


def test_not_logged_in_is_worded_by_the_cli(machines):
    nobody = machines("nobody")
    done = nobody.cli("sync")
    assert done.returncode == 2
    assert "not logged in to a server: run studio login URL --user NAME (or studio signup)" in done.stderr


def test_publish_errors_name_what_is_missing_and_the_cli_names_the_flag(server, machines, tmp_path):
    alice = machines("alice").signup(server.url)
    tone = mediagen.make_audio(tmp_path / "bare.wav", 1, frequency=611)
    other = mediagen.make_audio(tmp_path / "other.wav", 1, frequency=613)
    with pytest.raises(NotPublishable) as bare:
        alice.call(svc.publish_file, tone)
    assert bare.value.missing == "credits" and "--" not in str(bare.value)
    with pytest.raises(NotPublishable) as unlicensed:
        alice.call(svc.publish_file, tone, creators=[Credit("Ann Lee", ("camera",))])
    assert unlicensed.value.missing == "licence" and "--" not in str(unlicensed.value)

    done = alice.cli("publish", str(other))
    assert done.returncode == 2
    assert "credits nobody" in done.stderr and "(studio import FILE --creator NAME[:ROLE])" in done.stderr
    done = alice.cli("publish", str(other), "--creator", "Ann Lee")
    assert done.returncode == 2
    assert "no licence" in done.stderr and "(studio import FILE --licence CC-BY-4.0)" in done.stderr
