"""Forwarding headers count only from a configured proxy: serve.py's uvicorn settings, so a real process."""

from __future__ import annotations

from tests.server.conftest import ServerProcess, signup
from tests.server.test_throttle import login


def test_forwarding_headers_count_only_from_a_configured_proxy(server: ServerProcess) -> None:
    user = signup(server.url)
    codes = [login(server, user.username, f"wrong {i}").status_code for i in range(7)]
    assert 429 in codes
    spoofed = login(server, user.username, "wrong again", "203.0.113.9")
    assert spoofed.status_code == 429, "X-Forwarded-For from a client that is not a proxy is ignored"
