"""The HTTP client against a small misbehaving HTTP server on loopback: retries only where safe,
Retry-After honoured, timeouts, cancel during a backoff."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator

import pytest

from studio.core.cancel import CancelToken
from studio.core.errors import Cancelled
from studio.sync.client import ApiClient, ApiError, OfflineError, RetryPolicy


class Script(http.server.ThreadingHTTPServer):
    """Answers each request with the next (status, headers, delay) of its script, then 200."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.script: list[tuple[int, dict[str, str], float]] = []
        self.seen: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        return None

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        server: Script = self.server  # type: ignore[assignment]
        with server.lock:
            server.seen.append((self.command, time.monotonic()))
            status, headers, delay = server.script.pop(0) if server.script else (200, {}, 0.0)
        time.sleep(delay)
        body = (
            b'{"ok":true}'
            if status == 200
            else (
                b'{"type":"urn:remix-studio:problem:x","title":"t","status":%d,"detail":"scripted"}' % status
            )
        )
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass

    do_GET = do_POST = do_PUT = _answer


@pytest.fixture
def script() -> Iterator[Script]:
    server = Script()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def client(url: str, **kwargs) -> ApiClient:
    kwargs.setdefault("retry", RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.05))
    kwargs.setdefault("timeout", (2.0, 5.0))
    return ApiClient(url, **kwargs)


def test_retry_after_is_honoured_even_for_a_plain_post(script):
    script.script = [(429, {"Retry-After": "1"}, 0.0)]
    with client(script.url) as c:
        assert c.post_json("/thing", {"a": 1}) == {"ok": True}
    (m1, t1), (m2, t2) = script.seen
    assert (m1, m2) == ("POST", "POST")
    assert t2 - t1 >= 0.95


def test_unavailable_is_retried_for_safe_requests_only(script):
    script.script = [(503, {}, 0.0), (503, {}, 0.0)]
    with client(script.url) as c:
        assert c.get_json("/feed") == {"ok": True}
    assert [m for m, _t in script.seen] == ["GET", "GET", "GET"]

    script.seen.clear()
    script.script = [(503, {}, 0.0)]
    with client(script.url) as c, pytest.raises(ApiError) as failed:
        c.post_json("/tokens", {"u": "x"})
    assert failed.value.status == 503
    assert [m for m, _t in script.seen] == ["POST"], "a POST that may have been processed is not repeated"

    script.seen.clear()
    script.script = [(503, {}, 0.0)]
    with client(script.url) as c:
        c.post_json("/changes", {"changes": []}, idempotent=True)
    assert [m for m, _t in script.seen] == ["POST", "POST"]


def test_timeouts_retry_safe_requests_and_fail_unsafe_ones_at_once(script):
    script.script = [(200, {}, 1.5)]
    with client(script.url, timeout=(2.0, 0.5)) as c:
        assert c.get_json("/slow") == {"ok": True}
    assert len(script.seen) == 2

    script.seen.clear()
    script.script = [(200, {}, 1.5)]
    with client(script.url, timeout=(2.0, 0.5)) as c, pytest.raises(OfflineError):
        c.post_json("/accounts", {"u": "x"})
    assert len(script.seen) == 1


def test_a_refused_connection_is_retried_then_reported_offline():
    with client("http://127.0.0.1:9") as c:
        with pytest.raises(OfflineError, match="cannot reach the server"):
            c.post_json("/accounts", {"u": "x"})
        assert c.requests_made == 4, "never sent, so even a POST is tried again"


def test_a_wait_longer_than_allowed_is_an_error_not_a_hang(script):
    script.script = [(429, {"Retry-After": "3600"}, 0.0)]
    with client(script.url) as c, pytest.raises(ApiError, match="wait 3600 s"):
        c.get_json("/feed")


def test_cancel_ends_a_backoff_at_once(script):
    script.script = [(429, {"Retry-After": "30"}, 0.0)]
    token = CancelToken()
    threading.Timer(0.3, token.cancel).start()
    started = time.monotonic()
    with client(script.url, cancel=token) as c, pytest.raises(Cancelled):
        c.get_json("/feed")
    assert time.monotonic() - started < 5
