"""`studio serve`: run the shared server (embedded SQLite and a blob folder unless told otherwise)."""

from __future__ import annotations

import argparse
from pathlib import Path

from studio.core.errors import InvalidInput


def _add_arguments(parser: argparse.ArgumentParser) -> None:
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
    parser.add_argument("--port-file", type=Path, default=None, help=argparse.SUPPRESS)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "serve", help="run the shared server", description="Run the shared server (see docs/server.md)."
    )
    _add_arguments(parser)
    parser.set_defaults(func=run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m studio.server", description="Run the shared server.")
    _add_arguments(parser)
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
    try:
        settings = Settings.from_env(args.data, args.database, args.blobs)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    serve(settings, args.host, args.port, args.port_file)
    return 0
