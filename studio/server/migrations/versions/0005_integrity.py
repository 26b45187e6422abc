"""Authorship of change ids and op ids.

- `applied_changes` is keyed by (space, account, change id) and keeps a digest of the change's content: a
  change id belongs to the account that pushed it, so another account pushing the same id first no longer
  turns the real push into a "duplicate", and the same id with other content is refused instead of skipped.
  Existing rows take the account of the feed entry that change id wrote (changes that wrote nothing keep an
  empty account and digest, and are compared by id only).
- `ops` remember the account that pushed each op and a digest of its content.
- `op_clients` binds each op client id to the account that first pushed ops under it; existing logs are
  backfilled from the earliest account that pushed each client's ops.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applied_changes_v3",
        sa.Column("space_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("change_id", sa.String(length=128), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("space_id", "account_id", "change_id"),
    )
    op.execute(
        "INSERT INTO applied_changes_v3 (space_id, account_id, change_id, digest, result) "
        "SELECT a.space_id, COALESCE((SELECT min(c.author_id) FROM changes c WHERE c.space_id = a.space_id "
        "AND c.change_id = a.change_id), ''), a.change_id, '', a.result FROM applied_changes a"
    )
    op.drop_table("applied_changes")
    op.rename_table("applied_changes_v3", "applied_changes")

    op.add_column("ops", sa.Column("account_id", sa.String(length=32), nullable=False, server_default=""))
    op.add_column("ops", sa.Column("digest", sa.String(length=64), nullable=False, server_default=""))
    op.execute(
        "UPDATE ops SET account_id = COALESCE((SELECT c.author_id FROM changes c "
        "WHERE c.space_id = ops.space_id AND c.seq = ops.seq), '')"
    )
    op.create_table(
        "op_clients",
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("client_id"),
    )
    op.create_index("ix_op_clients_account", "op_clients", ["account_id"])
    conn = op.get_bind()
    owners: dict[str, str] = {}
    rows = conn.execute(
        sa.text("SELECT op_id, account_id FROM ops WHERE account_id != '' ORDER BY seq, op_id")
    )
    for op_id, account_id in rows:
        owners.setdefault(str(op_id).split(":", 1)[0], str(account_id))
    if owners:
        conn.execute(
            sa.text("INSERT INTO op_clients (client_id, account_id) VALUES (:c, :a)"),
            [{"c": client, "a": account} for client, account in owners.items()],
        )


def downgrade() -> None:
    op.drop_index("ix_op_clients_account", table_name="op_clients")
    op.drop_table("op_clients")
    op.drop_column("ops", "digest")
    op.drop_column("ops", "account_id")
    op.create_table(
        "applied_changes_v2",
        sa.Column("space_id", sa.String(length=32), nullable=False),
        sa.Column("change_id", sa.String(length=128), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("space_id", "change_id"),
    )
    op.execute(
        "INSERT INTO applied_changes_v2 (space_id, change_id, result) "
        "SELECT space_id, change_id, min(result) FROM applied_changes GROUP BY space_id, change_id"
    )
    op.drop_table("applied_changes")
    op.rename_table("applied_changes_v2", "applied_changes")
