"""The local store: one SQLite file holding records, project op journals and the sync outbox.

Durability: WAL with synchronous=NORMAL. COMMIT returns once the transaction is in the WAL,
so a killed process (crash, SIGKILL, closed laptop lid that kills the app) loses nothing that
was acknowledged; only a power cut or OS crash can drop the last few commits, and the file
stays consistent either way. Concurrency: every write is `with store.write():`, a
BEGIN IMMEDIATE transaction, so writers queue on the lock (busy_timeout 30 s) instead of
failing with "database is locked" when another process upgrades a read to a write. Readers
never block writers in WAL mode.

The journal (table `ops`) is the autosave: an edit's ops are appended in the same transaction
that checks them against the caught-up state, and a project's state is the fold of its journal
in (lamport, client, counter) order.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core import ops as op_mod
from studio.core.errors import InvalidInput, StudioError
from studio.core.migrations import LATEST, MIGRATIONS
from studio.core.paths import store_path

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_S = 30.0
ORIGINS = ("edit", "undo", "redo")

_ROW_COLUMNS = (
    "seq, project_id, client, counter, lamport, op_id, group_id, origin, label, merge_key, created, "
    "payload, server_rev"
)


class StoreError(StudioError):
    """The store file cannot be used (not a database, written by a newer version, busy for too long)."""


class DiskFull(StoreError, sqlite3.OperationalError):
    """The disk holding the store is full: the change was rolled back, nothing earlier is lost. Still an
    sqlite3 error, so callers that already treat a failed store write as one keep doing so."""

    exit_code = 1


def utc_now() -> str:
    """UTC ISO-8601 with seconds, as stored in `created` columns."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class JournalRow:
    """One primitive op as stored in a project's journal."""

    seq: int
    project_id: str
    client: str
    counter: int
    lamport: int
    op_id: str
    group_id: str
    origin: str
    label: str
    merge_key: str | None
    created: float
    op: op_mod.Op
    server_rev: int | None

    @property
    def key(self) -> tuple[int, str, int]:
        """Position in the total order every replica folds in."""
        return (self.lamport, self.client, self.counter)


@dataclass(frozen=True, slots=True)
class StepRow:
    """A journal row without its op: what undo history needs."""

    seq: int
    group_id: str
    origin: str
    label: str
    merge_key: str | None
    created: float


@dataclass(frozen=True, slots=True)
class FoldCache:
    """A project's state folded up to journal row `seq`, whose greatest op key is `key`."""

    seq: int
    key: tuple[int, str, int]
    state: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A record change waiting to be pushed; change_id makes the push idempotent."""

    seq: int
    change_id: str
    kind: str
    record_id: str
    payload: dict[str, Any]
    created: str


def _row(values: Sequence[Any]) -> JournalRow:
    return JournalRow(
        seq=values[0],
        project_id=values[1],
        client=values[2],
        counter=values[3],
        lamport=values[4],
        op_id=values[5],
        group_id=values[6],
        origin=values[7],
        label=values[8],
        merge_key=values[9],
        created=values[10],
        op=json.loads(values[11]),
        server_rev=values[12],
    )


class Store:
    """An open store file. Thread-safe: one connection, transactions serialised by a lock."""

    def __init__(self, path: Path | str | None = None, *, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path) if path is not None else store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._writing = False
        try:
            self.conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=busy_timeout
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from exc
        try:
            self._configure(busy_timeout)
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{self.path} is not a usable studio store: {exc}") from exc
        except BaseException:
            self.conn.close()
            raise
        self._db: sqlite_utils.Database | None = None
        self.client_id = self.get_meta("client_id")

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils on this connection, made on first use: importing it loads numpy, click and
        dateutil (about 100 ms and more on a busy machine), which the app's start does not need."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    # -- lifecycle ---------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _configure(self, busy_timeout: float) -> None:
        """Settings and migrations, tried again while another connection holds the file: when several
        open a new store at once, switching it to WAL can fail at once with "database is locked" instead
        of waiting for the busy timeout."""
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
                mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"the store {self.path} cannot use WAL journaling (got {mode})")
                self.conn.execute("PRAGMA synchronous = NORMAL")
                self.conn.execute("PRAGMA foreign_keys = ON")
                self._migrate()
                return
            except sqlite3.OperationalError as exc:
                contended = "locked" in str(exc) or "busy" in str(exc)
                if not contended or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _migrate(self) -> None:
        if self.schema_version == LATEST:
            return
        with self.write():
            version = self.schema_version  # re-read under the lock: another process may have migrated
            if version > LATEST:
                raise StoreError(
                    f"the store {self.path} was written by a newer studio (schema {version}; "
                    f"this version knows up to {LATEST})"
                )
            for number in range(version + 1, LATEST + 1):
                MIGRATIONS[number - 1](self.conn)
                self.conn.execute(f"PRAGMA user_version = {number}")

    # -- transactions -----------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error). Nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                if not self._writing:
                    raise RuntimeError("store.write() inside store.read(): open the write first")
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(f"the store {self.path} is busy: {exc}") from exc
            self._depth, self._writing = 1, True
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(exc, DiskFull) or "full" not in str(exc):
                    raise
                raise DiskFull(
                    f"the disk holding {self.path} is full: this change was not saved (everything before it "
                    "is); free some space and do it again"
                ) from exc
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            finally:
                self._depth, self._writing = 0, False

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several reads (joins an open transaction)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN")
            self._depth = 1
            try:
                yield self.conn
            finally:
                self._depth = 0
                if self.conn.in_transaction:
                    self.conn.execute("COMMIT")

    @property
    def can_write(self) -> bool:
        """False inside a read() transaction, where write() would have to upgrade a snapshot."""
        return self._depth == 0 or self._writing

    def _require_write(self) -> None:
        if not self._writing:
            raise RuntimeError("this store call must run inside `with store.write():`")

    # -- meta and clocks ---------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str:
        with self._lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            if default is None:
                raise KeyError(key)
            return default
        return str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.write():
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def reserve_counters(self, count: int) -> int:
        """The first of `count` fresh op counters for this store's client (inside write())."""
        self._require_write()
        last = int(self.get_meta("counter"))
        self.conn.execute("UPDATE meta SET value = ? WHERE key = 'counter'", (str(last + count),))
        return last + 1

    def tick_lamport(self, seen: int) -> int:
        """The next Lamport stamp: above everything this store has seen and above `seen`."""
        self._require_write()
        stamp = max(int(self.get_meta("lamport")), seen) + 1
        self.conn.execute("UPDATE meta SET value = ? WHERE key = 'lamport'", (str(stamp),))
        return stamp

    # -- journal -----------------------------------------------------------------------------------
    def append_ops(
        self,
        project_id: str,
        ops: Sequence[op_mod.Op],
        *,
        counters: Sequence[int],
        lamport: int,
        group_id: str,
        origin: str,
        label: str = "",
        merge_key: str | None = None,
    ) -> list[JournalRow]:
        """Append this client's ops (counters reserved with reserve_counters) as journal rows."""
        self._require_write()
        if origin not in ORIGINS:
            raise ValueError(f"unknown journal origin {origin!r}")
        if len(counters) != len(ops):
            raise ValueError("one counter per op")
        now = time.time()
        rows: list[JournalRow] = []
        for counter, op in zip(counters, ops, strict=True):
            fields = (
                project_id,
                self.client_id,
                counter,
                lamport,
                f"{self.client_id}:{counter}",
                group_id,
                origin,
                label,
                merge_key,
                now,
            )
            payload = json.dumps(op, separators=(",", ":"), ensure_ascii=False)
            cur = self.conn.execute(
                "INSERT INTO ops (project_id, client, counter, lamport, op_id, group_id, origin, label, "
                "merge_key, created, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*fields, payload),
            )
            seq = cur.lastrowid
            assert seq is not None
            rows.append(JournalRow(seq, *fields, op, None))
        return rows

    def insert_remote_ops(self, project_id: str, rows: Iterable[dict[str, Any]]) -> int:
        """Add ops made elsewhere (pulled by sync); ops already present (same op_id) are skipped.

        Each row: client, counter, lamport, group_id, origin, label, payload (the op object),
        server_rev. Returns how many were new. Open sessions pick them up on their next refresh.
        """
        self._require_write()
        added = 0
        highest = 0
        own_counter = 0
        for r in rows:
            try:
                client, counter, lamport = str(r["client"]), int(r["counter"]), int(r["lamport"])
                op = op_mod.validate(r["payload"])
                origin = str(r.get("origin", "edit"))
                group_id = str(r["group_id"])
            except (KeyError, TypeError, ValueError) as exc:
                raise InvalidInput(f"remote op row is malformed ({exc!r}): {str(r)[:120]}") from None
            if origin not in ORIGINS or not client or ":" in client:
                raise InvalidInput(f"remote op row has a bad client or origin: {str(r)[:120]}")
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO ops (project_id, client, counter, lamport, op_id, group_id, origin, "
                "label, merge_key, created, payload, server_rev) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
                (
                    project_id,
                    client,
                    counter,
                    lamport,
                    f"{client}:{counter}",
                    group_id,
                    origin,
                    str(r.get("label", "")),
                    time.time(),
                    json.dumps(op, separators=(",", ":")),
                    r.get("server_rev"),
                ),
            )
            added += cur.rowcount
            highest = max(highest, lamport)
            if client == self.client_id:
                own_counter = max(own_counter, counter)
        if highest:
            current = int(self.get_meta("lamport"))
            if highest > current:
                self.conn.execute("UPDATE meta SET value = ? WHERE key = 'lamport'", (str(highest),))
        if own_counter > int(self.get_meta("counter")):
            # Our own ops came back (a restored data folder): never hand out their counters again.
            self.conn.execute("UPDATE meta SET value = ? WHERE key = 'counter'", (str(own_counter),))
        return added

    def renumber_own_ops(self, op_ids: Iterable[str], above: int) -> dict[str, str]:
        """Give this client's unacknowledged ops `op_ids` fresh counters above `above` (and above every
        counter used here), keeping their order; groups named after a renumbered op follow it.

        A rolled-back or copied data folder reuses ids the server already holds for other ops: those
        edits are kept under new ids instead of being dropped as replays. Returns old id -> new id."""
        self._require_write()
        wanted = set(op_ids)
        rows = self.conn.execute(
            "SELECT seq, op_id, project_id FROM ops WHERE client = ? AND server_rev IS NULL ORDER BY seq",
            (self.client_id,),
        ).fetchall()
        rows = [r for r in rows if r[1] in wanted]
        if not rows:
            return {}
        start = max(int(self.get_meta("counter")), above) + 1
        mapping: dict[str, str] = {}
        for offset, (seq, op_id, _project) in enumerate(rows):
            counter = start + offset
            new_id = f"{self.client_id}:{counter}"
            mapping[op_id] = new_id
            self.conn.execute("UPDATE ops SET counter = ?, op_id = ? WHERE seq = ?", (counter, new_id, seq))
        self.conn.executemany(
            "UPDATE ops SET group_id = ? WHERE group_id = ? AND client = ? AND server_rev IS NULL",
            [(new, old, self.client_id) for old, new in mapping.items()],
        )
        self.conn.execute("UPDATE meta SET value = ? WHERE key = 'counter'", (str(start + len(rows) - 1),))
        for project_id in {r[2] for r in rows}:
            self.conn.execute("DELETE FROM fold_cache WHERE project_id = ?", (project_id,))
        return mapping

    def journal_after(self, project_id: str, seq: int) -> list[JournalRow]:
        """Rows of a project appended after `seq`, in append order."""
        with self._lock:
            cur = self.conn.execute(
                f"SELECT {_ROW_COLUMNS} FROM ops WHERE project_id = ? AND seq > ? ORDER BY seq",
                (project_id, seq),
            )
            return [_row(v) for v in cur]

    def journal_ordered(self, project_id: str) -> list[JournalRow]:
        """All rows of a project in fold order (lamport, client, counter)."""
        with self._lock:
            cur = self.conn.execute(
                f"SELECT {_ROW_COLUMNS} FROM ops WHERE project_id = ? ORDER BY lamport, client, counter",
                (project_id,),
            )
            return [_row(v) for v in cur]

    def journal_group(self, group_id: str) -> list[JournalRow]:
        """The rows of one undo group, in append order."""
        with self._lock:
            cur = self.conn.execute(
                f"SELECT {_ROW_COLUMNS} FROM ops WHERE group_id = ? ORDER BY seq", (group_id,)
            )
            return [_row(v) for v in cur]

    def step_rows(self, project_id: str, client: str) -> list[StepRow]:
        """One client's journal rows without their ops, in append order (for undo history)."""
        with self._lock:
            cur = self.conn.execute(
                "SELECT seq, group_id, origin, label, merge_key, created FROM ops "
                "WHERE project_id = ? AND client = ? ORDER BY seq",
                (project_id, client),
            )
            return [StepRow(*v) for v in cur]

    def load_fold_cache(self, project_id: str) -> FoldCache | None:
        with self._lock:
            row = self.conn.execute(
                "SELECT seq, lamport, client, counter, state FROM fold_cache WHERE project_id = ?",
                (project_id,),
            ).fetchone()
        if row is None:
            return None
        try:
            state = json.loads(row[4])
        except ValueError:
            return None
        return FoldCache(seq=row[0], key=(row[1], row[2], row[3]), state=state)

    def save_fold_cache(self, project_id: str, cache: FoldCache) -> None:
        """Keep `cache` unless a cache of a later seq is already stored."""
        with self.write():
            self.conn.execute(
                "INSERT INTO fold_cache (project_id, seq, lamport, client, counter, state, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(project_id) DO UPDATE SET seq = excluded.seq, "
                "lamport = excluded.lamport, client = excluded.client, counter = excluded.counter, "
                "state = excluded.state, created = excluded.created WHERE excluded.seq > fold_cache.seq",
                (
                    project_id,
                    cache.seq,
                    *cache.key,
                    json.dumps(cache.state, separators=(",", ":"), ensure_ascii=False),
                    utc_now(),
                ),
            )

    def drop_fold_cache(self, project_id: str) -> None:
        with self.write():
            self.conn.execute("DELETE FROM fold_cache WHERE project_id = ?", (project_id,))

    def unacknowledged_ops(
        self, project_id: str, limit: int = 1000, client: str | None = None
    ) -> list[JournalRow]:
        """Rows no server has acknowledged yet, oldest first (what sync pushes: `client`'s only)."""
        with self._lock:
            cur = self.conn.execute(
                f"SELECT {_ROW_COLUMNS} FROM ops WHERE project_id = ? AND server_rev IS NULL "
                "AND (? IS NULL OR client = ?) ORDER BY seq LIMIT ?",
                (project_id, client, client, limit),
            )
            return [_row(v) for v in cur]

    def acknowledge_ops(self, revisions: dict[str, int]) -> None:
        """Record the server revision of pushed ops (op_id -> server_rev)."""
        with self.write():
            self.conn.executemany(
                "UPDATE ops SET server_rev = ? WHERE op_id = ?",
                [(rev, oid) for oid, rev in revisions.items()],
            )

    # -- outbox ------------------------------------------------------------------------------------
    def add_outbox(self, kind: str, record_id: str, payload: dict[str, Any]) -> str:
        """Queue a record change for the sync client; returns its change id (idempotency key)."""
        change_id = uuid.uuid4().hex
        with self.write():
            self.conn.execute(
                "INSERT INTO outbox (change_id, kind, record_id, payload, created) VALUES (?, ?, ?, ?, ?)",
                (
                    change_id,
                    kind,
                    record_id,
                    json.dumps(payload, sort_keys=True, ensure_ascii=False),
                    utc_now(),
                ),
            )
        return change_id

    def outbox(self, limit: int = 500) -> list[OutboxEntry]:
        """Queued record changes, oldest first."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT seq, change_id, kind, record_id, payload, created FROM outbox ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [OutboxEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows]

    def remove_outbox(self, change_ids: Iterable[str]) -> None:
        """Drop changes the server has taken."""
        with self.write():
            self.conn.executemany("DELETE FROM outbox WHERE change_id = ?", [(c,) for c in change_ids])

    # -- sync cursors ------------------------------------------------------------------------------
    def get_cursor(self, space: str) -> str | None:
        with self._lock:
            row = self.conn.execute("SELECT cursor FROM sync_state WHERE space = ?", (space,)).fetchone()
        return None if row is None else str(row[0])

    def set_cursor(self, space: str, cursor: str) -> None:
        """Store a change-feed cursor; call it inside the write() that applies the page it ends."""
        with self.write():
            self.conn.execute(
                "INSERT INTO sync_state (space, cursor, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(space) DO UPDATE SET cursor = excluded.cursor, updated = excluded.updated",
                (space, cursor, utc_now()),
            )

    # -- checks ------------------------------------------------------------------------------------
    def integrity_check(self) -> list[str]:
        """SQLite's own integrity check plus foreign keys; an empty list means healthy."""
        with self._lock:
            problems = [str(r[0]) for r in self.conn.execute("PRAGMA integrity_check")]
            if problems == ["ok"]:
                problems = []
            problems += [f"foreign key: {tuple(r)}" for r in self.conn.execute("PRAGMA foreign_key_check")]
        return problems
