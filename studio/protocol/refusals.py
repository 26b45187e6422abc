"""Why the server refused one change of a push (`PushResult.status == "refused"`, its `reason`).

A refusal concerns that change only: the others of the push are applied. Nothing of a refused change is
stored, so the client keeps it, shows it and lets its user retry or drop it.
"""

from __future__ import annotations

NOT_OWNER = "not-owner"
"""The record or op log belongs to another account (public space)."""

CHANGE_ID_REUSED = "change-id-reused"
"""This account already pushed this change id with other content."""

OP_ID_REUSED = "op-id-reused"
"""An op id of the change is already in the log with other content (a rolled-back or copied data folder
reuses its ids): the client re-keys and pushes its ops again under fresh ids."""

FOREIGN_CLIENT = "foreign-client"
"""An op's client id is bound to another account: op ids cannot be pushed on another's behalf."""

UNREGISTERED_CLIENT = "unregistered-client"
"""An op's client id is bound to this account but to none of its live devices (the device that registered
it was revoked or expired): logging in again from that data folder registers it for the new device."""

REASONS = (NOT_OWNER, CHANGE_ID_REUSED, OP_ID_REUSED, FOREIGN_CLIENT, UNREGISTERED_CLIENT)
