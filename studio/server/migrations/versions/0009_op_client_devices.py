"""Op client ids are bound to the account's registered devices: `op_clients` gains `device_id`.

Bindings made before this keep a NULL device and take the device of the next push that uses them (the
account already owned them); new ones record the device that pushed first or registered the client id at
login.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("op_clients", sa.Column("device_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("op_clients", "device_id")
