"""`studio serve`: run the shared server (embedded SQLite and a blob folder unless told otherwise).

The flags and their checks are the server's (studio.server.command), shared with `python -m studio.server`.
"""

from __future__ import annotations

import argparse

from studio.server.command import add_arguments, run


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "serve", help="run the shared server", description="Run the shared server (see docs/server.md)."
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
