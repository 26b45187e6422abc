"""`studio pull CLIP`: bring a shared clip into the local library with its credits, lineage and media.

CLIP is a claim id as `studio library search` prints it (a publisher's record about a media file), a media
hash (your own claim, else the only one; when several people published the file, the error lists their
claims to choose from), or words of its title matching one clip.
The name of a shared project works too: it is brought up to date with its media.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio.cli.output import ProgressBar, print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("pull", help="pull a shared clip (or shared project) with its media")
    parser.add_argument("target", metavar="CLIP")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from studio.services.projects import is_project as names_a_project
    from studio.services.projects import open_store
    from studio.services.sync import pull_clip, pull_project

    with open_store() as store:
        is_project = names_a_project(store, args.target)
    bar = ProgressBar("pulling")
    try:
        result = (
            pull_project(args.target, progress=bar) if is_project else pull_clip(args.target, progress=bar)
        )
    finally:
        bar.close()
    if args.json:
        print_json(result)
    elif is_project:
        print(f"{result['name']} is up to date")
    else:
        for warning in result.get("warnings", []):
            print(f"warning: {warning}")
        print(result["id"])  # stdout stays the clip id alone: scripts read it
        print(f"claim {result['claim']} by {result['publisher']}", file=sys.stderr)
    return 0
