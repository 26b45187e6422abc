"""Login and signup throttling: growing delays per key, charged atomically before the password is checked.

Every attempt first takes a slot in one write transaction: each key that applies is read with its row
locked; if any is still delayed the attempt is refused (429 with Retry-After) and nothing is charged,
otherwise every key is charged one failure and, past its free attempts, delayed 2, 4, 8 ... seconds up to
its cap. Concurrent wrong passwords therefore cannot all pass a check that each of them reads before the
others write. A correct password then takes its own charge back.

Keys for a login of user U from address A:
- `pair` U|A: a few free attempts, delays up to 15 minutes. Only A guessing at U is slowed this much.
- `user` U, from every address: more free attempts, delays capped at a minute, and never applied to an
  address from which U has logged in before (`known` U|A). Strangers can slow down a guess at U from
  everywhere, but cannot keep the owner out of their account from their usual addresses, and never for
  more than a minute from a new one.
- `address` A, across users: many free attempts, delays capped at 5 minutes, and likewise not applied to
  known pairs, so a busy address (a campus behind one NAT) does not lock out the people behind it.
Signups are charged per address (each costs an argon2 hash), successful or not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from studio.server import schema
from studio.server.context import Context
from studio.server.errors import ProblemError


@dataclass(frozen=True)
class Rule:
    key: str
    free: int
    cap: float


def delay(failures: int, free: int, cap: float) -> float:
    """Seconds to wait after `failures` charged attempts: none while free, then doubling up to `cap`."""
    if failures <= free:
        return 0.0
    return float(min(cap, 2.0 ** min(failures - free, 30)))


def login_rules(ctx: Context, username: str, address: str) -> tuple[list[Rule], str]:
    """The rules of a login attempt, and the key that marks the pair as known."""
    free = ctx.settings.login_failures
    pair = f"{username}|{address}"
    rules = [
        Rule(f"pair:{pair}", max(3, free // 2), 900.0),
        Rule(f"user:{username}", free, 60.0),
        Rule(f"address:{address}", free * 5, 300.0),
    ]
    return rules, f"known:{pair}"


def signup_rules(ctx: Context, address: str) -> list[Rule]:
    return [Rule(f"signup:{address}", ctx.settings.signups_per_address, 3600.0)]


def charge(ctx: Context, rules: list[Rule], known: str | None = None) -> list[Rule]:
    """Take an attempt's slot: 429 if any applicable key is delayed, else charge them all. Keys other
    than the pair's are skipped for a known pair. Returns the rules charged."""
    now = ctx.clock.now()
    window = ctx.settings.login_window
    t = schema.throttles
    with ctx.db.write() as conn:
        if known is not None and _row(conn, known) is not None:
            rules = [rule for rule in rules if rule.key.startswith("pair:")]
        rows = {}
        for rule in rules:
            _ensure(ctx, conn, rule.key, now)
            rows[rule.key] = _row(conn, rule.key, lock=True)
        waits = [row.blocked_until - now for row in rows.values() if row.blocked_until > now]
        if waits:
            raise ProblemError(
                429,
                "too many attempts; wait before trying again",
                headers={"Retry-After": str(max(1, math.ceil(max(waits))))},
                retry_after=max(1, math.ceil(max(waits))),
            )
        for rule in rules:
            row = rows[rule.key]
            failures = (0 if now - row.last_at > window else row.failures) + 1
            conn.execute(
                update(t)
                .where(t.c.key == rule.key)
                .values(
                    failures=failures,
                    last_at=now,
                    blocked_until=now + delay(failures, rule.free, rule.cap),
                )
            )
    return rules


def succeeded(ctx: Context, charged: list[Rule], known: str) -> None:
    """A correct password: forget the pair's failures, take back this attempt's charge on the other
    keys, and remember the pair as known."""
    now = ctx.clock.now()
    t = schema.throttles
    with ctx.db.write() as conn:
        for rule in charged:
            if rule.key.startswith("pair:"):
                conn.execute(delete(t).where(t.c.key == rule.key))
                continue
            row = _row(conn, rule.key, lock=True)
            if row is None:
                continue
            failures = max(0, row.failures - 1)
            conn.execute(
                update(t)
                .where(t.c.key == rule.key)
                .values(failures=failures, blocked_until=row.last_at + delay(failures, rule.free, rule.cap))
            )
        _ensure(ctx, conn, known, now)
        conn.execute(update(t).where(t.c.key == known).values(last_at=now))


def forget_old(ctx: Context) -> None:
    """Drop rows nobody has been charged on for a window (and known pairs unused for 90 days)."""
    now = ctx.clock.now()
    t = schema.throttles
    with ctx.db.write() as conn:
        conn.execute(
            delete(t).where(
                t.c.key.not_like("known:%"),
                t.c.last_at < now - ctx.settings.login_window,
                t.c.blocked_until < now,
            )
        )
        conn.execute(delete(t).where(t.c.key.like("known:%"), t.c.last_at < now - 90 * 86400))


def _row(conn: Connection, key: str, lock: bool = False):  # type: ignore[no-untyped-def]
    query = select(schema.throttles).where(schema.throttles.c.key == key)
    if lock:
        query = query.with_for_update()
    return conn.execute(query).first()


def _ensure(ctx: Context, conn: Connection, key: str, now: float) -> None:
    """Insert the key's row unless it exists, without failing when a concurrent attempt inserts it."""
    insert = sqlite_insert if ctx.db.is_sqlite else pg_insert
    conn.execute(
        insert(schema.throttles)
        .values(key=key, failures=0, last_at=now, blocked_until=0.0)
        .on_conflict_do_nothing(index_elements=["key"])
    )
