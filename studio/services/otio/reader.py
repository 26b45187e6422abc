"""Reading an .otio file: clear errors for what is not a timeline or was written by a newer library."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.errors import InvalidInput
from studio.services.otio.common import ImportedTimeline, load_otio, schema_label
from studio.services.otio.importer import Importer

_SCHEMA_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\.(\d+)$")


def import_otio(
    path: Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ImportedTimeline:
    """Read an .otio file into a timeline and its clips; InvalidInput naming the file if unreadable.

    Media that exists is hashed (its SHA-256 is the clip id) unless the file names the clip id, and
    its studio-credits block is read. Nothing is written anywhere.
    """
    otio = load_otio()
    path = Path(path)
    document = _read_otio(otio, path)
    importer = Importer(otio, path, progress, cancel)
    return importer.run(document)


def _read_otio(otio: Any, path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not an OpenTimelineIO file (not UTF-8 text)") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}: {exc.msg}" if text.strip() else "the file is empty"
        raise InvalidInput(f"{path}: not an OpenTimelineIO file (invalid JSON, {where})") from None
    if not isinstance(raw, dict) or "OTIO_SCHEMA" not in raw:
        raise InvalidInput(f"{path}: not an OpenTimelineIO file (its JSON has no top-level OTIO_SCHEMA)")
    newer = _newer_schemas(otio, raw)
    if newer:
        known = otio.core.type_version_map()
        names = ", ".join(newer)
        reads = ", ".join(f"{n.rsplit('.', 1)[0]}.{known[n.rsplit('.', 1)[0]]}" for n in newer)
        raise InvalidInput(
            f"{path}: written by a newer OpenTimelineIO (schema {names}); this studio reads up to {reads} "
            f"(opentimelineio {otio.__version__}). Save it for an older OpenTimelineIO, or update the studio."
        )
    try:
        document = otio.adapters.read_from_string(text, "otio_json")
    except Exception as exc:  # the OTIO reader raises its own and builtin errors for bad content
        if isinstance(exc, otio.exceptions.UnsupportedSchemaError):
            raise InvalidInput(
                f"{path}: uses a schema version opentimelineio {otio.__version__} cannot read ({exc})"
            ) from None
        raise InvalidInput(f"{path}: not a readable OpenTimelineIO file ({exc})") from None
    if isinstance(document, otio.schema.Timeline):
        return document
    if isinstance(document, otio.schema.SerializableCollection):
        for child in document:
            if isinstance(child, otio.schema.Timeline):
                return child
    raise InvalidInput(f"{path}: holds an OpenTimelineIO {schema_label(document)}, not a timeline")


def _newer_schemas(otio: Any, raw: Any) -> list[str]:
    """Schema names in the document whose version is above what the installed library reads."""
    known: dict[str, int] = otio.core.type_version_map()
    found: set[str] = set()
    stack = [raw]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            tag = node.get("OTIO_SCHEMA")
            if isinstance(tag, str):
                match = _SCHEMA_RE.match(tag)
                if match and match.group(1) in known and int(match.group(2)) > known[match.group(1)]:
                    found.add(tag)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)
