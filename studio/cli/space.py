"""`studio space list [--json]` and `studio space commercial SPACE on|off [--json]`: the server spaces the
logged-in account can read, and the commercial mark an owner sets on a private space (a brand's): every
member's export of a project in a marked space refuses NonCommercial clips.

SPACE is a space id, a space's exact name, or the name or id of a local project (meaning its space).
"""

from __future__ import annotations

import argparse
from typing import Any

from studio.cli.output import print_json
from studio.cli.payouts import clean


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "space",
        help="server spaces and their commercial mark",
        description="List spaces; mark one commercial.",
    )
    sub = parser.add_subparsers(dest="space_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("list", help="the spaces you can read, your role and their commercial mark")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_list)

    p = sub.add_parser(
        "commercial",
        help="mark a private space you own for commercial work (on) or not (off)",
        description="With the mark on, every member's export of its projects refuses NonCommercial clips.",
    )
    p.add_argument("space", metavar="SPACE", help="a space id or name, or a project in the space")
    p.add_argument("state", choices=("on", "off"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_commercial)


def _line(space: dict[str, Any]) -> str:
    mark = "commercial" if space["commercial"] else ""
    role = space["role"] or "-"
    return f"{space['id']}  {role:<7} {mark:<10} {clean(space['name'])}".rstrip()


def _list(args: argparse.Namespace) -> int:
    from studio.services.spaces import list_spaces

    spaces = list_spaces()
    if args.json:
        print_json(spaces)
    else:
        for space in spaces:
            print(_line(space))
    return 0


def _commercial(args: argparse.Namespace) -> int:
    from studio.services.spaces import set_commercial

    space = set_commercial(args.space, args.state == "on")
    if args.json:
        print_json(space)
    elif space["commercial"]:
        print(
            f"space {clean(space['name'])} ({space['id']}) is marked for commercial work: "
            "exports of its projects refuse NonCommercial clips"
        )
    else:
        print(f"space {clean(space['name'])} ({space['id']}) is no longer marked for commercial work")
    return 0
