"""A TCP proxy on loopback that misbehaves on purpose: throttles, stalls, resets and corrupts.

It sits between a sync client and a live server so that fault tests exercise the real network stack:
a stall makes the client's read time out, a reset is a TCP RST in the middle of a body, and the corrupt
mode flips one byte inside the body of the next blob download (HTTP/1.1 responses are framed by their
Content-Length, which every server answer carries).
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass


@dataclass
class Chaos:
    """Fault odds per 64 KiB chunk relayed; the first reset and the first stall are forced once this many
    bytes have gone through, so every run meets both."""

    rng: random.Random
    reset_p: float = 0.0
    stall_p: float = 0.0
    stall_s: float = 2.0
    first_reset_after: int = 2 * 1024 * 1024
    first_stall_after: int = 1024 * 1024


class _Response:
    """Tracks HTTP responses on one server->client stream to find where blob bodies are."""

    def __init__(self) -> None:
        self.head = b""
        self.remaining = 0
        self.blob = False
        self.offset = 0
        self.lost = False


class FlakyProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.rate: float | None = None
        self.chaos: Chaos | None = None
        self.corrupt_at: int | None = None
        self.refuse = False
        self.resets = 0
        self.stalls = 0
        self.corrupted = 0
        self.connections = 0
        self.moved = 0
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()
        self.drop_all()

    def drop_all(self) -> None:
        """Reset every open connection (as when the server host goes away)."""
        with self._lock:
            socks = list(self._open)
        for sock in socks:
            _reset(sock)

    # -- plumbing -------------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _addr = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        if self.refuse:
            _reset(client)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        except OSError:
            _reset(client)
            return
        upstream.settimeout(None)
        with self._lock:
            self.connections += 1
            self._open.update((client, upstream))
        up = threading.Thread(target=self._pump, args=(client, upstream, None), daemon=True)
        down = threading.Thread(target=self._pump, args=(upstream, client, _Response()), daemon=True)
        up.start()
        down.start()
        up.join()
        down.join()
        for sock in (client, upstream):
            with contextlib.suppress(OSError):
                sock.close()
        with self._lock:
            self._open.discard(client)
            self._open.discard(upstream)

    def _pump(self, src: socket.socket, dst: socket.socket, response: _Response | None) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)
                    return
                if response is not None:
                    data = self._inspect(response, data)
                reset, stall = self._draw(len(data))
                if reset:
                    with contextlib.suppress(OSError):
                        dst.sendall(data[: len(data) // 2])
                    _reset(src)
                    _reset(dst)
                    return
                if stall:
                    time.sleep(self.chaos.stall_s if self.chaos else 2.0)
                if self.rate:
                    time.sleep(len(data) / self.rate)
                dst.sendall(data)
        except OSError:
            _reset(src)
            _reset(dst)

    def _draw(self, size: int) -> tuple[bool, bool]:
        """Whether to reset or stall the connection at this chunk."""
        chaos = self.chaos
        if chaos is None:
            return False, False
        with self._lock:
            self.moved += size
            reset = (
                self.resets == 0 and self.moved >= chaos.first_reset_after
            ) or chaos.rng.random() < chaos.reset_p
            stall = not reset and (
                (self.stalls == 0 and self.moved >= chaos.first_stall_after)
                or chaos.rng.random() < chaos.stall_p
            )
            self.resets += reset
            self.stalls += stall
        return reset, stall

    def _inspect(self, r: _Response, data: bytes) -> bytes:
        """Follow response framing; flip one byte of the next blob body when corrupt_at is set."""
        out = bytearray()
        view = memoryview(data)
        while view and not r.lost:
            if r.remaining == 0:
                r.head += bytes(view)
                end = r.head.find(b"\r\n\r\n")
                if end < 0:
                    return bytes(out) + bytes(view)
                head, rest = r.head[: end + 4], r.head[end + 4 :]
                out += head
                r.head = b""
                lines = head.decode("latin-1").split("\r\n")
                headers = {
                    k.strip().lower(): v.strip() for k, _s, v in (ln.partition(":") for ln in lines[1:] if ln)
                }
                length = headers.get("content-length")
                if length is None or not length.isdigit():
                    r.lost = True
                    out += rest
                    return bytes(out)
                r.remaining = int(length)
                r.blob = headers.get("content-type", "").startswith("application/octet-stream")
                r.offset = 0
                view = memoryview(rest)
                continue
            take = min(r.remaining, len(view))
            body = bytearray(view[:take])
            with self._lock:
                target = self.corrupt_at
                if r.blob and target is not None and r.offset <= target < r.offset + take:
                    body[target - r.offset] ^= 0xFF
                    self.corrupt_at = None
                    self.corrupted += 1
            out += body
            r.offset += take
            r.remaining -= take
            view = view[take:]
        return bytes(out) + bytes(view)


def _reset(sock: socket.socket) -> None:
    """Close with RST, not FIN: the peer sees 'connection reset', as on a real network failure."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        # Wake a pump thread blocked in recv() on this socket: until it returns, close() cannot
        # release the connection (and send the RST).
        sock.shutdown(socket.SHUT_RD)
    with contextlib.suppress(OSError):
        sock.close()
