"""The server's command line for `studio serve` and `python -m studio.server`: flags, checks, the run.

It lives with the server so that the server needs nothing from the CLI; only the standard library and
studio.core load until run() starts the server (whose extra dependencies may be missing).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from studio.core.errors import InvalidInput


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="data folder holding studio.db and blobs/ (default: <studio data>/server)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8750, help="port (default 8750; 0 picks a free one)")
    parser.add_argument(
        "--database",
        default="",
        metavar="URL",
        help="database URL, e.g. postgresql://user:pass@host/db (default: SQLite in --data)",
    )
    parser.add_argument(
        "--blobs",
        default="",
        metavar="URL",
        help="blob store URL: file:///dir or s3://bucket?endpoint=...&key=...&secret=...",
    )
    parser.add_argument(
        "--tls-cert", default=None, metavar="PEM", help="serve HTTPS with this certificate (chain)"
    )
    parser.add_argument("--tls-key", default=None, metavar="PEM", help="the private key of --tls-cert")
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=None,
        metavar="S",
        help="seconds a client has to send a request's headers (default 10)",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=None,
        metavar="S",
        help="seconds a request body may stall between two reads (default 30)",
    )
    parser.add_argument(
        "--keep-alive",
        type=float,
        default=None,
        metavar="S",
        help="seconds an idle connection stays open (default 5)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=None,
        metavar="N",
        help="open connections at most; more are refused (default 1000)",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=None,
        metavar="ADDRESS",
        help="a reverse proxy whose X-Forwarded-For is believed (repeatable; default: none)",
    )
    parser.add_argument("--port-file", type=Path, default=None, help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m studio.server", description="Run the shared server.")
    add_arguments(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        from studio.server.serve import serve
        from studio.server.settings import Settings
    except ImportError as exc:
        hint = "pip install 'remix-studio[server]'"
        raise InvalidInput(f"the server needs its extra dependencies ({hint}): {exc}") from None
    if not 0 <= args.port <= 65535:
        raise InvalidInput(f"--port {args.port} is not between 0 and 65535")
    if args.database and not args.database.startswith(("sqlite", "postgresql", "postgres:")):
        raise InvalidInput(f"--database {args.database!r}: use sqlite:///FILE or postgresql://...")
    if args.blobs and not args.blobs.startswith(("file://", "s3://")):
        raise InvalidInput(f"--blobs {args.blobs!r}: use file:///DIR or s3://bucket?endpoint=...")
    if args.data is None:
        from studio.core.paths import data_dir

        args.data = data_dir() / "server"
    for name in ("tls_cert", "tls_key"):
        path = getattr(args, name)
        if path is not None and not Path(path).is_file():
            raise InvalidInput(f"--{name.replace('_', '-')} {path}: no such file")
    try:
        settings = Settings.from_env(
            args.data,
            args.database,
            args.blobs,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
            keep_alive=args.keep_alive,
            max_connections=args.max_connections,
            trusted_proxies=tuple(args.trusted_proxy) if args.trusted_proxy else None,
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    serve(settings, args.host, args.port, args.port_file)
    return 0
