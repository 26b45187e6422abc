"""Resolving a conflict that concurrent edits left: keep one of the values, or mark it resolved."""

from __future__ import annotations

from typing import Any

from studio.core.edits.tracks import remove_track
from studio.core.errors import EditRejected, NotFound
from studio.core.ops import Op, remove, set_fields, set_settings
from studio.core.timeline import Conflict, Entity, Timeline, decode_setting


def _resolve_only(conflict: Conflict) -> Op:
    resolves = [conflict.to_dict()]
    return {"op": "set", "entity": "timeline", "id": "", "new": {}, "old": {}, "resolves": resolves}


def resolve_conflict(timeline: Timeline, conflict_id: str, choice: int | None = None) -> list[Op]:
    """Settle a conflict.

    A field conflict lists candidate values, the one in effect first: `choice` picks one by
    index (None keeps the value in effect). A "deleted" conflict (an entity edited by one person
    and deleted by another, kept alive): None or 0 keeps it, 1 completes the deletion.
    """
    conflict = timeline.conflicts.get(conflict_id)
    if conflict is None:
        raise NotFound(f"no conflict {conflict_id!r} in this project")
    if conflict.kind == "deleted":
        if choice in (None, 0):
            return [_resolve_only(conflict)]
        if choice != 1:
            raise EditRejected(
                f"conflict {conflict_id}: choose 0 to keep the {conflict.entity} or 1 to delete it"
            )
        if conflict.entity == "track":
            ops = remove_track(timeline, conflict.target)
        else:
            entity = timeline.collection(conflict.entity).get(conflict.target)
            ops = [] if entity is None else [remove(entity)]
        return [*ops, _resolve_only(conflict)] if ops else [_resolve_only(conflict)]
    index = 0 if choice is None else choice
    if not 0 <= index < len(conflict.values):
        raise EditRejected(
            f"conflict {conflict_id} has {len(conflict.values)} values: "
            f"choose 0 to {len(conflict.values) - 1}"
        )
    if index == 0:
        return [_resolve_only(conflict)]
    value = conflict.values[index]
    if conflict.entity == "timeline":
        assert conflict.field is not None
        op = set_settings(timeline, **{conflict.field: decode_setting(conflict.field, value)})
    else:
        entity = timeline.collection(conflict.entity).get(conflict.target)
        if entity is None:
            raise NotFound(f"conflict {conflict_id}: its {conflict.entity} no longer exists")
        op = set_fields(entity, **_decoded_changes(entity, conflict.field, value))
    op["resolves"] = [conflict.to_dict()]
    return [op]


def _decoded_changes(entity: Entity, field: str | None, value: Any) -> dict[str, Any]:
    cls = type(entity)
    if field is not None:
        return {field: cls.decode_field(field, value)}
    if not isinstance(value, dict):
        raise EditRejected(f"conflict value for {cls.ENTITY} {entity.id} is not a whole record")
    return {k: cls.decode_field(k, v) for k, v in value.items() if k != "id" and k in cls.FIELDS}
