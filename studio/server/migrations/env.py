"""Alembic environment: migrations run on the connection the server hands over at start."""

from __future__ import annotations

from alembic import context

from studio.server.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("studio server migrations run from Database.migrate(), which passes a connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
