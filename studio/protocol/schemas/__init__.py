"""The published JSON Schemas (draft 2020-12) of the two documents the studio writes for others to read:
the `studio-credits/1` block embedded in every export, and the `studio.project/1` project file.

They are the contract for other tools, and the first check at the edges where such a document comes in
(a credits block read from a media file, a project file opened): a document that breaks its schema is
refused with the path of the first wrong field. Rules JSON Schema cannot say (shares summing to 10000,
an item's track existing) stay with the code that reads the document.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

CREDITS = "studio-credits/1"
PROJECT = "studio.project/1"
_FILES = {CREDITS: "studio-credits-1.schema.json", PROJECT: "studio-project-1.schema.json"}


def schema(name: str) -> dict[str, Any]:
    """The schema document of `name` (CREDITS or PROJECT), as published."""
    text = resources.files(__name__).joinpath(_FILES[name]).read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


@cache
def _validator(name: str) -> Any:
    import jsonschema_rs

    credits = schema(CREDITS)
    registry = jsonschema_rs.Registry([(credits["$id"], credits)])
    return jsonschema_rs.Draft202012Validator(schema(name), registry=registry)


def field_path(path: list[str | int]) -> str:
    """A location in a document as the studio's errors name it: `timeline.items[0].start`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def problems(name: str, doc: Any) -> list[tuple[str, str]]:
    """Every place `doc` breaks the schema `name`, as (field path, what is wrong), document order."""
    found = []
    for error in _validator(name).iter_errors(doc):
        path, message = list(error.instance_path), error.message
        missing = getattr(error.kind, "property", None)  # a required field: name the field itself
        if isinstance(missing, str):
            path, message = [*path, missing], "missing"
        found.append((field_path(path), message))
    return found


def first_problem(name: str, doc: Any) -> str | None:
    """'field: what is wrong' for the first place `doc` breaks the schema `name`, or None if it conforms."""
    found = problems(name, doc)
    return f"{found[0][0]}: {found[0][1]}" if found else None
