"""Tables (SQLAlchemy Core), the same on SQLite and PostgreSQL. Times are UNIX seconds as floats.

The Alembic migrations in migrations/versions build exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

throttles = Table(
    "throttles",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_at", Float, nullable=False),
    Column("blocked_until", Float, nullable=False),
)

spaces = Table(
    "spaces",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("created_by", String(32), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("seq", BigInteger, nullable=False, default=0),
    # marked for commercial work by an owner: its members' exports refuse NonCommercial sources (set by the
    # database, so the seed of the public space also runs against revisions older than this column)
    Column("commercial", Boolean, nullable=False, server_default=false()),
)

members = Table(
    "members",
    metadata,
    Column("space_id", String(32), primary_key=True),
    Column("account_id", String(32), primary_key=True),
    Column("role", String(8), nullable=False),
    Index("ix_members_account", "account_id"),
)

records = Table(
    "records",
    metadata,
    Column("space_id", String(32), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("rev", BigInteger, nullable=False),
    Column("doc", Text, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("conflicts", Text, nullable=False),
    Column("owner_id", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("search_text", Text, nullable=False, default=""),
    Column("tags_text", Text, nullable=False, default=""),
    Column("people_text", Text, nullable=False, default=""),
    Column("media_kind", String(32), nullable=False, default=""),
    Column("licence", String(64), nullable=False, default=""),
    Column("media", String(64), nullable=False, default=""),
    Index("ix_records_space_kind_rev", "space_id", "kind", "rev"),
    Index("ix_records_owner", "owner_id"),
    Index("ix_records_media", "space_id", "kind", "media"),
)

changes = Table(
    "changes",
    metadata,
    Column("space_id", String(32), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("stamp", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("change_id", String(128), nullable=False),
    Column("author_id", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("superseded", Boolean, nullable=False, default=False),
    Index("ix_changes_record", "space_id", "kind", "record_id", "seq"),
)

applied_changes = Table(
    "applied_changes",
    metadata,
    Column("space_id", String(32), primary_key=True),
    Column("account_id", String(32), primary_key=True),
    Column("change_id", String(128), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("result", Text, nullable=False),
)

ops = Table(
    "ops",
    metadata,
    Column("space_id", String(32), primary_key=True),
    Column("op_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("account_id", String(32), nullable=False, default=""),
    Column("digest", String(64), nullable=False, default=""),
)

op_clients = Table(
    "op_clients",
    metadata,
    Column("client_id", String(32), primary_key=True),
    Column("account_id", String(32), nullable=False),
    # The device (token) that registered the client id; NULL for bindings made before devices counted.
    Column("device_id", String(32), nullable=True),
    Index("ix_op_clients_account", "account_id"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("released_at", Float, nullable=True),
)

blob_uploaders = Table(
    "blob_uploaders",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("account_id", String(32), primary_key=True),
    Index("ix_blob_uploaders_account", "account_id"),
)

blob_refs = Table(
    "blob_refs",
    metadata,
    Column("space_id", String(32), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("record_id", String(128), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("author_id", String(32), nullable=False),
    Column("granted", Boolean, nullable=False),
    Index("ix_blob_refs_sha", "sha256"),
)

upload_sessions = Table(
    "upload_sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("part_size", Integer, nullable=False),
    Column("space_id", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("state", String(16), nullable=False),
    Column("store_ref", Text, nullable=False, default=""),
    Index("ix_upload_sessions_account_sha", "account_id", "sha256"),
    Index("ix_upload_sessions_sha", "sha256"),
)

upload_parts = Table(
    "upload_parts",
    metadata,
    Column("session_id", String(32), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("checksum", String(32), nullable=False),
    Column("size", Integer, nullable=False),
    Column("etag", Text, nullable=False, default=""),
)

certificates = Table(
    "certificates",
    metadata,
    # Every device signing certificate the CA issued: its serial as lowercase hex without leading zeros.
    Column("serial", String(40), primary_key=True),
    Column("account_id", String(32), nullable=False),
    Column("device_id", String(32), nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    # When it was revoked (the device revoked or logged out, or the account revoked it); NULL while good.
    Column("revoked_at", Float, nullable=True),
    Index("ix_certificates_account", "account_id"),
    Index("ix_certificates_device", "device_id"),
)

from studio.server import ledger_schema  # noqa: E402, F401  (payouts and calls add their tables here)
