"""Forwarding headers count only from a configured proxy: serve.py's uvicorn settings, so a real process."""

from __future__ import annotations

from typing import Any

from studio.protocol import api
from tests.server.conftest import ServerProcess, call, signup


def login(server: ServerProcess, username: str, password: str, address: str | None = None) -> Any:
    headers = {"X-Forwarded-For": address} if address else {}
    return call(
        "POST",
        server.url + api.TOKENS,
        json={"username": username, "password": password, "device_name": "d"},
        headers=headers,
        timeout=120,
    )


def test_forwarding_headers_count_only_from_a_configured_proxy(server: ServerProcess) -> None:
    user = signup(server.url)
    codes = [login(server, user.username, f"wrong {i}").status_code for i in range(7)]
    assert 429 in codes
    spoofed = login(server, user.username, "wrong again", "203.0.113.9")
    assert spoofed.status_code == 429, "X-Forwarded-For from a client that is not a proxy is ignored"
