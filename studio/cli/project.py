"""`studio project ...`: create, edit, undo/redo, show, share, and .otio import/export of projects.

Each edit is journaled in the local store before the command prints anything, so a printed id is
a saved edit. ITEM is an item id or a unique prefix of one; CLIP a clip id, id prefix or title.
Times are seconds as decimals (1.5) or exact fractions (1001/30000).
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path
from typing import Any

from studio.cli.output import ProgressBar, print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "project", help="create and edit projects", description="Create, edit and inspect projects."
    )
    sub = parser.add_subparsers(dest="project_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("new", help="create an empty project; prints its id")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_new)

    p = sub.add_parser("add", help="put a clip on a track; prints the item id")
    p.add_argument("name", metavar="NAME", help="project name or id")
    p.add_argument("clip", metavar="CLIP", help="clip id, id prefix or title")
    p.add_argument("--track", metavar="TRACK", help="V1, V2, A1 ... (made if missing; default by clip kind)")
    p.add_argument("--at", metavar="S", help="position on the timeline in seconds (default: end of track)")
    p.add_argument("--in", dest="source_in", metavar="S", help="start point in the clip (seconds)")
    p.add_argument("--out", dest="source_out", metavar="S", help="end point in the clip (seconds)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_add)

    p = sub.add_parser("move", help="move an item in time and/or to another track")
    p.add_argument("name", metavar="NAME")
    p.add_argument("item", metavar="ITEM")
    p.add_argument("--at", metavar="S")
    p.add_argument("--track", metavar="TRACK")
    p.set_defaults(func=_move)

    p = sub.add_parser("trim", help="change an item's in/out points in its clip")
    p.add_argument("name", metavar="NAME")
    p.add_argument("item", metavar="ITEM")
    p.add_argument("--in", dest="source_in", metavar="S")
    p.add_argument("--out", dest="source_out", metavar="S")
    p.set_defaults(func=_trim)

    p = sub.add_parser("remove", help="remove an item")
    p.add_argument("name", metavar="NAME")
    p.add_argument("item", metavar="ITEM")
    p.set_defaults(func=_remove)

    for verb in ("undo", "redo"):
        p = sub.add_parser(verb, help=f"{verb} the last step made on this computer")
        p.add_argument("name", metavar="NAME")
        p.set_defaults(func=_undo if verb == "undo" else _redo)

    p = sub.add_parser("show", help="tracks, items and conflicts")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_show)

    p = sub.add_parser("share", help="share a project with another user (needs a server)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--with", dest="user", metavar="USER", required=True)
    p.add_argument("--role", choices=("editor", "viewer"), default="editor")
    p.set_defaults(func=_share)

    p = sub.add_parser("import", help="a new project from an OpenTimelineIO file")
    p.add_argument("file", metavar="FILE.otio", type=Path)
    p.add_argument("--name", metavar="N", help="project name (default: the timeline's or the file's)")
    p.set_defaults(func=_import)

    p = sub.add_parser("export", help="write a project as an OpenTimelineIO file")
    p.add_argument("name", metavar="NAME")
    p.add_argument("-o", "--output", metavar="FILE.otio", type=Path, required=True)
    p.add_argument("--force", action="store_true", help="replace FILE even if it is not an OTIO file")
    p.set_defaults(func=_export)


def _store() -> Any:
    from studio.services.projects import open_store

    return open_store()


def _new(args: argparse.Namespace) -> int:
    from studio.services.projects import new_project

    with _store() as store:
        info = new_project(store, args.name)
    if args.json:
        print_json(info.to_dict())
    else:
        print(info.id)
    return 0


def _add(args: argparse.Namespace) -> int:
    from studio.services import projects

    with _store() as store:
        session = projects.open_project(store, args.name)
        item = projects.add_clip(
            session,
            args.clip,
            track=args.track,
            at=args.at,
            source_in=args.source_in,
            source_out=args.source_out,
        )
        if args.json:
            doc = next(i for i in projects.describe(session)["items"] if i["id"] == item.id)
            print_json(doc)
        else:
            print(item.id)
    return 0


def _move(args: argparse.Namespace) -> int:
    from studio.services import projects

    with _store() as store:
        item = projects.move_item(
            projects.open_project(store, args.name), args.item, at=args.at, track=args.track
        )
    print(item.id)
    return 0


def _trim(args: argparse.Namespace) -> int:
    from studio.services import projects

    with _store() as store:
        session = projects.open_project(store, args.name)
        item = projects.trim_item(session, args.item, source_in=args.source_in, source_out=args.source_out)
    print(item.id)
    return 0


def _remove(args: argparse.Namespace) -> int:
    from studio.services import projects

    with _store() as store:
        print(projects.remove_item(projects.open_project(store, args.name), args.item))
    return 0


def _undo(args: argparse.Namespace) -> int:
    from studio.services import projects

    with _store() as store:
        print(f"undone: {projects.undo(projects.open_project(store, args.name))}")
    return 0


def _redo(args: argparse.Namespace) -> int:
    from studio.services import projects

    with _store() as store:
        print(f"redone: {projects.redo(projects.open_project(store, args.name))}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from studio.services import projects

    with _store() as store:
        doc = projects.describe(projects.open_project(store, args.name))
    if args.json:
        print_json(doc)
    else:
        sys.stdout.write(format_project(doc))
    return 0


def format_project(doc: dict[str, Any]) -> str:
    """`studio project show` as aligned text."""
    lines = [f"Project {one_line(doc['name'])}  (id {doc['id']}, {doc['duration']} s)"]
    lines.append("Tracks:" if doc["tracks"] else "Tracks: none")
    video = [t for t in doc["tracks"] if t["kind"] == "video"]
    audio = [t for t in doc["tracks"] if t["kind"] == "audio"]
    for t in [*reversed(video), *audio]:  # as an editor shows them: top video track first
        flags = " ".join(f for f, on in (("muted", t["muted"]), ("locked", t["locked"])) if on)
        lines.append(f"  {one_line(t['name']):<6} {t['kind']:<6} {flags}".rstrip())
    if doc["items"]:
        rows = [("ITEM", "TRACK", "AT", "IN", "OUT", "CLIP")]
        for i in doc["items"]:
            what = (
                f"{(i['clip'] or '')[:12]} {one_line(i['title'])}".strip()
                if i["kind"] == "clip"
                else f"title '{one_line(i['title'])}'"
            )
            rows.append((i["id"][:12], one_line(i["track"]), i["at"], i["in"], i["out"], what))
        widths = [max(len(r[c]) for r in rows) for c in range(5)]
        lines.append("Items:")
        for r in rows:
            lines.append("  " + "  ".join(r[c].ljust(widths[c]) for c in range(5)) + "  " + r[5])
    else:
        lines.append("Items: none")
    if doc["conflicts"] or doc["overlaps"]:
        lines.append("Conflicts:")
        for c in doc["conflicts"]:
            what = f"{c['entity']} {c['target'][:12]}" + (f" field {c['field']}" if c["field"] else "")
            lines.append(f"  {c['id']}: {c['kind']} on {what}: {len(c['values'])} value(s)")
        for a, b in doc["overlaps"]:
            lines.append(f"  overlap: items {a[:12]} and {b[:12]}")
    else:
        lines.append("Conflicts: none")
    return "\n".join(lines) + "\n"


def one_line(text: object) -> str:
    """Text shown on one line of a listing: newlines, tabs and other control characters (which would
    break the columns or drive the terminal) appear escaped, as \\n, \\t, \\x1b; every script stays."""
    return "".join(
        repr(c)[1:-1] if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in str(text)
    )


def _share(args: argparse.Namespace) -> int:
    from studio.services.sync import share_project

    bar = ProgressBar("sharing")
    with _store() as store:
        try:
            shared = share_project(args.name, args.user, args.role, store=store, progress=bar)
        finally:
            bar.close()
    print(f"shared {shared['name']!r} with {shared['user']} as {shared['role']}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from studio.services.projects import import_timeline

    bar = ProgressBar("importing")
    with _store() as store:
        try:
            result = import_timeline(store, args.file, name=args.name, progress=bar)
        finally:
            bar.close()
        for warning in result.warnings:
            print(f"studio: warning: {warning}", file=sys.stderr)
        print(result.session.id)
    return 0


def _export(args: argparse.Namespace) -> int:
    from studio.services import projects

    with _store() as store:
        session = projects.open_project(store, args.name)
        warnings = projects.export_timeline(session, args.output, force=args.force)
    for warning in warnings:
        print(f"studio: warning: {warning}", file=sys.stderr)
    print(args.output)
    return 0
