"""Local records (projects, clips, contributors) as wire documents, and pulled documents as local rows.

The wire document of a record is what the server stores and merges field by field; every comparison the
sync client makes (what did the user change? what did the server change?) is between wire documents, so
the mapping must round-trip: local row -> document -> local row gives the same row.

Pulled records are written with plain SQL on the store's connection, not through the library's save
functions, because those queue an outbox change and a pulled version is not a local edit.
"""

from __future__ import annotations

import json
import sqlite3
from fractions import Fraction
from typing import Any

from studio.core.clips import CLIP_KINDS, Credit
from studio.core.errors import InvalidInput
from studio.core.store import utc_now
from studio.protocol.ids import is_sha256
from studio.sync.state import dumps

KINDS = ("project", "clip", "contributor")
MISSING: Any = object()


class RecordRejected(InvalidInput):
    """A pulled document that cannot become a local row (kept aside, never dropped silently)."""


# --- credits ----------------------------------------------------------------------------------------------


def wire_credits(local: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Local credits ({name, roles, weight?, id?}) as the server's conventional {name, role, ...} entries.

    The server checks that a weight is a number, so the exact fraction rides along as `weight_exact`.
    """
    out = []
    for credit in local:
        roles = list(credit.get("roles") or [credit.get("role", "creator")])
        entry: dict[str, Any] = {"name": credit["name"], "role": roles[0], "roles": roles}
        if "weight" in credit:
            exact = Fraction(str(credit["weight"]))
            entry["weight"] = float(exact)
            entry["weight_exact"] = str(exact)
        if credit.get("id"):
            entry["contributor"] = credit["id"]
        out.append(entry)
    return out


def local_credits(wire: Any) -> list[dict[str, Any]]:
    if not isinstance(wire, list):
        raise RecordRejected(f"credits must be a list, got {type(wire).__name__}")
    out = []
    for entry in wire:
        if not isinstance(entry, dict):
            raise RecordRejected(f"a credit must be an object, got {entry!r}")
        data: dict[str, Any] = {"name": entry.get("name"), "roles": entry.get("roles") or [entry.get("role")]}
        if "weight_exact" in entry or "weight" in entry:
            data["weight"] = str(entry.get("weight_exact", entry.get("weight")))
        if entry.get("contributor"):
            data["id"] = str(entry["contributor"])
        try:
            out.append(Credit.from_dict(data).to_dict())
        except InvalidInput as exc:
            raise RecordRejected(str(exc)) from None
    return out


# --- local -> wire ----------------------------------------------------------------------------------------


def local_doc(conn: sqlite3.Connection, kind: str, record_id: str) -> tuple[dict[str, Any] | None, str, str]:
    """(wire document or None when the record is not here, its home space, its origin)."""
    if kind == "project":
        row = conn.execute(
            "SELECT name, settings, created, space, origin FROM projects WHERE id = ?", (record_id,)
        ).fetchone()
        if row is None:
            return None, "", ""
        return {"name": row[0], "settings": json.loads(row[1]), "created": row[2]}, row[3], row[4]
    if kind == "contributor":
        row = conn.execute(
            "SELECT name, contact, space, origin FROM contributors WHERE id = ?", (record_id,)
        ).fetchone()
        if row is None:
            return None, "", ""
        return {"name": row[0], "contact": row[1]}, row[2], row[3]
    if kind == "clip":
        row = conn.execute(
            "SELECT title, kind, duration, has_video, has_audio, probe, credits, licence, lineage, "
            "embedded_credits, tags, source_name, space, origin FROM clips WHERE id = ?",
            (record_id,),
        ).fetchone()
        if row is None:
            return None, "", ""
        doc = {
            "title": row[0],
            "kind": row[1],
            "duration": row[2],
            "has_video": bool(row[3]),
            "has_audio": bool(row[4]),
            "probe": json.loads(row[5]),
            "credits": wire_credits(json.loads(row[6])),
            "licence": row[7],
            "lineage": json.loads(row[8]),
            "embedded_credits": None if row[9] is None else json.loads(row[9]),
            "tags": json.loads(row[10]),
            "source_name": row[11],
            "media": record_id,
        }
        return doc, row[12], row[13]
    return None, "", ""


# --- wire -> local ----------------------------------------------------------------------------------------


def _text(doc: dict[str, Any], name: str, default: str = "") -> str:
    value = doc.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise RecordRejected(f"field {name!r} must be text, got {value!r}")
    return value


def _list(doc: dict[str, Any], name: str) -> list[Any]:
    value = doc.get(name, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordRejected(f"field {name!r} must be a list, got {value!r}")
    return value


def _clip_columns(doc: dict[str, Any]) -> dict[str, Any]:
    kind = doc.get("kind")
    if kind not in CLIP_KINDS:
        raise RecordRejected(f"clip kind {kind!r} is not one of {', '.join(CLIP_KINDS)}")
    duration = doc.get("duration")
    if duration is not None:
        try:
            value = Fraction(str(duration))
        except (ValueError, ZeroDivisionError):
            raise RecordRejected(f"clip duration {duration!r} is not a number of seconds") from None
        duration = f"{value.numerator}/{value.denominator}"
    probe = doc.get("probe") or {}
    embedded = doc.get("embedded_credits")
    if not isinstance(probe, dict) or (embedded is not None and not isinstance(embedded, dict)):
        raise RecordRejected("clip probe and embedded_credits must be objects")
    lineage = _list(doc, "lineage")
    if not all(is_sha256(x) for x in lineage):
        raise RecordRejected("clip lineage must list clip ids")
    tags = _list(doc, "tags")
    if not all(isinstance(t, str) for t in tags):
        raise RecordRejected("clip tags must be text")
    return {
        "title": _text(doc, "title"),
        "kind": kind,
        "duration": duration,
        "has_video": int(bool(doc.get("has_video"))),
        "has_audio": int(bool(doc.get("has_audio"))),
        "probe": dumps(probe),
        "credits": dumps(local_credits(doc.get("credits", []))),
        "licence": _text(doc, "licence"),
        "lineage": dumps(lineage),
        "embedded_credits": None if embedded is None else dumps(embedded),
        "tags": dumps(tags),
        "source_name": _text(doc, "source_name"),
    }


def _free_name(conn: sqlite3.Connection, record_id: str, name: str, owner: str) -> str:
    """`name`, or a variant no other local project uses (names are unique in a store)."""
    candidates = [name, f"{name} ({owner})" if owner else f"{name} (shared)"]
    candidates += [f"{candidates[1]} {n}" for n in range(2, 100)]
    for candidate in candidates:
        row = conn.execute("SELECT id FROM projects WHERE name = ?", (candidate,)).fetchone()
        if row is None or row[0] == record_id:
            return candidate
    return f"{name} ({record_id[:8]})"


def write_local(
    conn: sqlite3.Connection,
    kind: str,
    record_id: str,
    doc: dict[str, Any],
    *,
    space: str,
    owner: str,
    rev: int,
    create: bool,
) -> dict[str, Any]:
    """Write `doc` into the local row (creating it when `create`); returns the fields stored differently
    from `doc` (a project name made unique here), so the shadow can remember them."""
    adjusted: dict[str, Any] = {}
    if kind == "project":
        name = _text(doc, "name").strip() or f"shared {record_id[:8]}"
        settings = doc.get("settings") or {}
        if not isinstance(settings, dict):
            raise RecordRejected("project settings must be an object")
        unique = _free_name(conn, record_id, name, owner)
        if unique != doc.get("name"):
            adjusted["name"] = unique
        if create:
            conn.execute(
                "INSERT INTO projects (id, name, settings, space, origin, server_rev, created) "
                "VALUES (?, ?, ?, ?, 'pulled', ?, ?)",
                (record_id, unique, dumps(settings), space, rev, _text(doc, "created") or utc_now()),
            )
        else:
            conn.execute(
                "UPDATE projects SET name = ?, settings = ?, server_rev = ? WHERE id = ?",
                (unique, dumps(settings), rev, record_id),
            )
    elif kind == "contributor":
        name = _text(doc, "name").strip()
        if not name:
            raise RecordRejected("a contributor needs a name")
        if create:
            conn.execute(
                "INSERT INTO contributors (id, name, contact, space, origin, server_rev, created) "
                "VALUES (?, ?, ?, ?, 'pulled', ?, ?)",
                (record_id, name, _text(doc, "contact"), space, rev, utc_now()),
            )
        else:
            conn.execute(
                "UPDATE contributors SET name = ?, contact = ?, server_rev = ? WHERE id = ?",
                (name, _text(doc, "contact"), rev, record_id),
            )
    elif kind == "clip":
        if not is_sha256(record_id):
            raise RecordRejected(f"clip id {record_id!r} is not the SHA-256 of its media")
        columns = _clip_columns(doc)
        if create:
            columns.update(
                id=record_id,
                owner=owner,
                origin="pulled",
                space=space,
                server_rev=rev,
                created=utc_now(),
                media_present=0,  # new to this library: the bytes come when asked for
            )
            names = ", ".join(columns)
            conn.execute(
                f"INSERT INTO clips ({names}) VALUES ({', '.join('?' * len(columns))})",
                tuple(columns.values()),
            )
        else:
            columns["server_rev"] = rev
            sets = ", ".join(f"{k} = ?" for k in columns)
            conn.execute(f"UPDATE clips SET {sets} WHERE id = ?", (*columns.values(), record_id))
    else:
        raise RecordRejected(f"records of kind {kind!r} are not kept locally")
    return adjusted


def set_home_space(conn: sqlite3.Connection, kind: str, record_id: str, space: str) -> None:
    table = {"project": "projects", "clip": "clips", "contributor": "contributors"}[kind]
    conn.execute(f"UPDATE {table} SET space = ? WHERE id = ?", (space, record_id))


def claim_published_clip(
    conn: sqlite3.Connection, clip_id: str, username: str, space: str, *, adopt_pulled: bool = True
) -> None:
    """A clip published to `space` by `username` is theirs there: one never synced takes the space and
    owner, and (with `adopt_pulled`) one pulled from another publisher becomes their own claim about the
    file (the other's claim stays in the library's claims)."""
    if adopt_pulled:
        conn.execute(
            "UPDATE clips SET owner = ?, origin = 'local' WHERE id = ? AND origin = 'pulled' "
            "AND space = ? AND owner != ?",
            (username, clip_id, space, username),
        )
    conn.execute(
        "UPDATE clips SET space = ?, owner = ? WHERE id = ? AND (space = '' OR owner = '')",
        (space, username, clip_id),
    )
