"""Payouts: revenue recorded for a published piece, proposals split by its credits, comments during a review
window, finalizing, claims of unlinked names, and each account's statement.

Money is integers of the currency's minor unit; the split is largest remainder, so lines sum to the revenue
exactly. A line below the proposal's minimum is carried to the contributor's balance for that piece and paid
by a later proposal once the balance reaches it; a name no account has claimed is held the same way.

One router for the app, made of three: proposals (revenue, proposals, comments, finalizing), claims and
statements. Who a piece pays (credited people, their accounts, balances) is studio.server.payees.
"""

from __future__ import annotations

from fastapi import APIRouter

from studio.server.routes.payouts import claims, proposals, statement

router = APIRouter()
for _part in (proposals, statement, claims):
    router.include_router(_part.router)
