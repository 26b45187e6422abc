"""Namespaced item metadata and markers: edits that annotate the timeline without changing what plays."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

from studio.core.edits.lookup import check_time, editable_item, get_marker
from studio.core.errors import EditRejected
from studio.core.ops import Op, insert, remove, set_fields
from studio.core.timeline import Marker, Timeline, new_id

METADATA_NAMESPACE_RE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$")
"""Item metadata is namespaced by dotted lowercase names ("studio.ui", "studio.credits", "otio")."""


def _check_json(value: Any, where: str) -> Any:
    """A deep copy of `value` if it is plain JSON: objects with text keys, lists, text, numbers, null."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EditRejected(f"{where} is {value}: metadata numbers must be finite")
        return value
    if isinstance(value, list):
        return [_check_json(v, f"{where}[{n}]") for n, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise EditRejected(f"{where} has a key {k!r}: metadata keys must be text")
            out[k] = _check_json(v, f"{where}[{k!r}]")
        return out
    raise EditRejected(f"{where} is a {type(value).__name__}: metadata holds only JSON values")


def set_item_metadata(
    timeline: Timeline, item_id: str, namespace: str, value: dict[str, Any] | None
) -> list[Op]:
    """Set (or, with None, remove) one namespace of an item's metadata, leaving the others as they are.

    Metadata syncs, undoes and is saved like any field, so it must be plain JSON under a dotted
    lowercase namespace; tools keep their own data in their own namespace.
    """
    item = editable_item(timeline, item_id)
    if not isinstance(namespace, str) or not METADATA_NAMESPACE_RE.match(namespace):
        raise EditRejected(
            f"item metadata namespace {namespace!r} is not a dotted lowercase name such as 'studio.ui'"
        )
    metadata = dict(item.metadata)
    if value is None:
        if namespace not in metadata:
            return []
        del metadata[namespace]
    else:
        if not isinstance(value, dict):
            raise EditRejected(
                f"item metadata {namespace!r} must be an object (a dict), not a {type(value).__name__}"
            )
        checked = _check_json(value, f"item metadata {namespace!r}")
        if metadata.get(namespace) == checked:
            return []
        metadata[namespace] = checked
    return [set_fields(item, metadata=metadata)]


def add_marker(
    timeline: Timeline, at: Fraction, note: str = "", *, author: str = "", marker_id: str | None = None
) -> list[Op]:
    check_time(at, "a marker's position")
    return [insert(Marker(id=marker_id or new_id(), at=at, note=note, author=author))]


def edit_marker(
    timeline: Timeline,
    marker_id: str,
    *,
    at: Fraction | None = None,
    note: str | None = None,
    done: bool | None = None,
) -> list[Op]:
    marker = get_marker(timeline, marker_id)
    changes: dict[str, Any] = {}
    if at is not None and at != marker.at:
        check_time(at, "a marker's position")
        changes["at"] = at
    if note is not None and note != marker.note:
        changes["note"] = note
    if done is not None and done != marker.done:
        changes["done"] = done
    return [set_fields(marker, **changes)] if changes else []


def remove_marker(timeline: Timeline, marker_id: str) -> list[Op]:
    return [remove(get_marker(timeline, marker_id))]
