"""What a stored record's document indexes: the blobs it references (granted or not to the account that
wrote the reference), the media hash a clip record is about, and the columns search reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update

from studio.protocol.ids import claim_media, is_sha256
from studio.server import schema
from studio.server.access import can_read_blob
from studio.server.auth import Caller


def blob_refs_of(doc: dict[str, Any]) -> set[str]:
    """Blobs a record references: its `media` hash and any hashes listed in `blobs`."""
    found: set[str] = set()
    media = doc.get("media")
    if is_sha256(media):
        found.add(media)
    listed = doc.get("blobs")
    if isinstance(listed, list):
        found.update(x for x in listed if is_sha256(x))
    return found


def update_refs(
    conn: Connection,
    space_id: str,
    kind: str,
    record_id: str,
    caller: Caller,
    wanted: set[str],
    written: set[str],
    now: float,
) -> None:
    """Keep blob_refs equal to what the record now references. A reference is judged against the account
    that writes it (`written`: the hashes this change's own fields name), when it writes it: naming a
    hash never opens someone else's private media, and editing other fields of a record never turns
    another writer's ungranted reference into a grant (no confused deputy)."""
    br = schema.blob_refs
    key = and_(br.c.space_id == space_id, br.c.kind == kind, br.c.record_id == record_id)
    existing = {row.sha256: row for row in conn.execute(select(br).where(key))}
    gone = set(existing) - wanted
    if gone:
        conn.execute(delete(br).where(key, br.c.sha256.in_(gone)))
        conn.execute(update(schema.blobs).where(schema.blobs.c.sha256.in_(gone)).values(released_at=now))
    for sha in wanted:
        old = existing.get(sha)
        if old is not None and (old.granted or sha not in written):
            continue
        granted = sha in written and can_read_blob(conn, sha, caller)
        if old is None:
            conn.execute(
                insert(br).values(
                    space_id=space_id,
                    kind=kind,
                    record_id=record_id,
                    sha256=sha,
                    author_id=caller.account_id,
                    granted=granted,
                )
            )
        elif granted:
            conn.execute(
                update(br).where(key, br.c.sha256 == sha).values(granted=True, author_id=caller.account_id)
            )


def media_of(kind: str, record_id: str, doc: dict[str, Any]) -> str:
    """The media hash a clip record is about: its claim id's, else its `media` field, else a hash id."""
    if kind != "clip":
        return ""
    media = claim_media(record_id) or doc.get("media")
    if is_sha256(media):
        return media
    return record_id if is_sha256(record_id) else ""


def search_columns(doc: dict[str, Any]) -> dict[str, str]:
    tags = (
        [t.strip().lower() for t in doc.get("tags", []) if isinstance(t, str)]
        if isinstance(doc.get("tags"), list)
        else []
    )
    people: list[str] = []
    credits = doc.get("credits")
    if isinstance(credits, list):
        for entry in credits:
            if isinstance(entry, dict):
                people += [
                    str(entry[k]).strip().lower()
                    for k in ("name", "contributor")
                    if isinstance(entry.get(k), str)
                ]
    words = [doc.get("title"), doc.get("description")]
    text = " ".join(w for w in words if isinstance(w, str)).lower()
    return {
        "search_text": " ".join([text, *tags, *people]),
        "tags_text": "|" + "|".join(tags) + "|",
        "people_text": "|" + "|".join(people) + "|",
        "media_kind": str(doc.get("kind", ""))[:32].lower() if isinstance(doc.get("kind"), str) else "",
        "licence": str(doc.get("licence", ""))[:64] if isinstance(doc.get("licence"), str) else "",
    }
