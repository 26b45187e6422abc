"""A payout line pays every credit of one account: `payout_lines` gains `covers`.

`covers` is the JSON list of the credits a line pays (`{"contributor", "name"}`). Lines written before keep
NULL, which reads as the line's own contributor and name, so their balances carry on unchanged.

Revision ID: 0010_payout_covers
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_payout_covers"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payout_lines", sa.Column("covers", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("payout_lines", "covers")
