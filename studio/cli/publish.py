"""`studio publish CLIP|FILE`: share a clip (or a media file, imported first) in the public library.

The clip goes up with its credits, licence and lineage; its media uploads in verified 32 MiB parts and
an interrupted upload resumes where it stopped. A studio export carries its credits and sources, so
publishing one makes a new clip whose lineage lists the clips it was made from.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from studio.cli.output import ProgressBar, print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "publish",
        help="publish a clip or media file to the shared library",
        description="Publish a library clip (id, id prefix or title) or a media file to the public space.",
    )
    parser.add_argument("target", metavar="CLIP|FILE")
    parser.add_argument("--title", help="title when publishing a file")
    parser.add_argument(
        "--creator",
        action="append",
        default=[],
        metavar="NAME[:ROLE]",
        help="credit a person when publishing a file (@USER: that account); repeat for several",
    )
    parser.add_argument("--licence", metavar="SPDX", help="licence when publishing a file, e.g. CC-BY-4.0")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from studio.services.library import parse_creator
    from studio.services.sync import publish_clip, publish_file

    bar = ProgressBar("publishing")
    path = Path(args.target)
    try:
        if path.is_file():
            creators = [parse_creator(text) for text in args.creator]
            result = publish_file(
                path, title=args.title, creators=creators, licence=args.licence, progress=bar
            )
        else:
            result = publish_clip(args.target, progress=bar)
    finally:
        bar.close()
    if args.json:
        print_json(result)
    else:
        print(result["clip"])  # stdout stays the clip id alone: scripts read it
        if result.get("claim"):
            print(f"claim {result['claim']} (your public record about this file)", file=sys.stderr)
    return 0
