"""Spaces marked for commercial work.

`spaces.commercial`: an owner marks a private space (a brand's) for commercial work; its members' exports
then refuse NonCommercial sources. Existing spaces start unmarked.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("spaces") as batch:
        batch.add_column(sa.Column("commercial", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("spaces") as batch:
        batch.drop_column("commercial")
