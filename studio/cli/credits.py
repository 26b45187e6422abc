"""`studio credits FILE [--json]`: show the credits a media file carries (exit 1 if none).

`studio credits FILE --verify [--json]`: check its C2PA signature against the logged-in server's root
(fetched, else the cached copy) and its revocation list. Exit 0 Trusted, 3 signed but untrusted,
4 tampered, 5 signed by a revoked certificate, 1 unsigned.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from studio.cli.output import print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "credits",
        help="print the credits embedded in a media file",
        description="Print the studio-credits block embedded in FILE. Exit 1 if FILE carries none.",
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="an exported or imported media file")
    parser.add_argument("--json", action="store_true", help="print the credits block as JSON")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="check the C2PA signature against your server's root: exit 0 only when Trusted "
        "(3 signed but untrusted, 4 tampered, 5 revoked certificate, 1 unsigned)",
    )
    parser.set_defaults(func=run)


VERIFY_EXIT = {"trusted": 0, "untrusted": 3, "tampered": 4, "revoked": 5, "unsigned": 1}
_STATE_TEXT = {
    "trusted": "Trusted",
    "revoked": "Revoked",
    "untrusted": "Signed but untrusted",
    "tampered": "Tampered",
    "unsigned": "Unsigned",
}


def verify(args: argparse.Namespace) -> int:
    from studio.services.credits import sanitize
    from studio.services.signing import verify_credits

    verdict = verify_credits(args.file)
    origin = verdict.trust_anchor
    if args.json:
        print_json(verdict.to_dict())
        return VERIFY_EXIT[verdict.state]
    line = _STATE_TEXT[verdict.state]
    if verdict.signer:
        line += f": signed by {sanitize(verdict.signer)}"
        if verdict.issuer:
            line += f" (certificate from {sanitize(verdict.issuer)})"
    print(line)
    print(f"  checked against: {origin or 'no server root (log in to check against your server)'}")
    revocation = verdict.revocation
    if revocation.get("revoked_at"):
        print(f"  revoked on: {sanitize(str(revocation['revoked_at']))} (serial {verdict.serial})")
    if revocation.get("note"):
        print(f"  {sanitize(str(revocation['note']))}")
    if verdict.detached:
        print("  manifest: detached, beside the file")
    if verdict.manifests > 1:
        print(f"  manifests: {verdict.manifests} (the sources' own signatures travel inside)")
    for source in verdict.ingredients:
        if source.get("revoked_at"):
            title, signer = sanitize(str(source["title"])), sanitize(str(source["signer"]))
            print(
                f"  source {title!r} was signed by {signer} "
                f"with a certificate revoked on {sanitize(str(source['revoked_at']))}"
            )
    for problem in verdict.problems:
        print(f"  {sanitize(problem)}")
    return VERIFY_EXIT[verdict.state]


def run(args: argparse.Namespace) -> int:
    from studio.services.credits import embedded_credits

    if args.verify:
        return verify(args)
    block = embedded_credits(args.file)
    if block is None:
        print(f"studio: {args.file} carries no studio credits", file=sys.stderr)
        return 1
    if args.json:
        print_json(block)
    else:
        sys.stdout.write(format_credits(block))
    return 0


def format_credits(block: dict[str, Any]) -> str:
    """The block as a few aligned lines: work, licence, contributors with roles and shares, sources."""
    from studio.services.credits import percent, sanitize

    work = block.get("work", {})
    lines = [f"Title:     {sanitize(work.get('title', '')).replace(chr(10), ' ')}"]
    licence = sanitize(work.get("licence") or "unknown")
    if work.get("licence_url"):
        licence += f" ({sanitize(work['licence_url'])})"
    lines.append(f"Licence:   {licence}")
    if work.get("exported"):
        lines.append(f"Exported:  {sanitize(work['exported'])}")
    people = sorted(block.get("contributors", []), key=lambda p: (-p.get("share_bp", 0), p.get("name", "")))
    lines.append("Contributors:")
    width = max((len(sanitize(p.get("name", ""))) for p in people), default=0)
    for person in people:
        name = sanitize(person.get("name", "")).replace("\n", " ")
        roles = ", ".join(sanitize(r) for r in person.get("roles", [])) or "-"
        lines.append(f"  {name:<{width}}  {percent(int(person.get('share_bp', 0))):>8}  {roles}")
    sources = block.get("sources", [])
    if sources:
        lines.append("Sources:")
        for source in sources:
            title = sanitize(source.get("title") or source.get("clip", "")).replace("\n", " ")
            detail = ", ".join(
                sanitize(part)
                for part in (source.get("owner"), source.get("licence"), _used(source.get("used_s")))
                if part
            )
            via = source.get("via") or []
            lines.append(
                f"  {title}"
                + (f" ({detail})" if detail else "")
                + (f", via {len(via)} remix(es)" if via else "")
            )
    attribution = block.get("attribution") or []
    if attribution:
        lines.append("Attribution:")
        lines.extend(f"  {sanitize(line).replace(chr(10), ' ')}" for line in attribution)
    lines.append(f"Share method: {sanitize(block.get('share_method', 'unknown'))}")
    return "\n".join(lines) + "\n"


def _used(seconds: object) -> str:
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        return f"{seconds:g} s used"
    return ""
