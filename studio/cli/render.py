"""`studio render TIMELINE -o OUT [--format F] [--title T] [--licence SPDX] [--editor NAME]...
[--rights-cleared CLIP]... [--commercial] [--dry-run] [--json]`.

Renders a project (by name or id), a project file or an .otio timeline to OUT with its credits
embedded and a `<OUT>.credits.json` sidecar. --dry-run prints the ffmpeg command that renders the
timeline (shell-quoted, runnable as it is) and renders nothing; it says on stderr (and in --json
under "render") whether a real render would take the smart path or the full one, and why.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from studio.cli.output import ProgressBar, print_json
from studio.services.export import FORMAT_NAMES, DryRun


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render a timeline to a media file that carries its credits",
        description="Render TIMELINE (a project name or id, a project file or an .otio file) to OUT, "
        "with the credits embedded in the file and written beside it as OUT.credits.json.",
    )
    parser.add_argument("timeline", metavar="TIMELINE", help="a project name or id, a project file or .otio")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT", help="the file to write")
    parser.add_argument(
        "--format", choices=FORMAT_NAMES, help="output format (default: from OUT's extension)"
    )
    parser.add_argument("--title", help="the work's title (default: the project's name)")
    parser.add_argument(
        "--licence",
        metavar="SPDX",
        help="the work's licence (default: the least permissive licence the clips' licences allow)",
    )
    parser.add_argument(
        "--rights-cleared",
        action="append",
        default=[],
        metavar="CLIP",
        help="you hold the rights to CLIP (id or title): no licence rule applies to it; repeat for several",
    )
    parser.add_argument(
        "--commercial",
        action="store_true",
        help="the piece is commercial work (a brand's space): clips licensed NonCommercial are refused",
    )
    parser.add_argument(
        "--editor",
        action="append",
        default=[],
        metavar="NAME",
        help="credit NAME as editor of the piece; repeat for several",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the ffmpeg command instead of rendering"
    )
    parser.add_argument(
        "--full-render",
        action="store_true",
        help="re-encode every frame, even where a cut-only timeline could copy its sources' frames",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace OUT even if it is an existing file of another kind"
    )
    parser.add_argument("--json", action="store_true", help="print a summary as one JSON document")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from studio.services.export import dry_run, export_timeline, output_format, resolve_timeline

    output_format(args.output, args.format)  # a wrong extension is named before any work
    resolved = resolve_timeline(args.timeline)
    for warning in resolved.warnings:
        print(f"studio: warning: {warning}", file=sys.stderr)
    if args.dry_run:
        return _dry_run(args, dry_run(resolved, args.output, args.format, smart=not args.full_render))
    bar = ProgressBar("render")
    try:
        result = export_timeline(
            resolved,
            args.output,
            fmt=args.format,
            title=args.title,
            licence=args.licence,
            editors=args.editor,
            commercial=args.commercial,
            rights_cleared=args.rights_cleared,
            progress=bar,
            smart=not args.full_render,
            force=args.force,
        )
    finally:
        bar.close()
    for warning in result.warnings[len(resolved.warnings) :]:
        print(f"studio: warning: {warning}", file=sys.stderr)
    if args.json:
        print_json(result.summary())
        return 0
    print(f"{result.path}  ({float(result.duration):.3f} s, {result.format}, {_render_line(result.render)})")
    print(f"{result.sidecar}")
    for person in result.block["contributors"]:
        print(f"  {person['name']}  {person['share_bp'] / 100:g} %  {', '.join(person['roles'])}")
    return 0


def _render_line(render: dict[str, Any]) -> str:
    if render.get("path") == "smart":
        return f"smart render: {render['copied_frames']} frames copied, {render['encoded_frames']} re-encoded"
    return f"full render: {render.get('reason', '')}"


def _dry_run(args: argparse.Namespace, plan: DryRun) -> int:
    """Print the full-render command (runnable as it is) and, on stderr, which path a real render
    would take: a smart render copies most frames with several ffmpeg runs the command cannot show."""
    command, render = plan.command, plan.render
    if args.json:
        duration = round(float(plan.duration), 3)
        print_json({"command": command, "duration": duration, "format": plan.format, "render": render})
        return 0
    if render["path"] == "smart":
        print(
            f"studio: smart render would be used ({render['copied_frames']} frames copied, "
            f"{render['encoded_frames']} re-encoded); the command below is the full render "
            "that --full-render runs",
            file=sys.stderr,
        )
    else:
        print(f"studio: full render ({render['reason']})", file=sys.stderr)
    print(subprocess.list2cmdline(command) if sys.platform == "win32" else shlex.join(command))
    return 0
