"""Applying pushes to a space (feed.py reads its change feed).

A push is applied in batches (`push_batches`), each in one transaction that first locks the space's counter
row: sequence numbers are therefore handed out in commit order, and a reader can never see sequence n+1
before n has committed. A batch holds whole changes only, so each change stays all-or-nothing, and its ops
are bounded, so no push holds the write lock (on SQLite, the whole database's) for long: another space's
push gets its turn between two batches. Each change is applied once per change id; its result is kept so a
replay (after a push cut between two batches) gets the same answer.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from studio.protocol import refusals
from studio.protocol.ids import claim_id, claim_media
from studio.server import schema
from studio.server.auth import Caller
from studio.server.db import Database
from studio.server.errors import ProblemError
from studio.server.merge import MergeOutcome, merge_record
from studio.server.models import OpsChangeIn, RecordChangeIn
from studio.server.record_index import blob_refs_of, media_of, search_columns, update_refs


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def change_digest(change: RecordChangeIn | OpsChangeIn) -> str:
    """SHA-256 of a change's content (everything but its id): a known id is compared, never trusted."""
    body = change.model_dump(exclude={"change_id"}, exclude_none=False)
    return hashlib.sha256(dumps(body).encode()).hexdigest()


def op_digest(op: dict[str, Any]) -> str:
    return hashlib.sha256(dumps(op).encode()).hexdigest()


def refused(change_id: str, reason: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The result of a change the server did not apply; the other changes of the push go on."""
    return {
        "change_id": change_id,
        "status": "refused",
        "rev": 0,
        "conflicts": [],
        "reason": reason,
        "detail": detail,
        **extra,
    }


TX_MAX_OPS = 2000
"""Ops one push transaction applies at most by default (STUDIO_SERVER_PUSH_TX_OPS); a single larger change
still goes whole, alone."""
TX_MAX_CHANGES = 100
"""Changes one push transaction applies at most."""


def push_batches(
    changes: list[RecordChangeIn | OpsChangeIn], max_ops: int = TX_MAX_OPS, max_changes: int = TX_MAX_CHANGES
) -> list[list[RecordChangeIn | OpsChangeIn]]:
    """Split a push into consecutive runs of whole changes, each within the per-transaction bounds."""
    batches: list[list[RecordChangeIn | OpsChangeIn]] = []
    batch: list[RecordChangeIn | OpsChangeIn] = []
    ops = 0
    for change in changes:
        weight = len(change.ops) if isinstance(change, OpsChangeIn) else 1
        if batch and (ops + weight > max_ops or len(batch) >= max_changes):
            batches.append(batch)
            batch, ops = [], 0
        batch.append(change)
        ops += weight
    if batch:
        batches.append(batch)
    return batches


def apply_push(
    db: Database,
    conn: Connection,
    space: Any,
    caller: Caller,
    changes: list[RecordChangeIn | OpsChangeIn],
    now: float,
) -> list[dict[str, Any]]:
    """Apply `changes` (one batch) to the space inside the caller's write transaction; one result each.

    A change id belongs to the account that pushed it: another account's use of the same id is a different
    change. A known id is answered `duplicate` only when the content is the same; otherwise it is refused."""
    seq = db.lock_space(conn, space.id)
    if seq is None:
        raise ProblemError(404, f"space {space.id} does not exist")
    start = seq
    results = []
    ac = schema.applied_changes
    for change in changes:
        digest = change_digest(change)
        seen = conn.execute(
            select(ac.c.result, ac.c.digest).where(
                ac.c.space_id == space.id,
                ac.c.account_id == caller.account_id,
                ac.c.change_id == change.change_id,
            )
        ).first()
        if seen is not None:
            if seen.digest and seen.digest != digest:
                results.append(
                    refused(
                        change.change_id,
                        refusals.CHANGE_ID_REUSED,
                        f"change id {change.change_id} was already pushed with other content",
                    )
                )
            else:
                original = json.loads(seen.result)
                results.append({**original, "status": "duplicate", "original": original.get("status")})
            continue
        if isinstance(change, OpsChangeIn):
            result, used = _apply_ops(conn, space, caller, change, seq + 1, now)
        else:
            result, used = _apply_record(conn, space, caller, change, seq + 1, now)
        seq += used
        if result["status"] != "refused":
            conn.execute(
                insert(ac).values(
                    space_id=space.id,
                    account_id=caller.account_id,
                    change_id=change.change_id,
                    digest=digest,
                    result=dumps(result),
                )
            )
        results.append(result)
    if seq != start:
        conn.execute(update(schema.spaces).where(schema.spaces.c.id == space.id).values(seq=seq))
    return results


def _log_owner(conn: Connection, space_id: str, project: str) -> str | None:
    """The account an op log of the public space belongs to: its project record's owner, else whoever
    started the log."""
    r, o = schema.records, schema.ops
    owner = conn.execute(
        select(r.c.owner_id).where(r.c.space_id == space_id, r.c.kind == "project", r.c.id == project)
    ).scalar_one_or_none()
    if owner is not None:
        return str(owner)
    first = conn.execute(
        select(o.c.account_id)
        .where(o.c.space_id == space_id, o.c.project_id == project, o.c.account_id != "")
        .order_by(o.c.seq)
        .limit(1)
    ).scalar_one_or_none()
    return None if first is None else str(first)


def _bind_clients(
    conn: Connection, caller: Caller, clients: set[str], now: float
) -> tuple[list[str], list[str]]:
    """Bind unbound op client ids to the caller's device; returns the ids bound to other accounts and
    those bound to none of the caller's live devices (both refused). A binding made before devices
    counted takes the caller's device."""
    oc, t = schema.op_clients, schema.tokens
    bound = {
        row.client_id: row for row in conn.execute(select(oc).where(oc.c.client_id.in_(sorted(clients))))
    }
    foreign = sorted(c for c, row in bound.items() if row.account_id != caller.account_id)
    devices = {
        row.device_id for row in bound.values() if row.account_id == caller.account_id and row.device_id
    }
    live = (
        set(
            conn.execute(
                select(t.c.id).where(
                    t.c.id.in_(sorted(devices)),
                    t.c.account_id == caller.account_id,
                    t.c.revoked.is_(False),
                    t.c.expires_at > now,
                )
            ).scalars()
        )
        if devices
        else set()
    )
    unregistered = sorted(
        c
        for c, row in bound.items()
        if row.account_id == caller.account_id and row.device_id and row.device_id not in live
    )
    if foreign or unregistered:
        return foreign, unregistered
    legacy = sorted(c for c, row in bound.items() if not row.device_id)
    if legacy:
        conn.execute(update(oc).where(oc.c.client_id.in_(legacy)).values(device_id=caller.device_id))
    fresh = sorted(clients - set(bound))
    if fresh:
        conn.execute(
            insert(oc),
            [{"client_id": c, "account_id": caller.account_id, "device_id": caller.device_id} for c in fresh],
        )
    return [], []


def register_client(conn: Connection, account_id: str, device_id: str, client_id: str) -> None:
    """At login, the data folder's op client id becomes the new device's (a second login from the same
    folder keeps pushing); a client id bound to another account stays theirs."""
    oc = schema.op_clients
    row = conn.execute(select(oc.c.account_id).where(oc.c.client_id == client_id)).first()
    if row is None:
        conn.execute(insert(oc).values(client_id=client_id, account_id=account_id, device_id=device_id))
    elif row.account_id == account_id:
        conn.execute(update(oc).where(oc.c.client_id == client_id).values(device_id=device_id))


def high_water(conn: Connection, space_id: str, clients: set[str]) -> int:
    """The highest op counter the space's log holds for any of `clients` (only asked on a refusal)."""
    o = schema.ops
    highest = 0
    for client in clients:
        # A range on the (space_id, op_id) key: ";" sorts right after ":".
        for op_id in conn.execute(
            select(o.c.op_id).where(
                o.c.space_id == space_id, o.c.op_id > f"{client}:", o.c.op_id < f"{client};"
            )
        ).scalars():
            highest = max(highest, int(str(op_id).split(":", 1)[1]))
    return highest


def _apply_ops(
    conn: Connection, space: Any, caller: Caller, change: OpsChangeIn, seq: int, now: float
) -> tuple[dict[str, Any], int]:
    """Append a change's ops to the project's log unless the log, a client id or an op id is not the
    caller's to write; ops already in the log are accepted once."""
    if (refusal := _log_owner_refusal(conn, space, caller, change)) is not None:
        return refusal, 0
    wanted: dict[str, dict[str, Any]] = {}
    for op in change.ops:
        wanted.setdefault(op.id, op.model_dump())
    if (refusal := _client_refusal(conn, caller, change, wanted, now)) is not None:
        return refusal, 0
    digests = {op_id: op_digest(op) for op_id, op in wanted.items()}
    o = schema.ops
    known = {
        row.op_id: row
        for row in conn.execute(
            select(o.c.op_id, o.c.digest, o.c.account_id).where(
                o.c.space_id == space.id, o.c.op_id.in_(list(wanted))
            )
        )
    }
    if (refusal := _reused_ops_refusal(conn, space, caller, change, digests, known)) is not None:
        return refusal, 0
    fresh = [op for op_id, op in wanted.items() if op_id not in known]
    result = {
        "change_id": change.change_id,
        "status": "applied",
        "rev": seq,
        "conflicts": [],
        "accepted": len(fresh),
    }
    if not fresh:
        result["rev"] = seq - 1
        return result, 0
    _insert_ops(conn, space, caller, change, seq, fresh, digests)
    return result, 1


def _log_owner_refusal(
    conn: Connection, space: Any, caller: Caller, change: OpsChangeIn
) -> dict[str, Any] | None:
    """In the public space, a project's op log is written only by the account it belongs to."""
    if space.kind != "public":
        return None
    owner = _log_owner(conn, space.id, change.project)
    if owner is not None and owner != caller.account_id:
        return refused(
            change.change_id,
            refusals.NOT_OWNER,
            f"project {change.project} in the public space belongs to someone else",
        )
    return None


def _client_refusal(
    conn: Connection, caller: Caller, change: OpsChangeIn, wanted: dict[str, dict[str, Any]], now: float
) -> dict[str, Any] | None:
    """Bind the ops' client ids to the caller's device; refuse ids of another account or of a device
    that is no longer live."""
    foreign, unregistered = _bind_clients(conn, caller, {op_id.split(":", 1)[0] for op_id in wanted}, now)
    if foreign:
        return refused(
            change.change_id,
            refusals.FOREIGN_CLIENT,
            f"op client {foreign[0]} belongs to another account: ops cannot be pushed on its behalf",
            clients=foreign,
        )
    if unregistered:
        return refused(
            change.change_id,
            refusals.UNREGISTERED_CLIENT,
            f"op client {unregistered[0]} is registered to a device of this account that was revoked or "
            "expired: log in again from this data folder to register it for this device",
            clients=unregistered,
        )
    return None


def _reused_ops_refusal(
    conn: Connection,
    space: Any,
    caller: Caller,
    change: OpsChangeIn,
    digests: dict[str, str],
    known: dict[str, Any],
) -> dict[str, Any] | None:
    """An op id already in the log with other content, or written by another account, is refused with the
    highest counter the log holds for its client (so a data folder that reused ids can skip past them)."""
    reused = sorted(
        op_id
        for op_id, row in known.items()
        if (row.digest and row.digest != digests[op_id])
        or (row.account_id and row.account_id != caller.account_id)
    )
    if not reused:
        return None
    return refused(
        change.change_id,
        refusals.OP_ID_REUSED,
        f"{len(reused)} op id(s) of this change are already in the log with other content "
        f"(first {reused[0]}): this data folder reused ids it had already sent",
        ops=reused,
        high_water=high_water(conn, space.id, {op_id.split(":", 1)[0] for op_id in reused}),
    )


def _insert_ops(
    conn: Connection,
    space: Any,
    caller: Caller,
    change: OpsChangeIn,
    seq: int,
    fresh: list[dict[str, Any]],
    digests: dict[str, str],
) -> None:
    """The new ops in the log index, and one feed entry carrying them."""
    conn.execute(
        insert(schema.ops),
        [
            {
                "space_id": space.id,
                "op_id": op["id"],
                "project_id": change.project,
                "seq": seq,
                "account_id": caller.account_id,
                "digest": digests[op["id"]],
            }
            for op in fresh
        ],
    )
    body = {
        "kind": "ops",
        "id": change.project,
        "change_id": change.change_id,
        "author": caller.username,
        "ops": fresh,
    }
    _insert_change(conn, space.id, seq, "ops", change.project, change.change_id, caller, body)


def _apply_record(
    conn: Connection, space: Any, caller: Caller, change: RecordChangeIn, seq: int, now: float
) -> tuple[dict[str, Any], int]:
    """Merge a record change field by field against its base revision and store the outcome."""
    r = schema.records
    row = conn.execute(
        select(r).where(r.c.space_id == space.id, r.c.kind == change.kind, r.c.id == change.id)
    ).first()
    if (refusal := _record_refusal(space, caller, change, row)) is not None:
        return refusal, 0
    outcome = merge_record(
        current=None if row is None else json.loads(row.doc),
        current_deleted=bool(row.deleted) if row is not None else False,
        current_rev=None if row is None else row.rev,
        current_conflicts=[] if row is None else json.loads(row.conflicts),
        base=_record_base(conn, space.id, change, row),
        base_rev=change.base_rev,
        changed=change.fields,
        deleted=change.deleted,
        rev=seq,
        change_id=change.change_id,
        kind=change.kind,
    )
    _store_record(conn, space, caller, change, row, outcome, seq, now)
    status = "conflict" if outcome.new_conflicts else ("merged" if outcome.concurrent else "applied")
    return {
        "change_id": change.change_id,
        "status": status,
        "rev": seq,
        "conflicts": outcome.new_conflicts,
    }, 1


def _record_refusal(space: Any, caller: Caller, change: RecordChangeIn, row: Any) -> dict[str, Any] | None:
    """In the public space a record is written only by its owner, and a new clip only under the caller's
    own claim id."""
    if space.kind != "public":
        return None
    if row is not None and row.owner_id != caller.account_id:
        return refused(
            change.change_id,
            refusals.NOT_OWNER,
            f"{change.kind} {change.id} in the public space belongs to someone else",
        )
    media = claim_media(change.id) if change.kind == "clip" else None
    if row is None and media and change.id != claim_id(caller.account_id, media):
        return refused(
            change.change_id,
            refusals.NOT_OWNER,
            f"clip {change.id} is another account's claim id: publish under the media hash {media}",
        )
    return None


def _record_base(
    conn: Connection, space_id: str, change: RecordChangeIn, row: Any
) -> tuple[dict[str, Any], bool] | None:
    """The record as it was at the change's base revision (the current row, or that revision's feed entry);
    None when the change names no base or the feed no longer holds it."""
    if row is not None and change.base_rev == row.rev:
        return json.loads(row.doc), bool(row.deleted)
    if change.base_rev is None:
        return None
    c = schema.changes
    body = conn.execute(
        select(c.c.body).where(
            c.c.space_id == space_id,
            c.c.kind == change.kind,
            c.c.record_id == change.id,
            c.c.seq == change.base_rev,
        )
    ).scalar_one_or_none()
    if body is None:
        return None
    doc = json.loads(body)
    return doc["doc"], bool(doc["deleted"])


def _store_record(
    conn: Connection,
    space: Any,
    caller: Caller,
    change: RecordChangeIn,
    row: Any,
    outcome: MergeOutcome,
    seq: int,
    now: float,
) -> None:
    """Write the merged record, supersede its previous feed entry, append the new one and keep the record's
    blob references in step."""
    r, c = schema.records, schema.changes
    values = {
        "rev": seq,
        "doc": dumps(outcome.doc),
        "deleted": outcome.deleted,
        "conflicts": dumps(outcome.conflicts),
        "updated_at": now,
        **search_columns(outcome.doc),
        "media": media_of(change.kind, change.id, outcome.doc),
    }
    if row is None:
        conn.execute(
            insert(r).values(
                space_id=space.id,
                kind=change.kind,
                id=change.id,
                owner_id=caller.account_id,
                created_at=now,
                **values,
            )
        )
    else:
        key = and_(r.c.space_id == space.id, r.c.kind == change.kind, r.c.id == change.id)
        conn.execute(update(r).where(key).values(**values))
        conn.execute(update(c).where(c.c.space_id == space.id, c.c.seq == row.rev).values(superseded=True))
    body = {
        "kind": change.kind,
        "id": change.id,
        "change_id": change.change_id,
        "author": caller.username,
        "doc": outcome.doc,
        "deleted": outcome.deleted,
        "conflicts": outcome.conflicts,
    }
    _insert_change(conn, space.id, seq, change.kind, change.id, change.change_id, caller, body)
    update_refs(
        conn,
        space.id,
        change.kind,
        change.id,
        caller,
        set() if outcome.deleted else blob_refs_of(outcome.doc),
        blob_refs_of(change.fields),
        now,
    )


def _insert_change(
    conn: Connection,
    space_id: str,
    seq: int,
    kind: str,
    record_id: str,
    change_id: str,
    caller: Caller,
    body: dict[str, Any],
) -> None:
    conn.execute(
        insert(schema.changes).values(
            space_id=space_id,
            seq=seq,
            stamp=secrets.token_hex(4),
            kind=kind,
            record_id=record_id,
            change_id=change_id,
            author_id=caller.account_id,
            body=dumps(body),
            superseded=False,
        )
    )
