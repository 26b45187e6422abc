"""Signing certificates can be revoked: `certificates` records every device certificate the CA issues.

Revoking a device (or logging it out) sets `revoked_at` on the certificates issued to it, and an account
can revoke one of its own by serial; the CRL at `GET /v1/ca/crl` lists the revoked ones. Certificates
issued before this revision were not recorded, so the server cannot list or revoke them: they stay good
until they expire (a year after issue at most).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("serial", sa.String(length=40), primary_key=True),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("revoked_at", sa.Float(), nullable=True),
    )
    op.create_index("ix_certificates_account", "certificates", ["account_id"])
    op.create_index("ix_certificates_device", "certificates", ["device_id"])


def downgrade() -> None:
    op.drop_index("ix_certificates_device", table_name="certificates")
    op.drop_index("ix_certificates_account", table_name="certificates")
    op.drop_table("certificates")
