"""`studio library search TEXT [--json]`: find clips in the shared public library.
`studio library remove CLIP [--json]`: take a clip (id, id prefix or title) out of the local library."""

from __future__ import annotations

import argparse
from typing import Any

from studio.cli.output import print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("library", help="the shared library on the server, and the local one")
    sub = parser.add_subparsers(dest="library_command", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser("search", help="search shared clips by words, tag, kind, contributor or licence")
    p.add_argument("text", metavar="TEXT", nargs="?", default="")
    p.add_argument("--tag")
    p.add_argument("--kind", choices=("video", "audio", "image", "title"))
    p.add_argument("--contributor", metavar="NAME")
    p.add_argument("--licence", metavar="SPDX")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)
    p = sub.add_parser("remove", help="remove a clip and its media from the local library")
    p.add_argument("clip", metavar="CLIP", help="a clip id, id prefix or title")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_remove)


def run(args: argparse.Namespace) -> int:
    from studio.services.sync import search_library

    hits = search_library(
        args.text,
        kind=args.kind,
        licence=args.licence,
        tag=args.tag,
        contributor=args.contributor,
        limit=args.limit,
    )
    if args.json:
        print_json(hits)
        return 0
    if not hits:
        print("no shared clips match")
    for hit in hits:
        people = ", ".join(f"{c['name']} ({c['role']})" for c in hit["credits"])
        print(
            f"{hit['claim']}  {hit['title']}  [{hit['kind']}, {hit['licence'] or 'no licence'}]  "
            f"by {people or hit['owner']}  (published by {hit['publisher']})"
        )
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from studio.services.library import remove_clip
    from studio.services.projects import open_store

    with open_store() as store:
        removed = remove_clip(store, args.clip)
    if args.json:
        print_json(
            {"id": removed.clip.id, "title": removed.clip.title, "media_removed": removed.media_removed}
        )
    else:
        print(f"removed {removed.clip.id}  {removed.clip.title}")
    return 0
