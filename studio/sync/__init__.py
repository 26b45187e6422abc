"""Sync client: HTTP client, resumable blob transfer, outbox and sync engine."""
