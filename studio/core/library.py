"""Clip and contributor records in the local store.

A clip row keeps what the studio knows about a media file (its id is the file's SHA-256): probe
data, credits, licence, lineage and the studio-credits block its file carried, and whether the
bytes are present in the content-addressed media folder. Every change to a record is queued in
the outbox for the sync client.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from studio.core.clips import CLIP_KINDS, DOMAIN_FIELDS, Clip, Credit, check_sha256
from studio.core.errors import InvalidInput, NotFound
from studio.core.identity import account_contributor_id, account_of, contributor_id, normal_name
from studio.core.paths import media_path
from studio.core.store import Store, utc_now

_CLIP_COLUMNS = ", ".join(
    (*DOMAIN_FIELDS, "source_name", "media_present", "origin", "space", "created")
)
_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True, slots=True)
class Contributor:
    """A person credited on clips."""

    id: str
    name: str
    contact: str = ""
    space: str = ""
    origin: str = "local"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "contact": self.contact, "space": self.space}


@dataclass(frozen=True, slots=True)
class ClipRecord:
    """A clip as stored: the Clip plus where it came from."""

    clip: Clip
    source_name: str
    media_present: bool
    origin: str
    space: str
    created: str


_JSON_COLUMNS = ("credits", "lineage", "tags", "probe", "embedded_credits")
_FLAG_COLUMNS = ("has_video", "has_audio")
CLIP_VALUE_COLUMNS = DOMAIN_FIELDS
"""The columns of a clips row that hold the clip's value (the rest say where it came from)."""


def clip_columns(clip: Clip) -> dict[str, Any]:
    """The clip's value as a clips row stores it: its domain dict, JSON columns compact with sorted keys,
    flags as 0/1. The one encoder of a row (saving here, and writing a pulled record in studio.sync)."""
    row = clip.to_dict()
    for name in _JSON_COLUMNS:
        row[name] = None if row[name] is None else _dumps(row[name])
    for name in _FLAG_COLUMNS:
        row[name] = int(row[name])
    return row


def clip_from_columns(row: dict[str, Any], *, present: bool) -> Clip:
    """The Clip a clips row holds (its CLIP_VALUE_COLUMNS by name); its path is the media folder's copy
    when `present`. The one decoder of a row."""
    doc = {name: row[name] for name in CLIP_VALUE_COLUMNS}
    for name in _JSON_COLUMNS:
        doc[name] = None if doc[name] is None else json.loads(doc[name])
    for name in _FLAG_COLUMNS:
        doc[name] = bool(doc[name])
    clip = Clip.from_dict(doc)
    return replace(clip, path=media_path(clip.id)) if present else clip


def _record(row: tuple[Any, ...]) -> ClipRecord:
    width = len(CLIP_VALUE_COLUMNS)
    source_name, present, origin, space, created = row[width:]
    clip = clip_from_columns(dict(zip(CLIP_VALUE_COLUMNS, row[:width], strict=True)), present=bool(present))
    return ClipRecord(clip, source_name, bool(present), origin, space, created)


def read_record(conn: Any, clip_id: str) -> ClipRecord | None:
    """The clip record on an open connection (inside a caller's transaction), None when there is none."""
    row = conn.execute(f"SELECT {_CLIP_COLUMNS} FROM clips WHERE id = ?", (clip_id,)).fetchone()
    return None if row is None else _record(row)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# --- contributors -------------------------------------------------------------------------------


def ensure_contributor(
    store: Store, name: str, *, contact: str = "", queue: bool = True, person_id: str = ""
) -> Contributor:
    """The contributor with this name, created if new (names are how people are credited locally).

    A credit that names an account (`person_id` an account contributor id, or a name the store knows as an
    account: `@user`, or the logged-in user's own name) is that account's contributor, whatever the name.
    queue=False for records that came from the server (nothing to push back)."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("a contributor needs a name")
    with store.write() as conn:
        wanted = person_id if account_of(person_id) else account_credit_id(conn, name)
        if wanted:
            row = conn.execute(
                "SELECT id, name, contact, space, origin FROM contributors WHERE id = ?", (wanted,)
            ).fetchone()
        else:
            row = conn.execute(
                "SELECT id, name, contact, space, origin FROM contributors WHERE name = ? OR id = ? "
                "ORDER BY name = ? DESC, created LIMIT 1",
                (name, contributor_id(name), name),
            ).fetchone()
        if row is not None:
            return Contributor(*row)
        person = Contributor(id=wanted or contributor_id(name), name=name, contact=contact)
        conn.execute(
            "INSERT INTO contributors (id, name, contact, created) VALUES (?, ?, ?, ?)",
            (person.id, person.name, person.contact, utc_now()),
        )
        if queue:
            store.add_outbox("contributor", person.id, person.to_dict())
    return person


def account_credit_id(conn: Any, name: str) -> str:
    """The account contributor id a credited name stands for, as far as this store knows: `@user` for a
    known account, or the name of the account logged in here; "" for a person known only by name."""
    plain = normal_name(name)
    if plain.startswith("@"):
        row = conn.execute(
            "SELECT account_id FROM known_accounts WHERE username = ?", (plain[1:].lower(),)
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT account_id FROM known_accounts WHERE me = 1 AND username = ?", (plain.casefold(),)
        ).fetchone()
    return account_contributor_id(row[0]) if row else ""


def remember_account(store: Store, username: str, account_id: str, server: str, *, me: bool = False) -> None:
    """Keep a resolved account (user name -> account id) for crediting it offline; `me` marks the login."""
    account_contributor_id(account_id)  # validates the id
    with store.write() as conn:
        if me:
            conn.execute("UPDATE known_accounts SET me = 0 WHERE username != ?", (username,))
        conn.execute(
            "INSERT INTO known_accounts (username, account_id, server, me, seen) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(username) DO UPDATE SET account_id = excluded.account_id, server = excluded.server, "
            "me = max(known_accounts.me, excluded.me), seen = excluded.seen",
            (username, account_id, server, int(me), utc_now()),
        )


def knows_me_as(store: Store, username: str) -> bool:
    """Whether this store has resolved `username` as the logged-in account."""
    with store.read() as conn:
        row = conn.execute(
            "SELECT 1 FROM known_accounts WHERE me = 1 AND username = ?", (username,)
        ).fetchone()
    return row is not None


def known_account(store: Store, username: str) -> str | None:
    """The account id of `username` if this store has resolved it."""
    with store.read() as conn:
        row = conn.execute("SELECT account_id FROM known_accounts WHERE username = ?", (username,)).fetchone()
    return None if row is None else str(row[0])


def list_contributors(store: Store) -> list[Contributor]:
    with store.read() as conn:
        rows = conn.execute(
            "SELECT id, name, contact, space, origin FROM contributors ORDER BY name"
        ).fetchall()
    return [Contributor(*r) for r in rows]


# --- clips --------------------------------------------------------------------------------------


def save_clip(
    store: Store,
    clip: Clip,
    *,
    source_name: str = "",
    media_present: bool = True,
    origin: str = "local",
    space: str = "",
    queue: bool = True,
) -> Clip:
    """Insert or update a clip record; credited people become contributors. Returns the stored clip.

    The change is queued in the outbox for sync unless queue=False (a record pulled from the server).
    """
    check_sha256(clip.id)
    if clip.kind not in CLIP_KINDS:
        raise InvalidInput(f"clip kind must be one of {', '.join(CLIP_KINDS)}, not {clip.kind!r}")
    Clip.from_dict(clip.to_dict())  # what the row could not be read back as is refused before it is written
    with store.write() as conn:
        credits = []
        for credit in clip.credits:
            person = ensure_contributor(store, credit.name, queue=queue, person_id=credit.contributor_id)
            credits.append(Credit(credit.name, credit.roles, credit.weight, person.id))
        exists = conn.execute("SELECT created FROM clips WHERE id = ?", (clip.id,)).fetchone()
        values = {
            **clip_columns(replace(clip, credits=tuple(credits))),
            "source_name": source_name,
            "media_present": int(media_present),
            "origin": origin,
            "space": space,
            "created": exists[0] if exists else utc_now(),
        }
        store.db.table("clips").upsert(values, pk="id")
        stored = get_clip(store, clip.id)
        if queue:
            store.add_outbox("clip", clip.id, stored.to_dict())
    return stored


def set_media_present(store: Store, clip_id: str, present: bool) -> None:
    """Record whether the clip's bytes are in the media folder (after a pull or a cleanup)."""
    with store.write() as conn:
        conn.execute("UPDATE clips SET media_present = ? WHERE id = ?", (int(present), clip_id))


def delete_clip(store: Store, clip_id: str) -> bool:
    """Take a clip's record out of the library with its unpushed record changes, in one transaction, so
    the next sync does not push a record the library no longer has. Projects, claims of others and the
    media file are the caller's business. False when there was no such clip."""
    with store.write() as conn:
        gone = conn.execute("DELETE FROM clips WHERE id = ?", (clip_id,)).rowcount
        conn.execute("DELETE FROM outbox WHERE kind = 'clip' AND record_id = ?", (clip_id,))
    return bool(gone)


def get_record(store: Store, clip_id: str) -> ClipRecord:
    with store.read() as conn:
        row = conn.execute(f"SELECT {_CLIP_COLUMNS} FROM clips WHERE id = ?", (clip_id,)).fetchone()
    if row is None:
        raise NotFound(f"no clip {clip_id[:12]!r} in the library")
    return _record(row)


def get_clip(store: Store, clip_id: str) -> Clip:
    return get_record(store, clip_id).clip


def has_clip(store: Store, clip_id: str) -> bool:
    with store.read() as conn:
        return conn.execute("SELECT 1 FROM clips WHERE id = ?", (clip_id,)).fetchone() is not None


def find_clip(store: Store, ref: str) -> Clip:
    """A clip by id, unique id prefix, or title (case-insensitive); ambiguity is an error."""
    ref = ref.strip()
    if not ref:
        raise InvalidInput("which clip? give its id, an id prefix or its title")
    with store.read() as conn:
        rows: list[tuple[Any, ...]] = []
        low = ref.lower()
        if _HEX.match(low):
            rows = conn.execute(
                f"SELECT {_CLIP_COLUMNS} FROM clips WHERE substr(id, 1, ?) = ? LIMIT 6", (len(low), low)
            ).fetchall()
        if not rows:
            rows = conn.execute(
                f"SELECT {_CLIP_COLUMNS} FROM clips WHERE title = ? COLLATE NOCASE LIMIT 6", (ref,)
            ).fetchall()
    if not rows:
        raise NotFound(f"no clip {ref!r} in the library (give a clip id, id prefix or title)")
    if len(rows) > 1:
        found = ", ".join(f"{r[0][:12]} ({r[1]})" for r in rows[:5])
        raise NotFound(f"clip {ref!r} is ambiguous: {found}: give more of the id")
    return _record(rows[0]).clip


def list_clips(store: Store, search: str | None = None) -> list[ClipRecord]:
    """Clips by title, optionally those whose title, licence or credits contain `search`."""
    sql = f"SELECT {_CLIP_COLUMNS} FROM clips"
    params: tuple[Any, ...] = ()
    if search:
        like = f"%{search}%"
        sql += " WHERE title LIKE ? OR licence LIKE ? OR credits LIKE ? OR tags LIKE ?"
        params = (like, like, like, like)
    with store.read() as conn:
        rows = conn.execute(sql + " ORDER BY title COLLATE NOCASE, id", params).fetchall()
    return [_record(r) for r in rows]


# --- claims of others ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClipClaim:
    """Another publisher's public claim about a media file, as last pulled: one per (file, publisher)."""

    media: str
    publisher: str
    claim_id: str
    doc: dict[str, Any]
    rev: int | None
    deleted: bool

    @property
    def title(self) -> str:
        return str(self.doc.get("title") or "")


def remember_claim(
    conn: Any, media: str, publisher: str, claim_id: str, doc: dict[str, Any], rev: int, deleted: bool
) -> dict[str, Any] | None:
    """Keep (or update) a pulled claim; returns the document it had before, None when it is new."""
    row = conn.execute(
        "SELECT doc FROM clip_claims WHERE media = ? AND publisher = ?", (media, publisher)
    ).fetchone()
    conn.execute(
        "INSERT INTO clip_claims (media, publisher, claim_id, doc, rev, deleted, seen) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(media, publisher) DO UPDATE SET "
        "claim_id = excluded.claim_id, doc = excluded.doc, rev = excluded.rev, deleted = excluded.deleted, "
        "seen = excluded.seen",
        (media, publisher, claim_id, _dumps(doc), rev, int(deleted), utc_now()),
    )
    return None if row is None else dict(json.loads(row[0]))


def clip_claims(store: Store, media: str) -> list[ClipClaim]:
    """The claims of others about `media` this library has pulled, by publisher."""
    with store.read() as conn:
        rows = conn.execute(
            "SELECT media, publisher, claim_id, doc, rev, deleted FROM clip_claims WHERE media = ? "
            "ORDER BY publisher",
            (media,),
        ).fetchall()
    return [ClipClaim(r[0], r[1], r[2], json.loads(r[3]), r[4], bool(r[5])) for r in rows]
