"""`studio credits FILE [--json]`: show the credits a media file carries (exit 1 if none)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from studio.cli.output import print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "credits",
        help="print the credits embedded in a media file",
        description="Print the studio-credits block embedded in FILE. Exit 1 if FILE carries none.",
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="an exported or imported media file")
    parser.add_argument("--json", action="store_true", help="print the credits block as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from studio.media.tags import read_credits

    block = read_credits(args.file)
    if block is None:
        print(f"studio: {args.file} carries no studio credits", file=sys.stderr)
        return 1
    if args.json:
        print_json(block)
    else:
        sys.stdout.write(format_credits(block))
    return 0


def format_credits(block: dict[str, Any]) -> str:
    """The block as a few aligned lines: work, licence, contributors with roles and shares, sources."""
    from studio.media.tags import percent, sanitize

    work = block.get("work", {})
    lines = [f"Title:     {sanitize(work.get('title', '')).replace(chr(10), ' ')}"]
    licence = sanitize(work.get("licence") or "unknown")
    if work.get("licence_url"):
        licence += f" ({sanitize(work['licence_url'])})"
    lines.append(f"Licence:   {licence}")
    if work.get("exported"):
        lines.append(f"Exported:  {sanitize(work['exported'])}")
    people = sorted(block.get("contributors", []), key=lambda p: (-p.get("share_bp", 0), p.get("name", "")))
    lines.append("Contributors:")
    width = max((len(sanitize(p.get("name", ""))) for p in people), default=0)
    for person in people:
        name = sanitize(person.get("name", "")).replace("\n", " ")
        roles = ", ".join(sanitize(r) for r in person.get("roles", [])) or "-"
        lines.append(f"  {name:<{width}}  {percent(int(person.get('share_bp', 0))):>8}  {roles}")
    sources = block.get("sources", [])
    if sources:
        lines.append("Sources:")
        for source in sources:
            title = sanitize(source.get("title") or source.get("clip", "")).replace("\n", " ")
            detail = ", ".join(
                sanitize(part)
                for part in (source.get("owner"), source.get("licence"), _used(source.get("used_s")))
                if part
            )
            via = source.get("via") or []
            lines.append(
                f"  {title}"
                + (f" ({detail})" if detail else "")
                + (f", via {len(via)} remix(es)" if via else "")
            )
    lines.append(f"Share method: {sanitize(block.get('share_method', 'unknown'))}")
    return "\n".join(lines) + "\n"


def _used(seconds: object) -> str:
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        return f"{seconds:g} s used"
    return ""
