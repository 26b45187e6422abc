"""Login and signup throttling on SQLite and on PostgreSQL: concurrent wrong passwords cannot slip past the
limit, strangers cannot lock an owner out, and a delay lifts when its time has passed (the server's clock
is moved, not waited for). Addresses other than loopback are simulated through X-Forwarded-For, which the
server believes only because the test names 127.0.0.1 as its proxy (test_proxy_headers.py checks that
nobody else is believed)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from studio.protocol import api, problems
from tests.server.conftest import InProcessServer, ServerProcess, call, unique

IN_PROCESS = True  # request/answer logic: the app in this process (tests/server/conftest.py)

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def proxied(backend: tuple[str, str, str], tmp_path_factory: pytest.TempPathFactory) -> Any:
    _kind, database, blobs = backend
    proc = InProcessServer(
        tmp_path_factory.mktemp("proxied"),
        database,
        blobs,
        env={
            "STUDIO_SERVER_TRUSTED_PROXIES": "127.0.0.1",
            "STUDIO_SERVER_SIGNUPS_PER_ADDRESS": "3",
            # Free attempts: 3 per address and account, 4 per account, 20 per address (few argon2 runs).
            "STUDIO_SERVER_LOGIN_FAILURES": "4",
        },
    ).start()
    yield proc
    proc.stop()


def login(server: ServerProcess, username: str, password: str, address: str | None = None) -> Any:
    headers = {"X-Forwarded-For": address} if address else {}
    return call(
        "POST",
        server.url + api.TOKENS,
        json={"username": username, "password": password, "device_name": "d"},
        headers=headers,
        timeout=120,
    )


def new_account(server: ServerProcess, address: str) -> str:
    username = unique("t")
    r = call(
        "POST",
        server.url + api.ACCOUNTS,
        json={"username": username, "password": PASSWORD},
        headers={"X-Forwarded-For": address},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    return username


def test_concurrent_wrong_passwords_cannot_all_be_checked(proxied: ServerProcess) -> None:
    username = new_account(proxied, "10.1.0.1")
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda i: login(proxied, username, f"guess {i}", "10.1.0.2"), range(30)))
    codes = [r.status_code for r in answers]
    # The pair allows 3 free attempts; the fourth is checked and starts a 2-second delay, and every other
    # one is refused without being checked (one more may pass if the burst outlasts that delay).
    assert codes.count(401) <= 5, codes
    assert codes.count(429) >= 25, codes
    refused = next(r for r in answers if r.status_code == 429)
    assert refused.json()["type"] == problems.RATE_LIMITED
    # At most two checked failures past the free ones: delays of 2 then 4 seconds, never more.
    assert all(1 <= int(r.headers["Retry-After"]) <= 4 for r in answers if r.status_code == 429), [
        r.headers.get("Retry-After") for r in answers
    ]


def test_a_delay_lifts_once_its_time_has_passed(proxied: InProcessServer) -> None:
    username = new_account(proxied, "10.5.0.1")
    with proxied.clock.frozen():
        codes = [login(proxied, username, f"guess {i}", "10.5.0.2").status_code for i in range(5)]
        assert codes[:3] == [401] * 3 and codes[-1] == 429, codes
        held = login(proxied, username, PASSWORD, "10.5.0.2")
        assert held.status_code == 429, "the right password waits out the delay like any guess"
        wait = int(held.headers["Retry-After"])
        proxied.clock.advance(wait - 1)
        assert login(proxied, username, PASSWORD, "10.5.0.2").status_code == 429
        proxied.clock.advance(1)
        assert login(proxied, username, PASSWORD, "10.5.0.2").status_code == 201


def test_strangers_cannot_lock_the_owner_out(proxied: ServerProcess) -> None:
    username = new_account(proxied, "10.2.0.1")
    assert login(proxied, username, PASSWORD, "10.2.0.1").status_code == 201  # the owner's usual address
    for i in range(4):  # four strangers, two guesses each: past the account's own free attempts
        for j in range(2):
            login(proxied, username, f"guess {i} {j}", f"10.2.1.{i}")
    assert login(proxied, username, "another guess", "10.2.9.9").status_code == 429
    owner = login(proxied, username, PASSWORD, "10.2.0.1")
    assert owner.status_code == 201, owner.text
    away = login(proxied, username, PASSWORD, "10.2.0.77")  # the owner somewhere new: delayed, not locked
    if away.status_code == 429:
        assert int(away.headers["Retry-After"]) <= 60
    else:
        assert away.status_code == 201


def test_a_busy_address_does_not_lock_out_the_people_behind_it(proxied: ServerProcess) -> None:
    campus = "10.3.0.1"
    regular = new_account(proxied, "10.3.9.1")
    assert login(proxied, regular, PASSWORD, campus).status_code == 201
    for i in range(24):  # many failures from the campus, spread over many accounts
        login(proxied, f"nobody{i % 8}", "wrong password", campus)
    assert login(proxied, f"nobody{unique('x')}", "wrong password", campus).status_code == 429
    assert login(proxied, regular, PASSWORD, campus).status_code == 201


def test_signups_from_one_address_are_slowed(proxied: ServerProcess) -> None:
    codes = []
    for _ in range(6):
        r = call(
            "POST",
            proxied.url + api.ACCOUNTS,
            json={"username": unique("s"), "password": PASSWORD},
            headers={"X-Forwarded-For": "10.4.0.1"},
            timeout=60,
        )
        codes.append(r.status_code)
    assert codes[:4] == [201] * 4 and 429 in codes[4:], codes
    elsewhere = new_account(proxied, "10.4.0.2")
    assert elsewhere
