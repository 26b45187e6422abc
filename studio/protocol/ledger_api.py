"""Paths of the payouts and open-calls endpoints, named once for the server and the client."""

from __future__ import annotations

from studio.protocol.api import PREFIX

REVENUE = PREFIX + "/payouts/revenue"
PROPOSALS = PREFIX + "/payouts/proposals"
PROPOSAL = PREFIX + "/payouts/proposals/{proposal_id}"
PROPOSAL_COMMENTS = PREFIX + "/payouts/proposals/{proposal_id}/comments"
PROPOSAL_FINALIZE = PREFIX + "/payouts/proposals/{proposal_id}/finalize"
STATEMENT = PREFIX + "/payouts/statement"
CLAIMS = PREFIX + "/payouts/claims"
CLAIM_CONFIRM = PREFIX + "/payouts/claims/{claim_id}/confirm"
CLAIM_REJECT = PREFIX + "/payouts/claims/{claim_id}/reject"
CALLS = PREFIX + "/calls"
CALL = PREFIX + "/calls/{call_id}"
CALL_ANSWERS = PREFIX + "/calls/{call_id}/answers"
CALL_ACCEPT = PREFIX + "/calls/{call_id}/accept"

DEFAULT_REVIEW_DAYS = 14
MAX_REVIEW_DAYS = 365
MAX_COMMENT = 4000
MAX_BRIEF = 4000
