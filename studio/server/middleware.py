"""ASGI middleware: request guards (body size, stalls, strict input), security headers, and structured
access logs that never contain secrets."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.parse
from typing import Any

from starlette.exceptions import HTTPException

from studio.protocol import api, problems
from studio.server.settings import Settings
from studio.server.strict_input import control_character, json_body_problem

access_log = logging.getLogger("studio.server.access")

Scope = dict[str, Any]


class BodyTooLarge(HTTPException):
    """Raised from receive(); an HTTPException so that the framework's body parsing passes it on as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is over the {limit}-byte limit")


class BodyStalled(HTTPException):
    """Raised from receive() when a body stops arriving; answered 408 and the connection is closed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            408, f"the request body stalled for {seconds:g} seconds", headers={"Connection": "close"}
        )


class RequestGuard:
    """Everything judged on a request before a route sees it.

    - A body that stops arriving for `body_timeout` seconds is abandoned (408), so a stalled upload
      holds neither its connection nor its buffer for ever.
    - The path and query string may not hold control characters (422).
    - A JSON body (anything but a blob part, whose route checks its exact length itself) is read whole,
      at most `max_body` bytes (413, judged from Content-Length before reading when it is given), and
      checked on its bytes before it is parsed: value count, depth, NaN/Infinity, control characters
      (strict_input). The route then parses the very bytes checked.
    """

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.limit = settings.max_body
        self.timeout = settings.body_timeout
        self.max_elements = settings.max_json_elements

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        bad = _bad_target(scope)
        if bad:
            await _problem(send, 422, problems.INVALID, bad)
            return
        watch = _StallWatch(receive, self.timeout)
        try:
            await self._guarded(scope, watch, send)
        finally:
            watch.close()

    async def _guarded(self, scope: Scope, receive: Any, send: Any) -> None:
        if "/parts/" in scope.get("path", "") or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                if not value.isdigit() or len(value) > 15:
                    await _problem(send, 400, problems.BAD_REQUEST, "Content-Length is not a byte count")
                    return
                if int(value) > self.limit:
                    await _problem(
                        send, 413, problems.TOO_LARGE, f"the body is over the {self.limit}-byte limit"
                    )
                    return
        try:
            body, finished = await self._read(receive)
        except (BodyTooLarge, BodyStalled) as exc:
            await _problem(send, exc.status_code, _TYPES[exc.status_code], exc.detail)
            return
        if body:
            problem = json_body_problem(body, self.max_elements, api.MAX_JSON_DEPTH)
            if problem:
                await _problem(send, 422, problems.INVALID, problem)
                return
        await self.app(scope, _replay(body, finished, receive), send)

    async def _read(self, receive: Any) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), False
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                raise BodyTooLarge(self.limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), True


class _StallWatch:
    """receive() with an idle deadline while the body is arriving. One timer per request checks, when it
    fires, whether a body read has been waiting longer than `timeout` (and cancels that read, which then
    raises BodyStalled), else re-arms itself for the remaining time: each read costs a clock read, not a
    timer of its own (a 200 MB upload is thousands of reads)."""

    def __init__(self, receive: Any, timeout: float) -> None:
        self._receive = receive
        self._timeout = timeout
        self._done = False
        self._waiting_since: float | None = None
        self._task: asyncio.Task[Any] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._fired = False

    async def __call__(self) -> Any:
        if self._done:
            return await self._receive()
        loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._waiting_since = loop.time()
        if self._timer is None:
            self._timer = loop.call_later(self._timeout, self._check)
        try:
            message = await self._receive()
        except asyncio.CancelledError:
            if self._fired and self._task is not None and self._task.uncancel() == 0:
                raise BodyStalled(self._timeout) from None
            raise
        finally:
            self._waiting_since = None
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.close()
        return message

    def close(self) -> None:
        """Stop watching: the body is complete, or the request is over."""
        self._done = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check(self) -> None:
        self._timer = None
        if self._done:
            return
        loop = asyncio.get_running_loop()
        since = self._waiting_since
        if since is not None and loop.time() - since >= self._timeout and self._task is not None:
            self._fired = True
            self._task.cancel()
            return
        wait = self._timeout if since is None else self._timeout - (loop.time() - since)
        self._timer = loop.call_later(max(wait, 0.01), self._check)


_TYPES = {408: problems.REQUEST_TIMEOUT, 413: problems.TOO_LARGE}


def _replay(body: bytes, finished: bool, receive: Any) -> Any:
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            if finished:
                return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _bad_target(scope: Scope) -> str | None:
    """Why the request's path or query string is refused (control characters), or None."""
    path = scope.get("path", "")
    found = control_character(path)
    if found:
        return f"the path holds the control character {found}"
    raw = scope.get("query_string", b"")
    if raw:
        try:
            text = urllib.parse.unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return "the query string is not UTF-8"
        found = control_character(text.replace("+", " "))
        if found:
            return f"the query string holds the control character {found}"
    return None


async def _problem(send: Any, status: int, type_: str, detail: str) -> None:
    body = json.dumps(problems.problem(type_, "Request refused", status, detail)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", problems.PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Headers every answer carries: no content sniffing, no framing, no referrer, no active content,
    and `Cache-Control: no-store` unless the route chose its own caching (immutable blobs). With TLS,
    browsers are told to keep using it."""

    def __init__(self, app: Any, tls: bool) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
        ]
        if tls:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {name.lower() for name, _ in headers}
                headers.extend(self.headers)
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AccessLog:
    """One JSON line per request: method, path (no query string), status, bytes, ms, account, client."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        sent = 0

        async def logging_send(message: Any) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, logging_send)
        finally:
            client = scope.get("client") or ("", 0)
            access_log.info(
                json.dumps(
                    {
                        "method": scope.get("method"),
                        "path": scope.get("path", "")[:300],
                        "status": status,
                        "bytes": sent,
                        "ms": round((time.perf_counter() - start) * 1000, 2),
                        "account": scope.get("state", {}).get("account"),
                        "client": client[0],
                    }
                )
            )
