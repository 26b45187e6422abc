"""Payouts (revenue, proposals, lines, comments, claims, account links) and open calls.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payout_revenue",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("space_id", sa.String(length=32), nullable=False),
        sa.Column("piece", sa.String(length=128), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=32), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("proposal_id", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payout_revenue_piece", "payout_revenue", ["space_id", "piece"])
    op.create_table(
        "payout_proposals",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("space_id", sa.String(length=32), nullable=False),
        sa.Column("piece", sa.String(length=128), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.Column("minimum_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("review_ends", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("finalized_at", sa.Float(), nullable=True),
        sa.Column("finalized_by", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payout_proposals_piece", "payout_proposals", ["space_id", "piece"])
    op.create_table(
        "payout_lines",
        sa.Column("proposal_id", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("contributor", sa.String(length=160), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=True),
        sa.Column("share_bp", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("carried_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("proposal_id", "n"),
    )
    op.create_index("ix_payout_lines_contributor", "payout_lines", ["contributor"])
    op.create_index("ix_payout_lines_account", "payout_lines", ["account_id"])
    op.create_table(
        "payout_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("proposal_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payout_comments_proposal_id", "payout_comments", ["proposal_id"])
    op.create_table(
        "payout_claims",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("space_id", sa.String(length=32), nullable=False),
        sa.Column("piece", sa.String(length=128), nullable=False),
        sa.Column("contributor", sa.String(length=160), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("confirmed_by", sa.String(length=32), nullable=True),
        sa.Column("confirmed_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "payout_links",
        sa.Column("space_id", sa.String(length=32), nullable=False),
        sa.Column("piece", sa.String(length=128), nullable=False),
        sa.Column("contributor", sa.String(length=160), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("claim_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("space_id", "piece", "contributor"),
    )
    op.create_index("ix_payout_links_account_id", "payout_links", ["account_id"])
    op.create_table(
        "calls",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("space_id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("brief", sa.Text(), nullable=False),
        sa.Column("due", sa.Float(), nullable=False),
        sa.Column("length_s", sa.Float(), nullable=True),
        sa.Column("licence", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_calls_space_id", "calls", ["space_id"])
    op.create_table(
        "call_answers",
        sa.Column("call_id", sa.String(length=32), nullable=False),
        sa.Column("clip", sa.String(length=128), nullable=False),
        sa.Column("clip_space", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("call_id", "clip"),
    )


def downgrade() -> None:
    for table in (
        "call_answers",
        "calls",
        "payout_links",
        "payout_claims",
        "payout_comments",
        "payout_lines",
        "payout_proposals",
        "payout_revenue",
    ):
        op.drop_table(table)
