"""`studio payouts ...`: revenue for a published piece, payment proposals open for review, comments,
finalizing, statements (also as CSV), and claims of names credited before their person had an account.

PIECE is the clip id of a published piece (or a library clip's id prefix or title). Amounts are decimal
strings in the currency's units ("100.00"); the server splits them in minor units so lines sum exactly.
"""

from __future__ import annotations

import argparse
from typing import Any

from studio.cli.output import print_json
from studio.services.payouts import DEFAULT_REVIEW_DAYS


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "payouts",
        help="revenue, payment proposals and statements for published pieces",
        description="Record revenue, propose and finalize payouts, read statements.",
    )
    sub = parser.add_subparsers(dest="payouts_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("revenue", help="record revenue earned by a published piece")
    p.add_argument("piece", metavar="PIECE")
    p.add_argument("--amount", required=True, metavar="A", help="e.g. 100.00")
    p.add_argument("--currency", required=True, metavar="C", help="ISO 4217 code, e.g. EUR")
    p.add_argument("--note", default="", metavar="TEXT")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_revenue)

    p = sub.add_parser("propose", help="split the revenue since the last proposal over the piece's credits")
    p.add_argument("piece", metavar="PIECE")
    p.add_argument("--review-days", type=int, default=DEFAULT_REVIEW_DAYS, metavar="N")
    p.add_argument("--minimum", default="0", metavar="A", help="lines below this are carried, not paid")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_propose)

    p = sub.add_parser("show", help="show a proposal: lines, comments, review window")
    p.add_argument("proposal", metavar="ID")
    p.add_argument("--csv", metavar="FILE", help="write a final proposal's payments as CSV")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_show)

    p = sub.add_parser("comment", help="comment on an open proposal")
    p.add_argument("proposal", metavar="ID")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_comment)

    p = sub.add_parser("finalize", help="make a proposal final once its review window has ended")
    p.add_argument("proposal", metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_finalize)

    p = sub.add_parser("statement", help="your lines across final proposals: paid and carried")
    p.add_argument("--currency", metavar="C")
    p.add_argument("--csv", metavar="FILE", help="also write the lines as CSV")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_statement)

    p = sub.add_parser("claim", help="claim a name credited in a piece as yours (its publisher confirms)")
    p.add_argument("piece", metavar="PIECE")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_claim)

    p = sub.add_parser("claims", help="your claims, and claims waiting for you to confirm")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_claims)

    p = sub.add_parser("confirm", help="confirm a claim on a piece you published")
    p.add_argument("claim", metavar="CLAIM")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_confirm)

    p = sub.add_parser("reject", help="reject a claim on a piece you published (it links nothing)")
    p.add_argument("claim", metavar="CLAIM")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_reject)


def clean(value: object) -> str:
    """Text from the server, printed without control characters (it may come from anyone)."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(value))


def print_proposal(doc: dict[str, Any]) -> None:
    print(f"proposal {doc['id']}  piece {clean(doc['piece'])}  {doc['status']}")
    print(f"revenue {doc['revenue']} {doc['currency']}  minimum {doc['minimum']}", end="")
    print(f"  review ends {doc['review_ends']}")
    for line in doc["lines"]:
        who = f"@{clean(line['account'])}" if line["account"] else "(unclaimed)"
        print(
            f"  {clean(line['name'])[:30]:<30} {who[:24]:<24} {line['share_bp'] / 100:6.2f} %"
            f"  {line['amount']:>12}  paid {line['paid']:>12}  carried {line['carried']:>12}"
        )
    for c in doc["comments"]:
        print(f"  # {c['at']} {clean(c['author'])}: {clean(c['text'])}")


def _revenue(args: argparse.Namespace) -> int:
    from studio.services import payouts

    doc = payouts.record_revenue(args.piece, args.amount, args.currency, args.note)
    if args.json:
        print_json(doc)
    else:
        print(f"{doc['amount']} {doc['currency']} recorded; {doc['unproposed']} waits for a proposal")
    return 0


def _propose(args: argparse.Namespace) -> int:
    from studio.services import payouts

    doc = payouts.propose(args.piece, args.review_days, args.minimum)
    print_json(doc) if args.json else print_proposal(doc)
    return 0


def _show(args: argparse.Namespace) -> int:
    from studio.services import payouts

    doc = payouts.show(args.proposal)
    if args.csv:
        payouts.write_csv(args.csv, payouts.payments_csv(doc))
    print_json(doc) if args.json else print_proposal(doc)
    return 0


def _comment(args: argparse.Namespace) -> int:
    from studio.services import payouts

    doc = payouts.comment(args.proposal, args.text)
    print_json(doc) if args.json else print_proposal(doc)
    return 0


def _finalize(args: argparse.Namespace) -> int:
    from studio.services import payouts

    doc = payouts.finalize(args.proposal)
    print_json(doc) if args.json else print_proposal(doc)
    return 0


def _statement(args: argparse.Namespace) -> int:
    from studio.services import payouts

    doc = payouts.statement(args.currency)
    if args.csv:
        payouts.write_csv(args.csv, payouts.statement_csv(doc))
    if args.json:
        print_json(doc)
        return 0
    print(f"statement of {clean(doc['account'])}")
    for line in doc["lines"]:
        print(
            f"  {line['at']}  {clean(line['piece'])[:16]:<16} {line['currency']} {line['amount']:>12}"
            f"  paid {line['paid']:>12}  carried {line['carried']:>12}"
        )
    for cur, t in doc["totals"].items():
        print(f"paid {t['paid']} {cur}; carried {t['carried']} {cur}")
    for u in doc["unclaimed"]:
        where = clean(u["piece"])[:16]
        print(f"  held for {clean(u['name'])} (unclaimed): {u['held']} {u['currency']} on {where}")
    return 0


def _claim(args: argparse.Namespace) -> int:
    from studio.services import payouts

    doc = payouts.claim(args.piece, args.name)
    print_json(doc) if args.json else print(f"claim {doc['id']} for {clean(doc['name'])}: {doc['status']}")
    return 0


def _claims(args: argparse.Namespace) -> int:
    from studio.services import payouts

    found = payouts.claims()
    if args.json:
        print_json(found)
        return 0
    for c in found:
        where = clean(c["piece"])[:16]
        yours = "  (yours to confirm or reject)" if c.get("decidable") else ""
        print(f"{c['id']}  {clean(c['name'])} -> @{clean(c['account'])}  on {where}  {c['status']}{yours}")
    return 0


def _confirm(args: argparse.Namespace) -> int:
    from studio.services import payouts

    doc = payouts.confirm_claim(args.claim)
    print_json(doc) if args.json else print(f"{clean(doc['name'])} is now @{clean(doc['account'])}")
    return 0


def _reject(args: argparse.Namespace) -> int:
    from studio.services import payouts

    doc = payouts.reject_claim(args.claim)
    print_json(doc) if args.json else print(f"claim {doc['id']} for {clean(doc['name'])}: {doc['status']}")
    return 0
