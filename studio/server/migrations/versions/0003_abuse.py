"""Login and signup throttling keeps one row per throttled key (growing delays instead of a log of
failures), and the per-account quota counts get indexes.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttles",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.drop_table("login_failures")
    op.create_index("ix_records_owner", "records", ["owner_id"])
    op.create_index("ix_blob_uploaders_account", "blob_uploaders", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_blob_uploaders_account", "blob_uploaders")
    op.drop_index("ix_records_owner", "records")
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_ip_at", "login_failures", ["ip", "at"])
    op.create_index("ix_login_failures_username_at", "login_failures", ["username", "at"])
    op.drop_table("throttles")
