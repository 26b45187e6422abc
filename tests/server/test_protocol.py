"""The protocol helpers on their own: id patterns, op order, cursors, part arithmetic."""

from __future__ import annotations

import pytest

from studio.protocol import api, ids
from studio.protocol.cursor import Cursor, decode_cursor

SHA = "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "value",
    [SHA.upper(), SHA[:63], SHA + "0", SHA + "\n", "../" + SHA[3:], None, 5, SHA[:63] + "\x00", "g" * 64],
)
def test_bad_hashes(value: object) -> None:
    assert not ids.is_sha256(value)


def test_good_ids() -> None:
    assert ids.is_sha256(SHA)
    assert ids.is_space_id("public") and ids.is_space_id("a" * 32) and not ids.is_space_id("publicx")
    assert ids.is_record_id("clip_01-A") and not ids.is_record_id("../a") and not ids.is_record_id("a.b")
    assert ids.is_change_id("client:0001") and not ids.is_change_id("short")
    assert ids.is_username("ann.lee") and not ids.is_username("Ann") and not ids.is_username("a")


def test_op_ids_and_total_order() -> None:
    a, b = "a" * 32, "b" * 32
    assert ids.parse_op_id(f"{a}:12") == (a, 12)
    for bad in (f"{a}:0", f"{a}:-1", f"{a.upper()}:1", f"{a}:1\n", f"{a[:31]}:1", "x"):
        with pytest.raises(ValueError):
            ids.parse_op_id(bad)
    ops = [
        {"id": f"{b}:1", "lamport": 2},
        {"id": f"{a}:2", "lamport": 2},
        {"id": f"{b}:3", "lamport": 1},
        {"id": f"{a}:10", "lamport": 2},
    ]
    assert [o["id"] for o in sorted(ops, key=ids.op_order_key)] == [f"{b}:3", f"{a}:2", f"{a}:10", f"{b}:1"]
    with pytest.raises(ValueError):
        ids.op_order_key({"id": f"{a}:1", "lamport": -1})


def test_cursor_round_trip_and_refusals() -> None:
    cursor = Cursor("e" * 16, 42, "abcd1234")
    assert decode_cursor(cursor.encode()) == cursor
    for bad in (
        "",
        "!!!",
        "e30",
        "W10",
        "x" * 300,
        Cursor("e", -1, "s").encode(),
        Cursor("e", True, "s").encode(),
    ):
        with pytest.raises(ValueError):
            decode_cursor(bad)


def test_part_arithmetic() -> None:
    size = 2 * api.PART_SIZE + 5
    assert api.part_count(size) == 3 and api.part_count(0) == 1 and api.part_count(api.PART_SIZE) == 1
    assert [api.part_length(size, n) for n in (1, 2, 3)] == [api.PART_SIZE, api.PART_SIZE, 5]
    assert api.part_length(0, 1) == 0
    with pytest.raises(ValueError):
        api.part_length(size, 4)
