"""`studio sync [--json]`: push local work, pull collaborators' work, fetch wanted media.

Exit status: 0 when everything is up to date, 3 when conflicts remain to resolve, 4 when the server
cannot be reached (nothing local is lost; run it again later), other non-zero on other errors.
"""

from __future__ import annotations

import argparse
from typing import Any

from studio.cli.output import ProgressBar, print_json

EXIT_CONFLICTS = 3


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="sync with the server (exit 0 up to date, 3 conflicts remain)",
        description="Push local edits, pull collaborators' edits and fetch the media you asked for. "
        "Exit status: 0 up to date, 3 conflicts remain, 4 server unreachable, other non-zero on error.",
    )
    parser.add_argument("--json", action="store_true", help="print the sync report as one JSON document")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from studio.services.sync import sync

    bar = ProgressBar("syncing")
    try:
        report = sync(progress=bar)
    finally:
        bar.close()
    if args.json:
        print_json(report.to_dict())
    else:
        _print(report)
    return EXIT_CONFLICTS if report.conflicts else 0


def _print(report: Any) -> None:
    print(
        f"pushed {report.pushed_changes} record changes and {report.pushed_ops} edits, "
        f"pulled {report.pulled_entries} changes, downloaded {report.downloaded_blobs} media files"
    )
    for warning in report.warnings:
        print(f"warning: {warning}")
    for rejected in report.rejected:
        print(f"kept aside: change {rejected['seq']} of space {rejected['space']}: {rejected['reason']}")
    if not report.conflicts:
        print("up to date")
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
