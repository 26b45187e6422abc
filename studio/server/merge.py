"""Field-by-field merge of small records against the base revision the client started from.

Nothing is dropped: a field changed on both sides to different values keeps the server's value and records
both in a conflict on the record, which a later up-to-date push resolves. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studio.protocol.records import credits_problem as wire_credits_problem

DELETED = "deleted"
_MISSING: Any = object()


@dataclass
class MergeOutcome:
    doc: dict[str, Any]
    deleted: bool
    conflicts: list[dict[str, Any]]
    new_conflicts: list[dict[str, Any]] = field(default_factory=list)
    concurrent: bool = False


def merge_record(
    current: dict[str, Any] | None,
    current_deleted: bool,
    current_rev: int | None,
    current_conflicts: list[dict[str, Any]],
    base: tuple[dict[str, Any], bool] | None,
    base_rev: int | None,
    changed: dict[str, Any],
    deleted: bool | None,
    rev: int,
    change_id: str,
    kind: str,
) -> MergeOutcome:
    """Merge one pushed change. `base` is the (doc, deleted) at base_rev, or None when it is unknown."""
    if current is None:
        current, current_deleted, current_conflicts = {}, False, []
        if base_rev is None:
            base = ({}, False)
    up_to_date = current_rev is not None and base_rev == current_rev
    concurrent = current_rev is not None and not up_to_date
    ours = dict(current)
    ours_full = {**current, DELETED: current_deleted}
    base_full = None if base is None else {**base[0], DELETED: base[1]}
    theirs = dict(changed)
    if deleted is not None:
        theirs[DELETED] = deleted

    kept = [c for c in current_conflicts if c.get("reason") != "invariant"]
    if up_to_date:
        kept = [c for c in kept if c["field"] not in theirs]
    new: list[dict[str, Any]] = []
    result_deleted = current_deleted
    for name, value in theirs.items():
        server = ours_full.get(name, _MISSING)
        if server is not _MISSING and server == value:
            continue
        base_value = _MISSING if base_full is None else base_full.get(name, _MISSING)
        applies = (
            up_to_date
            or (base_full is not None and _same(base_value, server))
            or (base_full is None and server is _MISSING)
        )
        if applies:
            if name == DELETED:
                result_deleted = bool(value)
            else:
                ours[name] = value
            continue
        new.append(
            _conflict(
                name,
                "concurrent-set",
                f"{name!r} was changed on the server and by this push",
                rev,
                change_id,
                base=None if base_value is _MISSING else base_value,
                server=None if server is _MISSING else server,
                client=value,
            )
        )
    edits = [n for n in theirs if n != DELETED]
    base_deleted = None if base_full is None else base_full[DELETED]
    if current_deleted and deleted is None and edits and base_deleted is not True:
        new.append(
            _conflict(
                DELETED,
                "edit-of-deleted",
                "this record was deleted while this push edited it",
                rev,
                change_id,
                server=True,
                client=False,
            )
        )
    if kind == "clip" and not result_deleted:
        problem = credits_problem(ours.get("credits", _MISSING))
        if problem:
            new.append(_conflict("credits", "invariant", problem, rev, change_id, client=ours.get("credits")))
    return MergeOutcome(ours, result_deleted, kept + new, new, concurrent)


def credits_problem(credits: Any) -> str | None:
    """Why a clip's credits break the invariant, or None when they hold (the shape is the protocol's)."""
    if credits is _MISSING:
        return "a clip must credit someone: 'credits' is missing"
    return wire_credits_problem(credits)


def _same(a: Any, b: Any) -> bool:
    return a is b if (a is _MISSING or b is _MISSING) else a == b


def _conflict(name: str, reason: str, detail: str, rev: int, change_id: str, **values: Any) -> dict[str, Any]:
    return {"field": name, "reason": reason, "detail": detail, **values, "rev": rev, "change_id": change_id}
