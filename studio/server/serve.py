"""Running the server: bind the socket, report the port, hand the socket to uvicorn."""

from __future__ import annotations

import ctypes
import logging
import socket
import sys
from pathlib import Path

import uvicorn

from studio.core.atomic import atomic_write_text
from studio.server.app import create_app
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


def serve(settings: Settings, host: str, port: int, port_file: Path | None = None) -> None:
    """Serve until interrupted. The socket is bound before the port is reported, so a client reading
    the port file can connect at once."""
    configure_logging()
    tune_allocator()
    app = create_app(settings)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    bound = sock.getsockname()[1]
    if port_file is not None:
        atomic_write_text(port_file, f"{bound}\n")
    print(f"studio server listening on http://{host}:{bound} (data: {settings.data_dir})", flush=True)
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        http="httptools",
        loop="uvloop",
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run(sockets=[sock])
