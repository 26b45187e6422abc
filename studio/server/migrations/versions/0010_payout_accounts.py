"""One payout line per account, and claims a publisher rejects.

`payout_lines.covers` is the JSON list of the credits a line pays (`{"contributor", "name"}`). Lines written
before keep NULL, which reads as the line's own contributor and name, so their balances carry on unchanged.
`payout_claims` gains `rejected_by` and `rejected_at`: a rejected claim stays on record and links nothing.

Revision ID: 0010_payout_accounts
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payout_lines", sa.Column("covers", sa.Text(), nullable=True))
    op.add_column("payout_claims", sa.Column("rejected_by", sa.String(length=32), nullable=True))
    op.add_column("payout_claims", sa.Column("rejected_at", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("payout_claims", "rejected_at")
    op.drop_column("payout_claims", "rejected_by")
    op.drop_column("payout_lines", "covers")
