"""Merge semantics of primitive ops: concurrent edits are kept as conflicts, never dropped."""

from __future__ import annotations

from fractions import Fraction

import pytest

from studio.core import edits, ops
from studio.core.errors import InvalidInput
from studio.core.timeline import Item, Timeline, Track


def base() -> Timeline:
    tl = Timeline()
    ops.apply(tl, ops.insert(Track(id="v1", kind="video", name="V1", order="V")))
    item = Item(id="a", track="v1", start=Fraction(0), duration=Fraction(4), clip="c" * 64)
    ops.apply(tl, ops.insert(item))
    return tl


def test_sequential_sets_raise_no_conflict() -> None:
    tl = base()
    ops.apply(tl, ops.set_fields(tl.items["a"], start=Fraction(1)), "x:1")
    ops.apply(tl, ops.set_fields(tl.items["a"], start=Fraction(2)), "x:2")
    assert tl.items["a"].start == 2
    assert tl.conflicts == {}


def test_concurrent_sets_keep_both_values_with_the_later_in_effect() -> None:
    tl = base()
    first = ops.set_fields(tl.items["a"], start=Fraction(1))
    second = ops.set_fields(tl.items["a"], start=Fraction(7, 3))  # made on the same base, concurrently
    ops.apply(tl, first, "x:1")
    ops.apply(tl, second, "y:1")
    assert tl.items["a"].start == Fraction(7, 3)
    [conflict] = tl.conflicts.values()
    assert (conflict.kind, conflict.target, conflict.field) == ("field", "a", "start")
    assert conflict.values == ["7/3", 1]


def test_concurrent_identical_sets_agree() -> None:
    tl = base()
    one = ops.set_fields(tl.items["a"], duration=Fraction(2))
    ops.apply(tl, one, "x:1")
    ops.apply(tl, dict(one), "y:1")
    assert tl.conflicts == {}


def test_edit_to_an_item_deleted_concurrently_brings_it_back_flagged() -> None:
    tl = base()
    trim = ops.set_fields(tl.items["a"], duration=Fraction(3))
    delete = ops.remove(tl.items["a"])
    ops.apply(tl, delete, "x:1")
    ops.apply(tl, trim, "y:1")
    assert tl.items["a"].duration == 3
    assert [c.kind for c in tl.conflicts.values()] == ["deleted"]


def test_delete_of_an_item_edited_concurrently_keeps_the_edit() -> None:
    tl = base()
    trim = ops.set_fields(tl.items["a"], duration=Fraction(3))
    delete = ops.remove(tl.items["a"])
    ops.apply(tl, trim, "x:1")
    ops.apply(tl, delete, "y:1")
    assert tl.items["a"].duration == 3
    assert [c.kind for c in tl.conflicts.values()] == ["deleted"]


def test_removing_twice_is_removing_once() -> None:
    tl = base()
    delete = ops.remove(tl.items["a"])
    ops.apply(tl, delete, "x:1")
    ops.apply(tl, delete, "y:1")
    assert "a" not in tl.items and tl.conflicts == {}


def test_concurrent_inserts_at_one_place_both_survive_as_an_overlap() -> None:
    tl = base()
    b = Item(id="b", track="v1", start=Fraction(5), duration=Fraction(2), clip="d" * 64)
    c = Item(id="c", track="v1", start=Fraction(5), duration=Fraction(2), clip="e" * 64)
    ops.apply(tl, ops.insert(b), "x:1")
    ops.apply(tl, ops.insert(c), "y:1")
    assert {"b", "c"} <= set(tl.items)
    assert [(p.id, q.id) for p, q in tl.overlaps()] == [("b", "c")]


def test_undoing_a_resolution_restores_the_conflict() -> None:
    tl = base()
    first = ops.set_fields(tl.items["a"], start=Fraction(1))
    second = ops.set_fields(tl.items["a"], start=Fraction(2))
    ops.apply(tl, first, "x:1")
    ops.apply(tl, second, "y:1")
    before = tl.snapshot()
    [cid] = tl.conflicts
    resolution = edits.resolve_conflict(tl, cid, 1)
    for op in resolution:
        ops.apply(tl, op)
    assert tl.conflicts == {} and tl.items["a"].start == 1
    for op in reversed([ops.inverse(o) for o in resolution]):
        ops.apply(tl, op)
    assert tl == before


def test_inverse_undoes_every_kind() -> None:
    tl = base()
    start = tl.snapshot()
    applied = [
        ops.set_fields(tl.items["a"], gain_db=-6.0, muted=True),
        ops.insert(Item(id="t", track="v1", start=Fraction(9), duration=Fraction(1), kind="title")),
        ops.set_settings(tl, name="Piece", fps=Fraction(24000, 1001)),
    ]
    for op in applied:
        ops.apply(tl, ops.validate(op))
    applied.append(ops.remove(tl.items["a"]))
    ops.apply(tl, applied[-1])
    for op in reversed(applied):
        ops.apply(tl, ops.inverse(op))
    assert tl == start


@pytest.mark.parametrize(
    "bad",
    [
        None,
        {"op": "explode", "entity": "item", "id": "a"},
        {"op": "set", "entity": "item", "id": "a", "new": {"start": "x"}, "old": {"start": 0}},
        {"op": "set", "entity": "item", "id": "a", "new": {"start": 1}, "old": {}},
        {"op": "set", "entity": "item", "id": "a", "new": {"nope": 1}, "old": {"nope": 0}},
        {"op": "insert", "entity": "item", "id": "a",
         "value": {"id": "b", "track": "v1", "start": 0, "duration": 1}},
        {"op": "remove", "entity": "timeline", "id": "", "old": {}},
        {"op": "set", "entity": "item", "id": "a", "new": {}, "old": {}, "resolves": ["not-a-conflict"]},
    ],
)
def test_malformed_ops_are_refused_with_a_reason(bad: object) -> None:
    with pytest.raises(InvalidInput, match=r"\S"):
        ops.validate(bad)
