"""`studio import FILE... [--title T] [--creator NAME[:ROLE]]... [--licence SPDX] [--json]`: add clips.

Prints one clip id per line (or the clip records with --json). Every file is checked before any is
imported, so one unreadable file imports nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from studio.cli.output import ProgressBar, print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import",
        help="add media files to the library as clips; prints their ids",
        description="Add media files to the library (copied into the data folder, keyed by SHA-256) "
        "with their credits and licence. Prints one clip id per line.",
    )
    parser.add_argument("files", metavar="FILE", type=Path, nargs="+", help="video, audio or image files")
    parser.add_argument("--title", help="the clips' title (default: the embedded credits' or the file name)")
    parser.add_argument(
        "--creator",
        action="append",
        default=[],
        metavar="NAME[:ROLE]",
        help="credit a person, optionally in a role (camera, music ...); @USER credits that account on the "
        "server (as does your own user name when logged in); repeat for several",
    )
    parser.add_argument("--licence", metavar="SPDX", help="the clips' licence as an SPDX id, e.g. CC-BY-4.0")
    parser.add_argument("--json", action="store_true", help="print the clip records as one JSON document")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from studio.services.library import clip_document, import_files, parse_creator
    from studio.services.projects import open_store

    creators = [parse_creator(text) for text in args.creator]
    bar = ProgressBar("importing")
    with open_store() as store:
        try:
            results = import_files(
                store, args.files, title=args.title, creators=creators, licence=args.licence, progress=bar
            )
        finally:
            bar.close()
    if args.json:
        print_json([{**clip_document(r.clip), "file": str(r.source), "existed": r.existed} for r in results])
    else:
        for result in results:
            print(result.clip.id)
    return 0
