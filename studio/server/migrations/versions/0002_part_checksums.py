"""Upload parts carry an XXH3-128 checksum instead of a SHA-256.

The table only holds the parts of unfinished uploads, and a part recorded with a SHA-256 cannot be
compared with a checksum sent now, so it is recreated empty: those parts are sent again (the staged
bytes stay where they are, and resumed uploads ask the session what it has). Finished blobs are not
touched.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _parts_table(hash_column: str, length: int) -> None:
    op.create_table(
        "upload_parts",
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(hash_column, sa.String(length=length), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "number"),
    )


def upgrade() -> None:
    op.drop_table("upload_parts")
    _parts_table("checksum", 32)


def downgrade() -> None:
    op.drop_table("upload_parts")
    _parts_table("sha256", 64)
