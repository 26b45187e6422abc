"""Tables of payouts (revenue, proposals, lines, comments, claims) and open calls.

Rows are only inserted, except a proposal's single move from open to final and a claim's single decision
(confirmed or rejected); every change is also an entry of the space's change feed (see ledger.py), which is
the audit trail.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Table, Text

from studio.server.schema import metadata

payout_revenue = Table(
    "payout_revenue",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("space_id", String(32), nullable=False),
    Column("piece", String(128), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("recorded_by", String(32), nullable=False),
    Column("at", Float, nullable=False),
    Column("proposal_id", String(32), nullable=True),
    Index("ix_payout_revenue_piece", "space_id", "piece"),
)

payout_proposals = Table(
    "payout_proposals",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("space_id", String(32), nullable=False),
    Column("piece", String(128), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("revenue_minor", BigInteger, nullable=False),
    Column("minimum_minor", BigInteger, nullable=False),
    Column("created_by", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("review_ends", Float, nullable=False),
    Column("status", String(8), nullable=False),
    Column("finalized_at", Float, nullable=True),
    Column("finalized_by", String(32), nullable=True),
    Index("ix_payout_proposals_piece", "space_id", "piece"),
)

payout_lines = Table(
    "payout_lines",
    metadata,
    Column("proposal_id", String(32), primary_key=True),
    Column("n", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("contributor", String(160), nullable=False),
    Column("account_id", String(32), nullable=True),
    Column("share_bp", Integer, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("balance_minor", BigInteger, nullable=False),
    Column("paid_minor", BigInteger, nullable=False),
    Column("carried_minor", BigInteger, nullable=False),
    # JSON list of the credits the line pays ({"contributor", "name"}): one account's credits are one line.
    Column("covers", Text, nullable=True),
    Index("ix_payout_lines_contributor", "contributor"),
    Index("ix_payout_lines_account", "account_id"),
)

payout_comments = Table(
    "payout_comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("proposal_id", String(32), nullable=False, index=True),
    Column("author_id", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", Float, nullable=False),
)

payout_claims = Table(
    "payout_claims",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("space_id", String(32), nullable=False),
    Column("piece", String(128), nullable=False),
    Column("contributor", String(160), nullable=False),
    Column("name", Text, nullable=False),
    Column("account_id", String(32), nullable=False),
    Column("at", Float, nullable=False),
    Column("confirmed_by", String(32), nullable=True),
    Column("confirmed_at", Float, nullable=True),
    Column("rejected_by", String(32), nullable=True),
    Column("rejected_at", Float, nullable=True),
)

payout_links = Table(
    "payout_links",
    metadata,
    Column("space_id", String(32), primary_key=True),
    Column("piece", String(128), primary_key=True),
    Column("contributor", String(160), primary_key=True),
    Column("account_id", String(32), nullable=False, index=True),
    Column("claim_id", String(32), nullable=False),
)

calls = Table(
    "calls",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("space_id", String(32), nullable=False, index=True),
    Column("owner_id", String(32), nullable=False),
    Column("brief", Text, nullable=False),
    Column("due", Float, nullable=False),
    Column("length_s", Float, nullable=True),
    Column("licence", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
)

call_answers = Table(
    "call_answers",
    metadata,
    Column("call_id", String(32), primary_key=True),
    Column("clip", String(128), primary_key=True),
    Column("clip_space", String(32), nullable=False),
    Column("account_id", String(32), nullable=False),
    Column("at", Float, nullable=False),
    Column("accepted", Boolean, nullable=False, default=False),
)
