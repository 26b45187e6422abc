"""Stored NaN and Infinity become null: records, feed entries and remembered push results written before
strict input may hold them, and a strict JSON reader rejects the whole feed page that carries one.

Every non-finite number in a stored JSON document is rewritten to null, except a credit's `weight`, which
is removed (a weight, when present, must be a number; without one the credit counts as an equal share).
An op whose content changes this way gets the digest of its new content, so the server's log stays
comparable with what clients pull. Only rows whose text names NaN or Infinity are read (Python's json
module, which wrote them, spells non-finite numbers no other way), one row at a time, so a server with
large records upgrades in bounded memory.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_REMOVED_WHEN_NOT_FINITE = {"credits": frozenset({"weight"})}
"""Fields of the entries of a list that must be a number or absent (null would be invalid there)."""
_CONFLICT_VALUES = frozenset({"base", "server", "client"})


def _dumps(value: Any) -> str:
    # The server's stored form (studio/server/changes.py), refusing what this migration removes.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True, allow_nan=False)


def finite(value: Any, removed: frozenset[str] = frozenset()) -> Any:
    """`value` with every non-finite number replaced by None, and the keys in `removed` dropped when
    their value is not finite."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [finite(item, removed) for item in value]
    if isinstance(value, dict):
        # A conflict about a field keeps that field's values under base, server and client.
        about = value.get("field") if isinstance(value.get("field"), str) else None
        out = {}
        for key, item in value.items():
            if key in removed and isinstance(item, float) and not math.isfinite(item):
                continue
            name = about if about is not None and key in _CONFLICT_VALUES else key
            inner = _REMOVED_WHEN_NOT_FINITE.get(name, frozenset())
            out[key] = finite(item, inner) if isinstance(item, list) else finite(item)
        return out
    return value


def cleaned(text: str) -> str | None:
    """The document in `text` without non-finite numbers, or None when it has none (or is not JSON)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return None if _all_finite(doc) else _dumps(finite(doc))


def _all_finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_all_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    return True


def _suspects(column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    return sa.or_(column.like("%NaN%"), column.like("%Infinity%"))


def _clean_table(
    conn: sa.Connection, table: sa.TableClause, keys: list[str], columns: list[str]
) -> list[tuple[tuple[Any, ...], dict[str, str], dict[str, str]]]:
    """Rewrite `columns` of every suspect row of `table`; returns (key, old texts, new texts) of each
    row changed."""
    key_cols = [table.c[k] for k in keys]
    found = conn.execute(
        sa.select(*key_cols).where(sa.or_(*(_suspects(table.c[name]) for name in columns)))
    ).all()
    changed = []
    for key in found:
        where = sa.and_(*(col == value for col, value in zip(key_cols, key, strict=True)))
        row = conn.execute(sa.select(*(table.c[name] for name in columns)).where(where)).one()
        old, new = {}, {}
        for name, text in zip(columns, row, strict=True):
            replacement = cleaned(text)
            if replacement is not None:
                old[name], new[name] = text, replacement
        if new:
            conn.execute(sa.update(table).where(where).values(**new))
            changed.append((tuple(key), old, new))
    return changed


def _redigest_ops(
    conn: sa.Connection, ops: sa.TableClause, space_id: str, old_body: str, new_body: str
) -> None:
    """Give each op whose content changed the digest of its new content (digests made before the
    server kept them are empty and stay so)."""
    before = {op["id"]: op for op in json.loads(old_body).get("ops") or [] if isinstance(op, dict)}
    for entry in json.loads(new_body).get("ops") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        old = before.get(entry["id"])
        if old is not None and _all_finite(old) and old == entry:
            continue
        conn.execute(
            sa.update(ops)
            .where(ops.c.space_id == space_id, ops.c.op_id == entry["id"], ops.c.digest != "")
            .values(digest=hashlib.sha256(_dumps(entry).encode()).hexdigest())
        )


def upgrade() -> None:
    conn = op.get_bind()
    records = sa.table(
        "records",
        sa.column("space_id", sa.String),
        sa.column("kind", sa.String),
        sa.column("id", sa.String),
        sa.column("doc", sa.Text),
        sa.column("conflicts", sa.Text),
    )
    changes = sa.table(
        "changes",
        sa.column("space_id", sa.String),
        sa.column("seq", sa.BigInteger),
        sa.column("body", sa.Text),
    )
    applied = sa.table(
        "applied_changes",
        sa.column("space_id", sa.String),
        sa.column("account_id", sa.String),
        sa.column("change_id", sa.String),
        sa.column("result", sa.Text),
    )
    ops = sa.table(
        "ops",
        sa.column("space_id", sa.String),
        sa.column("op_id", sa.String),
        sa.column("digest", sa.String),
    )
    _clean_table(conn, records, ["space_id", "kind", "id"], ["doc", "conflicts"])
    _clean_table(conn, applied, ["space_id", "account_id", "change_id"], ["result"])
    for (space_id, _seq), old, new in _clean_table(conn, changes, ["space_id", "seq"], ["body"]):
        if json.loads(new["body"]).get("kind") == "ops":
            _redigest_ops(conn, ops, space_id, old["body"], new["body"])


def downgrade() -> None:
    # Nothing to undo: null is what the strict server serves for these values anyway.
    pass
