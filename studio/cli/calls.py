"""`studio calls ...`: open calls for clips. A space owner posts a brief with a due date (and optionally a
length and licence wanted); members answer with clips they published; the owner accepts some, which pulls
them into the owner's library with their credits.

SPACE is a space id (`public` for the public space); DATE is 2026-12-31 (the end of that day, UTC) or an
ISO 8601 time with its offset.
"""

from __future__ import annotations

import argparse
from typing import Any

from studio.cli.output import ProgressBar, print_json
from studio.cli.payouts import clean


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "calls", help="open calls for clips", description="Post, answer and accept open calls."
    )
    sub = parser.add_subparsers(dest="calls_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("new", help="post a call in a space you own")
    p.add_argument("space", metavar="SPACE")
    p.add_argument("--brief", required=True, metavar="TEXT")
    p.add_argument("--due", required=True, metavar="DATE")
    p.add_argument("--length", type=float, metavar="S", help="longest clip wanted, in seconds")
    p.add_argument("--licence", metavar="SPDX", help="licence the clips must carry, e.g. CC-BY-4.0")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_new)

    p = sub.add_parser("list", help="calls in the spaces you can read")
    p.add_argument("--space", metavar="SPACE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_list)

    p = sub.add_parser("show", help="a call and its answers (all of them for its owner)")
    p.add_argument("call", metavar="CALL")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_show)

    p = sub.add_parser("answer", help="answer a call with a clip you published")
    p.add_argument("call", metavar="CALL")
    p.add_argument("clip", metavar="CLIP")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_answer)

    p = sub.add_parser("accept", help="accept an answer and pull its clip into your library")
    p.add_argument("call", metavar="CALL")
    p.add_argument("clip", metavar="CLIP")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_accept)


def _print_call(doc: dict[str, Any]) -> None:
    wants = [f"at most {doc['length_s']:g} s" if doc.get("length_s") else "", doc.get("licence") or ""]
    print(f"call {doc['id']} in {doc['space']} by @{clean(doc['owner'])}: {doc['status']}, due {doc['due']}")
    print(f"  {clean(doc['brief'])}")
    if any(wants):
        print(f"  wants {', '.join(w for w in wants if w)}")
    for a in doc.get("answers", []):
        mark = "accepted" if a["accepted"] else ""
        print(f"  answer {clean(a['clip'])} by @{clean(a['by'])} at {a['at']} {mark}")


def _new(args: argparse.Namespace) -> int:
    from studio.services import calls

    doc = calls.new_call(args.space, args.brief, args.due, args.length, args.licence)
    print_json(doc) if args.json else print(doc["id"])
    return 0


def _list(args: argparse.Namespace) -> int:
    from studio.services import calls

    found = calls.list_calls(args.space)
    if args.json:
        print_json(found)
    else:
        for doc in found:
            _print_call(doc)
    return 0


def _show(args: argparse.Namespace) -> int:
    from studio.services import calls

    doc = calls.show(args.call)
    print_json(doc) if args.json else _print_call(doc)
    return 0


def _answer(args: argparse.Namespace) -> int:
    from studio.services import calls

    doc = calls.answer(args.call, args.clip)
    print_json(doc) if args.json else print(f"answered call {doc['id']}")
    return 0


def _accept(args: argparse.Namespace) -> int:
    from studio.services import calls

    bar = ProgressBar("pulling")
    try:
        doc = calls.accept(args.call, args.clip, progress=bar)
    finally:
        bar.close()
    if args.json:
        print_json(doc)
    else:
        title = doc["pulled"].get("title") or doc["clip"]
        print(f"accepted {clean(doc['clip'])}; in your library as {clean(title)}")
    return 0
