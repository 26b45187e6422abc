"""ASGI middleware: a cap on request bodies, and structured access logs that never contain secrets."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.exceptions import HTTPException

from studio.protocol import problems

access_log = logging.getLogger("studio.server.access")

Scope = dict[str, Any]


class BodyTooLarge(HTTPException):
    """Raised from receive(); an HTTPException so that the framework's body parsing passes it on as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is over the {limit}-byte limit")


class BodyLimit:
    """Refuse JSON bodies over `limit` bytes: from Content-Length before reading, else while reading.
    Blob parts are exempt here; their route enforces the exact part length itself."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or "/parts/" in scope.get("path", ""):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                if not value.isdigit():
                    await _problem(send, 400, problems.BAD_REQUEST, "Content-Length is not a byte count")
                    return
                if int(value) > self.limit:
                    await _problem(
                        send, 413, problems.TOO_LARGE, f"the body is over the {self.limit}-byte limit"
                    )
                    return
        seen = 0
        started = False

        async def counting_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _problem(send, 413, problems.TOO_LARGE, f"the body is over the {self.limit}-byte limit")


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
