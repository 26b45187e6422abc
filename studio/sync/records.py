"""Local records (projects, clips, contributors) as wire documents, and pulled documents as local rows.

A clip's document (`studio.protocol.records.ClipDocument`) is built from the Clip's own codec and read
back into a Clip, whose row the library's codec writes; its credits are checked by the protocol's shape.
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
from typing import Any, cast

from studio.core.clips import Clip, Credit, duration_text
from studio.core.errors import InvalidInput
from studio.core.library import clip_columns, read_record
from studio.core.store import utc_now
from studio.protocol.ids import is_sha256
from studio.protocol.records import ClipDocument, WireCredit, credit_problem
from studio.sync.state import dumps

KINDS = ("project", "clip", "contributor")
MISSING: Any = object()


class RecordRejected(InvalidInput):
    """A pulled document that cannot become a local row (kept aside, never dropped silently)."""


# --- credits ----------------------------------------------------------------------------------------------


def credit_to_wire(credit: Credit) -> WireCredit:
    """A credit as a clip record carries it: every role with the first as `role`, a weight other than 1
    as a JSON number (the server checks it is one) and exactly (`weight_exact`), the contributor id."""
    local = credit.to_dict()
    entry: WireCredit = {"name": credit.name, "role": credit.roles[0], "roles": list(credit.roles)}
    if "weight" in local:
        entry["weight"] = float(credit.weight)
        entry["weight_exact"] = local["weight"]
    if credit.contributor_id:
        entry["contributor"] = credit.contributor_id
    return entry


def credit_from_wire(entry: Any) -> Credit:
    """The credit a record's entry stands for; an entry out of the protocol's shape is refused by name."""
    problem = credit_problem(entry)
    if problem:
        raise RecordRejected(f"a credit {problem}: {entry!r}")
    data: dict[str, Any] = {"name": entry["name"], "roles": entry.get("roles") or [entry["role"]]}
    if "weight_exact" in entry or "weight" in entry:
        data["weight"] = str(entry.get("weight_exact", entry.get("weight")))
    if entry.get("contributor"):
        data["id"] = entry["contributor"]
    try:
        return Credit.from_dict(data)
    except InvalidInput as exc:
        raise RecordRejected(str(exc)) from None


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
        record = read_record(conn, record_id)
        if record is None:
            return None, "", ""
        return dict(clip_document(record.clip, record.source_name)), record.space, record.origin
    return None, "", ""


def clip_document(clip: Clip, source_name: str) -> ClipDocument:
    """A clip as its record's wire document: the domain dict without what the server keeps itself (the
    id, the owner), credits in the wire shape, the media named. The one encoder of that document."""
    domain = clip.to_dict()
    doc: dict[str, Any] = {name: domain[name] for name in _DOCUMENT_FIELDS}
    doc["credits"] = [credit_to_wire(c) for c in clip.credits]
    doc["source_name"] = source_name
    doc["media"] = clip.id
    return cast(ClipDocument, doc)


_DOCUMENT_FIELDS = (
    *("title", "kind", "duration", "has_video", "has_audio", "probe", "credits", "licence", "lineage"),
    *("embedded_credits", "tags"),
)
"""The domain fields a clip's document carries, in its order (the id and owner are the server's)."""


def clip_from_document(record_id: str, doc: dict[str, Any], owner: str) -> Clip:
    """The clip a pulled record stands for (`owner` its publisher). Lenient where older documents were
    (a null text or list is empty, a duration any exact number, flags any truth value); a field that
    still does not check out refuses the record by name. The one decoder of that document."""
    if not is_sha256(record_id):
        raise RecordRejected(f"clip id {record_id!r} is not the SHA-256 of its media")
    duration = doc.get("duration")
    if duration is not None:
        try:
            duration = duration_text(Fraction(str(duration)))
        except (ValueError, ZeroDivisionError):
            raise RecordRejected(f"clip duration {duration!r} is not a number of seconds") from None
    credits = doc.get("credits", [])
    if not isinstance(credits, list):
        raise RecordRejected(f"credits must be a list, got {type(credits).__name__}")
    values: dict[str, Any] = {name: doc.get(name) for name in _DOCUMENT_FIELDS}
    values.update(
        title=_text(doc, "title"),
        duration=duration,
        has_video=bool(doc.get("has_video")),
        has_audio=bool(doc.get("has_audio")),
        probe=doc.get("probe") or {},
        credits=[credit_from_wire(entry).to_dict() for entry in credits],
        licence=_text(doc, "licence"),
        lineage=_list(doc, "lineage"),
        tags=_list(doc, "tags"),
        owner=owner,
    )
    try:
        return Clip.from_dict(values, clip_id=record_id)
    except InvalidInput as exc:
        raise RecordRejected(str(exc)) from None


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
        columns = clip_columns(clip_from_document(record_id, doc, owner))
        del columns["id"], columns["owner"]  # the owner of a row is its first publisher's, set once
        columns["source_name"] = _text(doc, "source_name")
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
