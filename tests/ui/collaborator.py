"""A second person on their own machine, for the sync tests of the app: a separate process with its own data
folders (given by the environment) driving the studio's services.

    python -m tests.ui.collaborator setup URL USER PASSWORD PARTNER FILE... -> JSON on stdout
    python -m tests.ui.collaborator move PROJECT ITEM SECONDS
    python -m tests.ui.collaborator signup URL USER PASSWORD

`setup` signs up, imports the files with credits into a project on A1 one after another, shares the
project with PARTNER as editor (its media goes up) and publishes the last file on its own to the
public library. `move` moves an item and syncs, so it reaches the server before the partner's edit.
"""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

from studio.core.clips import Credit
from studio.services import projects
from studio.services import sync as service
from studio.services.library import import_files

PROJECT = "Harbour sounds"


def setup(url: str, user: str, password: str, partner: str, files: list[str]) -> dict[str, object]:
    service.signup(url, user, password)
    *in_project, extra = [Path(f) for f in files]
    with projects.open_store() as store:
        imported = import_files(
            store, in_project, creators=[Credit("Kai Berg", ("field recording",))], licence="CC-BY-4.0"
        )
        projects.new_project(store, PROJECT)
        session = projects.open_project(store, PROJECT)
        at = Fraction(0)
        items = []
        for result in imported:
            item = projects.add_clip(session, result.clip.id, track="A1", at=at)
            items.append(item.id)
            at = item.end
    shared = service.share_project(PROJECT, partner, "editor")
    published = service.publish_file(
        extra, title="Gulls at noon", creators=[Credit("Kai Berg", ("field recording",))], licence="CC-BY-4.0"
    )
    return {
        "project": PROJECT,
        "space": shared["space"],
        "clips": [r.clip.id for r in imported],
        "items": items,
        "published": published["clip"],
    }


def move(project: str, item: str, seconds: str) -> dict[str, object]:
    with projects.open_store() as store:
        session = projects.open_project(store, project)
        moved = projects.move_item(session, item, at=seconds)
    report = service.sync()
    return {"item": moved.id, "start": str(moved.start), "pushed_ops": report.pushed_ops}


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "setup":
        url, user, password, partner, *files = args
        print(json.dumps(setup(url, user, password, partner, files)))
    elif command == "move":
        print(json.dumps(move(*args)))
    elif command == "signup":
        account = service.signup(*args)
        print(json.dumps({"user": account.username}))
    else:
        raise SystemExit(f"unknown command {command!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
