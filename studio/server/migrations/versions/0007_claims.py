"""Public clip records are claims about a media hash: records gain a `media` column.

Every clip record's `media` is filled from its document (the SHA-256 its `media` field names, or its id
when that is a hash, as records written before claims were keyed). Existing ids are kept, so pieces, call
answers and the ledger that name them stay valid: a record keyed by a hash is its owner's claim about that
hash. New public clip records are keyed `<hash>-<16 hex of the account>`.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _media(record_id: str, doc_text: str) -> str:
    try:
        doc = json.loads(doc_text)
    except ValueError:
        doc = {}
    media = doc.get("media") if isinstance(doc, dict) else None
    if isinstance(media, str) and _SHA256.fullmatch(media):
        return media
    return record_id if _SHA256.fullmatch(record_id) else ""


def upgrade() -> None:
    op.add_column("records", sa.Column("media", sa.String(length=64), nullable=False, server_default=""))
    op.create_index("ix_records_media", "records", ["space_id", "kind", "media"])
    conn = op.get_bind()
    records = sa.table(
        "records",
        sa.column("space_id", sa.String),
        sa.column("kind", sa.String),
        sa.column("id", sa.String),
        sa.column("doc", sa.Text),
        sa.column("media", sa.String),
    )
    rows = conn.execute(
        sa.select(records.c.space_id, records.c.id, records.c.doc).where(records.c.kind == "clip")
    ).all()
    for row in rows:
        media = _media(row.id, row.doc)
        if media:
            conn.execute(
                sa.update(records)
                .where(records.c.space_id == row.space_id, records.c.kind == "clip", records.c.id == row.id)
                .values(media=media)
            )


def downgrade() -> None:
    op.drop_index("ix_records_media", table_name="records")
    op.drop_column("records", "media")
