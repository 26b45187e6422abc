"""Running the server: bind the socket, report the port, hand the socket to uvicorn."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn

from studio.core.atomic import atomic_write_text
from studio.protocol.fingerprints import certificate_fingerprint, fingerprint_text
from studio.server.app import create_app
from studio.server.direct_body import DirectBodyProtocol
from studio.server.settings import Settings


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("studio.server", "studio.server.access"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False


# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def tune_allocator() -> None:
    """Keep freed request buffers in the heap. The HTTP layer allocates a fresh buffer for every 256 kB
    read of an upload; by default glibc maps each one anew and hands it back, so every byte of a body
    first costs a page fault and a zeroed page, which more than halved part throughput. Up to 64 MiB
    of freed memory is kept for reuse instead. A no-op where the C library is not glibc."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    mallopt(_M_TRIM_THRESHOLD, 64 << 20)
    mallopt(_M_TOP_PAD, 16 << 20)


def _guarded_protocol(settings: Settings) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol with a deadline on request headers (uvicorn has none): a connection
    whose request line and headers are not complete within `header_timeout` seconds of its first byte
    (or of being opened) is closed, so half-sent headers cannot hold connections open (slowloris).
    A connection beyond `max_connections` is closed at once instead of queued. Upload parts may take
    their body directly from the connection (direct_body), within the same body timeout."""

    class GuardedHttpProtocol(DirectBodyProtocol):
        body_timeout = settings.body_timeout
        _header_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > settings.max_connections:
                transport.abort()
                return
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._header_deadline = self.loop.call_later(settings.header_timeout, self._headers_late)

        def _disarm(self) -> None:
            if self._header_deadline is not None:
                self._header_deadline.cancel()
                self._header_deadline = None

        def _headers_late(self) -> None:
            self._header_deadline = None
            if not self.transport.is_closing():
                self.transport.abort()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return GuardedHttpProtocol


def serve(settings: Settings, host: str, port: int, port_file: Path | None = None) -> None:
    """Serve until interrupted. The socket is bound before the port is reported, so a client reading
    the port file can connect at once."""
    configure_logging()
    tune_allocator()
    # Whatever the server creates is its own (0700 folders, 0600 files): password and token hashes,
    # staged uploads and blobs are not for other local users. create_app also fixes what exists.
    os.umask(0o077)
    app = create_app(settings)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    bound = sock.getsockname()[1]
    if port_file is not None:
        atomic_write_text(port_file, f"{bound}\n")
    scheme = "https" if settings.tls_cert else "http"
    print(f"studio server listening on {scheme}://{host}:{bound} (data: {settings.data_dir})", flush=True)
    if settings.tls_cert:
        # What clients compare at their first login when no public authority signed the certificate.
        fingerprint = certificate_fingerprint(Path(settings.tls_cert))
        print(f"TLS certificate SHA-256 fingerprint: {fingerprint_text(fingerprint)}", flush=True)
    tls: dict[str, Any] = {}
    if settings.tls_cert:
        tls = {"ssl_certfile": settings.tls_cert, "ssl_keyfile": settings.tls_key}
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        http=_guarded_protocol(settings),
        loop="uvloop",
        timeout_graceful_shutdown=5,
        timeout_keep_alive=max(1, round(settings.keep_alive)),
        limit_concurrency=settings.max_connections,
        # Forwarding headers are believed only from the proxies named; by default from nobody.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        server_header=False,
        **tls,
    )
    uvicorn.Server(config).run(sockets=[sock])
