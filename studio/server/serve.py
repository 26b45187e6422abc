"""Running the server: bind the socket, report the port, hand the socket to uvicorn."""

from __future__ import annotations

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


def serve(settings: Settings, host: str, port: int, port_file: Path | None = None) -> None:
    """Serve until interrupted. The socket is bound before the port is reported, so a client reading
    the port file can connect at once."""
    configure_logging()
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
