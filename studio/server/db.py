"""Database access: one code path for SQLite (embedded) and PostgreSQL (several server processes).

Writes that touch a space run in a transaction that first locks the space's counter row, so changes of one
space are numbered in commit order on both backends. On SQLite every write transaction starts with
BEGIN IMMEDIATE (the single writer lock) and waits on a busy timeout instead of failing; writers of one
process take turns first-come first-served, so a push split into several short transactions lets another
space's push in between instead of winning every race for the lock.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, insert, select, text

from studio.protocol.ids import PUBLIC_SPACE
from studio.server import schema

_MIGRATIONS = Path(__file__).with_name("migrations")
_PG_MIGRATION_LOCK = 0x57D10


def normalise_url(url: str) -> str:
    """Accept postgresql:// and postgres:// as given by people, and use the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class WriterTurns:
    """First-come first-served turns for the writers of one process (a ticket lock).

    SQLite's busy handler retries a blocked BEGIN IMMEDIATE after sleeps of up to 100 ms, so a writer that
    commits and begins again at once would win nearly every race; with turns, who waited longest goes next.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0
        self._serving = 0

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        with self._cond:
            ticket = self._next
            self._next += 1
            while ticket != self._serving:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._serving += 1
                self._cond.notify_all()


class Database:
    """Engines for reading and for writing; `write()` is a transaction, `read()` a consistent snapshot."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            self.reader = _sqlite_engine(self.url, "BEGIN")
            self.writer = _sqlite_engine(self.url, "BEGIN IMMEDIATE")
            self.turns: WriterTurns | None = WriterTurns()
        else:
            self.turns = None  # PostgreSQL locks one space's counter row, not the database
            self.reader = create_engine(self.url, pool_size=10, max_overflow=20, pool_pre_ping=True)
            self.writer = self.reader

    def files(self) -> list[Path]:
        """The files of an SQLite database (with its WAL and shared-memory files) that exist."""
        if not self.is_sqlite:
            return []
        name = self.reader.url.database
        if not name or name == ":memory:":
            return []
        base = Path(name)
        return [p for p in (base, Path(f"{base}-wal"), Path(f"{base}-shm")) if p.exists()]

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self.reader.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        if self.turns is None:
            with self.writer.begin() as conn:
                yield conn
            return
        with self.turns.turn(), self.writer.begin() as conn:
            yield conn

    def lock_space(self, conn: Connection, space_id: str) -> int | None:
        """Lock the space's counter row until commit; returns its current sequence (None: no space)."""
        query = select(schema.spaces.c.seq).where(schema.spaces.c.id == space_id)
        if not self.is_sqlite:
            query = query.with_for_update()
        return conn.execute(query).scalar_one_or_none()

    def dispose(self) -> None:
        self.reader.dispose()
        if self.writer is not self.reader:
            self.writer.dispose()

    def migrate(self, target: str = "head") -> None:
        """Bring the schema to the newest revision (or `target`) and create the epoch and the public
        space once."""
        with self.writer.connect() as conn:
            if not self.is_sqlite:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
                conn.commit()
            try:
                config = Config()
                config.set_main_option("script_location", str(_MIGRATIONS))
                config.attributes["connection"] = conn
                command.upgrade(config, target)
                conn.commit()
                _seed(conn)
                conn.commit()
            finally:
                if not self.is_sqlite:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                    conn.commit()

    def epoch(self) -> str:
        with self.read() as conn:
            epoch: str = conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == "epoch")
            ).scalar_one()
            return epoch


def _seed(conn: Connection) -> None:
    has_epoch = conn.execute(select(schema.meta.c.key).where(schema.meta.c.key == "epoch")).first()
    if has_epoch is None:
        conn.execute(insert(schema.meta).values(key="epoch", value=secrets.token_hex(8)))
    has_public = conn.execute(select(schema.spaces.c.id).where(schema.spaces.c.id == PUBLIC_SPACE)).first()
    if has_public is None:
        conn.execute(
            insert(schema.spaces).values(
                id=PUBLIC_SPACE,
                name="Public library",
                kind="public",
                created_by=None,
                created_at=time.time(),
                seq=0,
            )
        )


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql(begin)

    return engine
