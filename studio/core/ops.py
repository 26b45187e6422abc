"""Primitive edit operations: the unit of undo, of the journal and of sync.

An op is a JSON object:
  {"op": "insert", "entity": "item", "id": X, "value": {...}}
  {"op": "remove", "entity": "item", "id": X, "old": {...}}
  {"op": "set", "entity": "item", "id": X, "new": {field: v}, "old": {field: v}}
  {"op": "set", "entity": "timeline", "id": "", "new": {...}, "old": {...}}
with optional "resolves": [conflicts] that the op settles and "restores": [conflicts] that it brings
back (the undo of a resolution), and on a set "reverts": the id of the op it undoes. Values are
field-encoded JSON.

`apply` never refuses a well-formed op: ops from collaborators arrive in any order and every
replica folds the same log in the same order. Where an op's expectation (its "old") does not
match the state it lands on, the op was concurrent with another edit, and the disagreement is
recorded as a Conflict instead of silently dropping either side. A move is a field update, never
delete + insert, so a concurrent trim and move both survive. Two people who set a field to the
same value concurrently made two edits, not one: the timeline remembers both as writers of the
value, and an undo ("reverts" one of them) withdraws only that person's write, keeping the value
while another writer still holds it.
"""

from __future__ import annotations

from typing import Any

from studio.core.errors import InvalidInput
from studio.core.timeline import (
    ENTITY_TYPES,
    SETTINGS,
    TRACK_NAME_RE,
    Conflict,
    Entity,
    Item,
    Timeline,
    Track,
    decode_setting,
)

Op = dict[str, Any]
OP_KINDS = ("insert", "remove", "set")


def insert(entity: Entity) -> Op:
    return {"op": "insert", "entity": entity.ENTITY, "id": entity.id, "value": entity.to_dict()}


def remove(entity: Entity) -> Op:
    return {"op": "remove", "entity": entity.ENTITY, "id": entity.id, "old": entity.to_dict()}


def set_fields(entity: Entity, **changes: Any) -> Op:
    """A set op from decoded values, with the entity's current values as "old"."""
    cls = type(entity)
    new = {k: cls.encode_field(k, v) for k, v in changes.items()}
    old = {k: cls.encode_field(k, getattr(entity, k)) for k in changes}
    return {"op": "set", "entity": entity.ENTITY, "id": entity.id, "new": new, "old": old}


def set_settings(timeline: Timeline, **changes: Any) -> Op:
    new = {k: SETTINGS[k][0](v) for k, v in changes.items()}
    old = {k: SETTINGS[k][0](timeline.settings[k]) for k in changes}
    return {"op": "set", "entity": "timeline", "id": "", "new": new, "old": old}


def inverse(op: Op, op_id: str | None = None) -> Op:
    """The op that undoes `op` (applied right after it); undoing a resolution restores its conflicts.

    `op_id` (the journal id of `op`) lets the undo of a set withdraw only that write when a
    collaborator set the same value concurrently.
    """
    kind = op["op"]
    if kind == "insert":
        out = {"op": "remove", "entity": op["entity"], "id": op["id"], "old": op["value"]}
    elif kind == "remove":
        out = {"op": "insert", "entity": op["entity"], "id": op["id"], "value": op["old"]}
    elif kind == "set":
        out = {"op": "set", "entity": op["entity"], "id": op["id"], "new": op["old"], "old": op["new"]}
        if op_id is not None:
            out["reverts"] = op_id
    else:
        raise InvalidInput(f"unknown op {kind!r}")
    if op.get("resolves"):
        out["restores"] = op["resolves"]
    if op.get("restores"):
        out["resolves"] = op["restores"]
    return out


def is_noop(op: Op) -> bool:
    return op["op"] == "set" and op["new"] == op["old"] and not op.get("resolves") and not op.get("restores")


def validate(op: Any) -> Op:
    """Check an op's shape (ops arrive from files and the network); raise InvalidInput naming the fault."""
    if not isinstance(op, dict):
        raise InvalidInput("op: expected an object")
    kind = op.get("op")
    if kind not in OP_KINDS:
        raise InvalidInput(f"op: unknown kind {kind!r}")
    entity = op.get("entity")
    if entity != "timeline" and entity not in ENTITY_TYPES:
        raise InvalidInput(f"op: unknown entity {entity!r}")
    if not isinstance(op.get("id"), str):
        raise InvalidInput("op: missing id")
    if entity == "timeline" and kind != "set":
        raise InvalidInput("op: the timeline can only be set")
    if kind == "insert":
        ENTITY_TYPES[entity].from_dict(op.get("value"))
        if op["value"]["id"] != op["id"]:
            raise InvalidInput("op: insert value id differs from op id")
    elif kind == "remove":
        ENTITY_TYPES[entity].from_dict(op.get("old"))
    else:
        new, old = op.get("new"), op.get("old")
        if not isinstance(new, dict) or not isinstance(old, dict) or set(new) != set(old):
            raise InvalidInput("op: set needs new and old with the same fields")
        for name, value in new.items():
            _decode(entity, name, value)
            _decode(entity, name, old[name])
    if "reverts" in op and (kind != "set" or not isinstance(op["reverts"], str) or not op["reverts"]):
        raise InvalidInput("op: reverts must be the id of the op a set undoes")
    for key in ("resolves", "restores"):
        conflicts = op.get(key, [])
        if not isinstance(conflicts, list):
            raise InvalidInput(f"op: {key} must be a list of conflicts")
        for conflict in conflicts:
            Conflict.from_dict(conflict)
    return op


def _decode(entity: str, name: str, value: Any) -> Any:
    if entity == "timeline":
        return decode_setting(name, value)
    return ENTITY_TYPES[entity].decode_field(name, value)


def _encoded(timeline: Timeline, entity: str, obj: Any, name: str) -> Any:
    if entity == "timeline":
        return SETTINGS[name][0](timeline.settings[name])
    return obj.encode_field(name, getattr(obj, name))


def apply(timeline: Timeline, op: Op, op_id: str = "local") -> None:
    """Apply one op in place. `op_id` names conflicts this op raises (stable across replicas)."""
    for conflict in op.get("resolves", ()):
        timeline.conflicts.pop(conflict["id"], None)
    for conflict in op.get("restores", ()):
        timeline.conflicts[conflict["id"]] = Conflict.from_dict(conflict)
    kind, entity, eid = op["op"], op["entity"], op["id"]
    if kind == "set":
        _apply_set(timeline, entity, eid, op, op_id)
    elif kind == "insert":
        _apply_insert(timeline, entity, eid, op["value"], op_id)
    else:
        _apply_remove(timeline, entity, eid, op["old"], op_id)


def _apply_insert(timeline: Timeline, entity: str, eid: str, value: dict[str, Any], op_id: str) -> None:
    coll = timeline.collection(entity)
    obj = ENTITY_TYPES[entity].from_dict(value)
    if eid in coll and coll[eid].to_dict() != value:
        _conflict(timeline, op_id, "field", entity, eid, None, [coll[eid].to_dict(), value])
    coll[eid] = obj
    timeline.tombstones.pop((entity, eid), None)
    if isinstance(obj, Item):
        _ensure_track(timeline, obj.track, op_id)
    if isinstance(obj, Track):
        _unique_track_name(timeline, obj)


def _apply_remove(timeline: Timeline, entity: str, eid: str, old: dict[str, Any], op_id: str) -> None:
    coll = timeline.collection(entity)
    current = coll.get(eid)
    if current is None:
        return  # removed already (a concurrent remove): removing twice is removing once
    current_dict = current.to_dict()
    if _compared(entity, current_dict) != _compared(entity, old):
        # Someone changed it while this person deleted it: keep their work, flag it.
        _conflict(timeline, op_id, "deleted", entity, eid, None, [current_dict])
        return
    if isinstance(current, Track) and any(i.track == eid for i in timeline.items.values()):
        _conflict(timeline, op_id, "deleted", entity, eid, None, [current_dict])
        return
    del coll[eid]
    timeline.tombstones[(entity, eid)] = current_dict
    timeline.writers.pop((entity, eid), None)


def _apply_set(timeline: Timeline, entity: str, eid: str, op: Op, op_id: str) -> None:
    new: dict[str, Any] = op["new"]
    old: dict[str, Any] = op["old"]
    if entity == "timeline":
        obj: Any = None
    else:
        coll = timeline.collection(entity)
        obj = coll.get(eid)
        if obj is None:
            tomb = timeline.tombstones.pop((entity, eid), None)
            if tomb is None:
                _conflict(timeline, op_id, "deleted", entity, eid, None, [new])
                return
            # Edited concurrently with its removal: bring it back with the edit, flagged.
            obj = ENTITY_TYPES[entity].from_dict(tomb)
            coll[eid] = obj
            _conflict(timeline, op_id, "deleted", entity, eid, None, [tomb])
    writers = timeline.writers.setdefault((entity, eid), {})
    reverts = op.get("reverts")
    for name, value in new.items():
        held = writers.get(name, ())
        if reverts is not None and reverts in held and len(held) > 1:
            # Undo of a write another person made too (same value, concurrently): withdraw
            # only this one; the value stays while someone still holds it.
            writers[name] = tuple(w for w in held if w != reverts)
            continue
        current = _encoded(timeline, entity, obj, name)
        if current != old.get(name) and current != value:
            _conflict(timeline, f"{op_id}/{name}", "field", entity, eid, name, [value, current])
        if current == value and current != old.get(name):
            writers[name] = (*held, op_id)  # a concurrent set of the same value: a second writer
        else:
            writers[name] = (op_id,)
        decoded = _decode(entity, name, value)
        if entity == "timeline":
            timeline.settings[name] = decoded
        else:
            setattr(obj, name, decoded)
    if isinstance(obj, Item):
        _ensure_track(timeline, obj.track, op_id)
    if isinstance(obj, Track) and "name" in new:
        _unique_track_name(timeline, obj)


def _compared(entity: str, value: dict[str, Any]) -> dict[str, Any]:
    """What a remove checks for concurrent changes: a track's name may differ (see _unique_track_name)."""
    if entity == "track":
        return {k: v for k, v in value.items() if k != "name"}
    return value


def _unique_track_name(timeline: Timeline, track: Track) -> None:
    """Give `track` a free name when another track already has its name.

    Two people who each add a track offline both get the next free name ("V3"); whichever the
    fold meets second becomes the next free V<n>/A<n> (other names get " 2", " 3"...). Every
    replica folds the same log in the same order, so every replica picks the same names.
    """
    others = {t.name for t in timeline.tracks.values() if t.id != track.id}
    if track.name not in others:
        return
    match = TRACK_NAME_RE.match(track.name)
    if match:
        prefix, n = match.group(1), 1
        while f"{prefix}{n}" in others:
            n += 1
        track.name = f"{prefix}{n}"
        return
    n = 2
    while f"{track.name} {n}" in others:
        n += 1
    track.name = f"{track.name} {n}"


def _ensure_track(timeline: Timeline, track_id: str, op_id: str) -> None:
    """An item placed on a track removed concurrently brings the track back, flagged."""
    if track_id in timeline.tracks:
        return
    tomb = timeline.tombstones.pop(("track", track_id), None)
    if tomb is not None:
        timeline.tracks[track_id] = Track.from_dict(tomb)
        _conflict(timeline, f"{op_id}/track", "deleted", "track", track_id, None, [tomb])


def _conflict(
    timeline: Timeline, cid: str, kind: str, entity: str, target: str, name: str | None, values: list[Any]
) -> None:
    for existing in timeline.conflicts.values():
        if (existing.kind, existing.entity, existing.target, existing.field) == (kind, entity, target, name):
            # The value in effect stays first; every other value seen is kept after it.
            existing.values = values + [v for v in existing.values if v not in values]
            return
    timeline.conflicts[cid] = Conflict(
        id=cid, kind=kind, entity=entity, target=target, field=name, values=list(values)
    )
