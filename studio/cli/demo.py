"""`studio demo [--out DIR] [--json]`: seed a demo library, build a remix, render it with credits.

Headless, so it also shows on a machine with no screen what the studio does: the printed file
carries the credits of everyone behind it, including the people behind a remix used inside it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from studio.cli.output import ProgressBar, print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="seed a demo library, build a remix and render it with credits; prints the paths",
        description="Generate a few credited demo clips into the library of the current data folder "
        "(STUDIO_DATA_DIR), render a small remix and import it as a clip, build the 'Demo remix' "
        "project around it and export that with its credits and a credits roll. Running it again "
        "reuses the library and the projects.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="folder for the rendered remix (default: the data folder's demo/exports)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON document")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from studio.services.credits import percent
    from studio.services.demo import run_demo

    started = time.monotonic()
    bar = ProgressBar("demo")
    try:
        result = run_demo(args.out, progress=bar)
    finally:
        bar.close()
    elapsed = time.monotonic() - started
    if args.json:
        print_json({**result.summary(), "seconds": round(elapsed, 2)})
        return 0
    print(f"rendered   {result.path} ({float(result.duration):.1f} s, with a credits roll)")
    print(f"credits    {result.sidecar}")
    print(f"licence    {result.block['work']['licence']} (checked against every source's licence)")
    print(f"signature  {'signed by ' + result.signed_by if result.signed_by else 'unsigned'}")
    reused = "reused" if result.clips_added == 0 else f"{result.clips_added} clips added"
    print(f"library    {result.library} ({reused}; project {result.project!r})")
    print("credited:")
    for person in result.block["contributors"]:
        roles = ", ".join(person["roles"])
        print(f"  {percent(person['share_bp']):>8}  {' '.join(person['name'].split())} — {roles}")
    for warning in result.warnings:
        print(f"studio: warning: {warning}", file=sys.stderr)
    print(f"done in {elapsed:.1f} s")
    return 0
