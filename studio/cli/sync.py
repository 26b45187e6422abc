"""`studio sync [--json]`: push local work, pull collaborators' work, fetch wanted media.

Exit status: 0 when everything is up to date, 3 when conflicts remain to resolve, 4 when the server
cannot be reached (nothing local is lost; run it again later), 5 when the server refused changes (listed
with the reason; `--retry CHANGE` pushes one again, `--drop CHANGE` gives it up), other non-zero on errors.
"""

from __future__ import annotations

import argparse
from typing import Any

from studio.cli.output import ProgressBar, print_json

EXIT_CONFLICTS = 3
EXIT_REFUSED = 5


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="sync with the server (exit 0 up to date, 3 conflicts remain)",
        description="Push local edits, pull collaborators' edits and fetch the media you asked for. "
        "Exit status: 0 up to date, 3 conflicts remain, 4 server unreachable, 5 changes refused by the "
        "server, other non-zero on error.",
    )
    parser.add_argument("--json", action="store_true", help="print the sync report as one JSON document")
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--drop", metavar="CHANGE", help="give up a change the server refused (the local data keeps it)"
    )
    what.add_argument(
        "--retry", metavar="CHANGE", help="push a change the server refused again on the next sync"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from studio.services.sync import drop_refused, retry_refused, sync

    if args.drop or args.retry:
        found = drop_refused(args.drop) if args.drop else retry_refused(args.retry)
        if args.json:
            print_json({"dropped" if args.drop else "retried": found})
        else:
            verb = "dropped" if args.drop else "will push again"
            print(f"{verb}: change {found['change']} ({found['kind']} {found['id']}, {found['reason']})")
        return 0
    bar = ProgressBar("syncing")
    try:
        report = sync(progress=bar)
    finally:
        bar.close()
    if args.json:
        print_json(report.to_dict())
    else:
        _print(report)
    if report.conflicts:
        return EXIT_CONFLICTS
    return EXIT_REFUSED if report.refused else 0


def _print(report: Any) -> None:
    print(
        f"pushed {report.pushed_changes} record changes and {report.pushed_ops} edits, "
        f"pulled {report.pulled_entries} changes, downloaded {report.downloaded_blobs} media files"
    )
    for warning in report.warnings:
        print(f"warning: {warning}")
    for rejected in report.rejected:
        print(f"kept aside: change {rejected['seq']} of space {rejected['space']}: {rejected['reason']}")
    for r in report.refused:
        print(
            f"refused: change {r['change']} ({r['kind']} {r['id']}): {r['detail']} [{r['reason']}] "
            f"- studio sync --retry {r['change'][:12]} or --drop {r['change'][:12]}"
        )
    if not report.conflicts:
        print("up to date" if not report.refused else "everything else is up to date")
        return
    print(f"{len(report.conflicts)} conflict{'s' if len(report.conflicts) != 1 else ''} to resolve:")
    for c in report.conflicts:
        if c["where"] == "project":
            what = f"{c['entity']} {str(c['target'])[:8]}" + (
                f" field {c['field']}" if c.get("field") else ""
            )
            print(f"  project {c['project']}: {c['kind']} {what} [{c['id']}] values: {c['values']}")
        else:
            print(
                f"  {c['kind']} {c['id']}: {c.get('reason')} on {c.get('field')} "
                f"(server {c.get('server')!r}, yours {c.get('client')!r})"
            )
