"""Field-by-field merge against the base revision, as a pure function."""

from __future__ import annotations

from studio.server.merge import credits_problem, merge_record


def merge(
    current,
    base,
    changed,
    *,
    current_rev=5,
    base_rev=3,
    deleted=None,
    current_deleted=False,
    conflicts=(),
    kind="project",
):
    return merge_record(
        current=current,
        current_deleted=current_deleted,
        current_rev=current_rev,
        current_conflicts=list(conflicts),
        base=base,
        base_rev=base_rev,
        changed=changed,
        deleted=deleted,
        rev=9,
        change_id="change-1",
        kind=kind,
    )


def test_disjoint_fields_merge_cleanly() -> None:
    out = merge({"a": 2, "b": 1}, ({"a": 1, "b": 1}, False), {"b": 7})
    assert out.doc == {"a": 2, "b": 7} and out.new_conflicts == [] and out.concurrent


def test_same_field_different_values_conflicts_and_keeps_server_value() -> None:
    out = merge({"a": 2}, ({"a": 1}, False), {"a": 3})
    assert out.doc == {"a": 2}
    assert [(c["field"], c["base"], c["server"], c["client"]) for c in out.new_conflicts] == [("a", 1, 2, 3)]


def test_same_value_on_both_sides_is_not_a_conflict() -> None:
    assert merge({"a": 2}, ({"a": 1}, False), {"a": 2}).new_conflicts == []


def test_an_up_to_date_push_resolves_conflicts_on_its_fields() -> None:
    old = [{"field": "a", "reason": "concurrent-set"}, {"field": "b", "reason": "concurrent-set"}]
    out = merge({"a": 2, "b": 2}, ({"a": 2, "b": 2}, False), {"a": 4}, base_rev=5, conflicts=old)
    assert out.doc["a"] == 4 and [c["field"] for c in out.conflicts] == ["b"] and not out.concurrent


def test_unknown_base_makes_every_differing_field_a_conflict() -> None:
    out = merge({"a": 1, "b": 1}, None, {"a": 2, "c": 3}, base_rev=99)
    assert [c["field"] for c in out.new_conflicts] == ["a"] and out.doc["c"] == 3


def test_new_record() -> None:
    out = merge(None, None, {"a": 1}, current_rev=None, base_rev=None)
    assert out.doc == {"a": 1} and out.conflicts == [] and not out.concurrent


def test_delete_and_edit_of_deleted() -> None:
    gone = merge({"a": 1}, ({"a": 1}, False), {}, deleted=True)
    assert gone.deleted and gone.new_conflicts == []
    edited = merge({"a": 1}, ({"a": 1}, False), {"a": 5}, current_deleted=True)
    assert edited.deleted and edited.doc["a"] == 5
    assert [c["reason"] for c in edited.new_conflicts] == ["edit-of-deleted"]


def test_credits_invariant() -> None:
    good = [{"name": "Ann", "role": "camera", "weight": 2}]
    assert credits_problem(good) is None
    for bad in (
        [],
        "x",
        [{"name": "Ann"}],
        [{"name": " ", "role": "x"}],
        [{"name": "A", "role": "r", "weight": -1}],
        [{"name": "A", "role": "r", "weight": True}],
        ["Ann"],
    ):
        assert credits_problem(bad), bad
    out = merge({"credits": good}, ({"credits": good}, False), {"credits": []}, kind="clip", base_rev=5)
    assert out.doc["credits"] == [] and [c["reason"] for c in out.new_conflicts] == ["invariant"]
