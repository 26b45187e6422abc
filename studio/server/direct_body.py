"""A request body handed from the connection straight to the route that asked for it (upload parts).

Through ASGI, uvicorn passes each socket read of a body through the HTTP parser (a copy), the request's
buffer (another), the receive message (a third), an event and a task switch, and every middleware's
receive wrapper before the route sees it. For upload parts that was most of the server's own
processor time per byte (bench/server.py). A route that has already judged a request (its caller, its
session, its exact length) can instead ask for the rest of the body to be given to a callable on the
event loop, one bytes object per socket read, with nothing in between.

The server's HTTP protocol (serve.py) offers this as `scope["extensions"][DIRECT_BODY]`; where it is
absent (another ASGI server) the route reads `request.stream()` as before. The body's idle timeout is
kept here, since the receive wrapper that keeps it is bypassed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httptools
from starlette.requests import ClientDisconnect
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from studio.server.middleware import BodyStalled

DIRECT_BODY = "studio.direct_body"

Consumer = Callable[[bytes], None]


class DirectBody:
    """The rest of one request's body, for one consumer. Offered only for a body with a Content-Length."""

    def __init__(self, protocol: DirectBodyProtocol, cycle: RequestResponseCycle, length: int) -> None:
        self._protocol = protocol
        self._cycle = cycle
        self.length = length
        self._used = False

    async def read_into(self, consume: Consumer) -> None:
        """Give every byte of the body to `consume` in order, then return. Raises ClientDisconnect if the
        client goes away and BodyStalled if nothing arrives for the body timeout; after a failure the
        connection is closed once the answer is sent (the parser no longer knows where a next request
        would start). Use it instead of receive(), never after it."""
        if self._used:
            raise RuntimeError("a body can be read only once")
        self._used = True
        cycle, protocol = self._cycle, self._protocol
        if cycle.disconnected:
            raise ClientDisconnect()
        if cycle.waiting_for_100_continue and not protocol.transport.is_closing():
            protocol.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            cycle.waiting_for_100_continue = False
        if cycle.body:
            early, cycle.body = bytes(cycle.body), bytearray()
            consume(early)
        if not cycle.more_body:
            return
        await protocol.start_sink(cycle, consume, self.length - protocol.body_seen)


class _Sink:
    def __init__(self, cycle: RequestResponseCycle, consume: Consumer, remaining: int, done: Any) -> None:
        self.cycle = cycle
        self.consume = consume
        self.remaining = remaining
        self.done: asyncio.Future[None] = done
        self.last = 0.0
        self.timer: asyncio.TimerHandle | None = None


class DirectBodyProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol that can deliver a body directly (see the module docstring)."""

    body_timeout = 30.0
    body_seen = 0
    _sink: _Sink | None = None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.body_seen = 0

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is None or cycle.scope is not self.scope:
            return
        length = _content_length(self.headers)
        if length is not None:
            scope: dict[str, Any] = self.scope  # type: ignore[assignment]
            scope.setdefault("extensions", {})[DIRECT_BODY] = DirectBody(self, cycle, length)

    def on_body(self, body: bytes) -> None:
        self.body_seen += len(body)
        super().on_body(body)

    async def start_sink(self, cycle: RequestResponseCycle, consume: Consumer, remaining: int) -> None:
        if remaining <= 0 or self.cycle is not cycle:
            raise RuntimeError("the body is no longer the connection's to hand over")
        sink = _Sink(cycle, consume, remaining, self.loop.create_future())
        sink.last = self.loop.time()
        sink.timer = self.loop.call_later(self.body_timeout, self._check_stall)
        self._sink = sink
        self.flow.resume_reading()
        await sink.done

    def data_received(self, data: bytes) -> None:
        sink = self._sink
        if sink is None:
            super().data_received(data)
            return
        take = sink.remaining
        if len(data) <= take:
            self._feed(sink, data)
            return
        # The end of this body and the start of a pipelined request in one read.
        self._feed(sink, data[:take])
        if sink.cycle.keep_alive:
            super().data_received(data[take:])

    def _feed(self, sink: _Sink, data: bytes) -> None:
        sink.remaining -= len(data)
        sink.last = self.loop.time()
        try:
            sink.consume(data)
        except Exception as exc:  # handed to the route that asked, which raises it
            self._end_sink(exc)
            return
        if sink.remaining == 0:
            self._end_sink(None)

    def _end_sink(self, failure: BaseException | None) -> None:
        sink, self._sink = self._sink, None
        if sink is None:
            return
        if sink.timer is not None:
            sink.timer.cancel()
        if failure is None:
            # What the parser would have seen: the message is over; a fresh parser reads the next one.
            self.parser = httptools.HttpRequestParser(self)
            self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
            sink.cycle.more_body = False
            sink.cycle.message_event.set()
            if not sink.done.done():
                sink.done.set_result(None)
            return
        sink.cycle.keep_alive = False
        if not sink.done.done():
            sink.done.set_exception(failure)

    def _check_stall(self) -> None:
        sink = self._sink
        if sink is None:
            return
        idle = self.loop.time() - sink.last
        if idle >= self.body_timeout:
            self._end_sink(BodyStalled(self.body_timeout))
            return
        sink.timer = self.loop.call_later(self.body_timeout - idle, self._check_stall)

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_sink(ClientDisconnect())
        super().connection_lost(exc)


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The body's announced length, or None when there is none to trust (absent, chunked, malformed)."""
    length = None
    for name, value in headers:
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            if length is not None or not value.isdigit() or len(value) > 15:
                return None
            length = int(value)
    return length
