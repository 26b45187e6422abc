"""The `studio-credits/1` block: its constants and its checks, for blocks we write and blocks read from files.

A block read from a file is untrusted input: every field is checked for type and range, and the error
names the field that is wrong, so a malformed remix is refused with a reason rather than half credited.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from studio.core.errors import InvalidInput

SCHEMA = "studio-credits/1"
WEIGHTED_TIME = "weighted-time/1"
EQUAL_PER_CONTRIBUTOR = "equal-per-contributor/1"
MANUAL = "manual/1"
METHODS = (WEIGHTED_TIME, EQUAL_PER_CONTRIBUTOR, MANUAL)
TOTAL_BP = 10000

_EXPORTED_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_LICENCE_RE = re.compile(r"^[A-Za-z0-9(][A-Za-z0-9.+\-() ]*$")
_BLOCK_KEYS = {"schema", "work", "contributors", "sources", "share_method", "share_params"}
_OPTIONAL_BLOCK_KEYS = {"export_sha256", "attribution"}
_WORK_KEYS = {"id", "title", "licence", "licence_url", "exported", "duration_s"}
_CONTRIBUTOR_KEYS = {"id", "name", "roles", "share_bp"}
_SOURCE_KEYS = {"clip", "title", "kind", "owner", "licence", "used_s", "via"}


def validate_block(block: Any) -> dict[str, Any]:
    """Check a studio-credits/1 block (ours or read from a file); raise InvalidInput naming the fault."""
    if not isinstance(block, dict):
        raise InvalidInput("credits block: expected an object")
    if block.get("schema") != SCHEMA:
        raise InvalidInput(f"credits block: schema is {block.get('schema')!r}, expected {SCHEMA!r}")
    _check_keys(block, _BLOCK_KEYS, "credits block", optional=_OPTIONAL_BLOCK_KEYS)
    sha = block.get("export_sha256")
    if sha is not None and (not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha)):
        raise InvalidInput("credits block: export_sha256 must be 64 lowercase hex digits")
    _validate_work(block["work"])
    _validate_contributors(block["contributors"])
    sources = block["sources"]
    if not isinstance(sources, list):
        raise InvalidInput("credits block: sources must be a list")
    for i, source in enumerate(sources):
        _validate_source(source, i)
    if block["share_method"] not in METHODS:
        raise InvalidInput(
            f"credits block: unknown share_method {block['share_method']!r} (known: {', '.join(METHODS)})"
        )
    if not isinstance(block["share_params"], dict):
        raise InvalidInput("credits block: share_params must be an object")
    attribution = block.get("attribution", [])
    if not isinstance(attribution, list) or not all(isinstance(a, str) and a for a in attribution):
        raise InvalidInput("credits block: attribution must be a list of text lines")
    return block


def _check_keys(
    doc: Mapping[str, Any], required: set[str], label: str, optional: set[str] | None = None
) -> None:
    missing = required - set(doc)
    if missing:
        raise InvalidInput(f"{label}: missing {', '.join(sorted(missing))}")
    unknown = set(doc) - required - (optional or set())
    if unknown:
        raise InvalidInput(f"{label}: unknown field(s) {', '.join(sorted(unknown))}")


def check_licence(licence: Any, what: str) -> None:
    if not isinstance(licence, str) or not _LICENCE_RE.match(licence):
        raise InvalidInput(
            f"credits: {what} needs a licence as an SPDX id such as CC-BY-4.0, got {licence!r}"
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _validate_work(work: Any) -> None:
    if not isinstance(work, dict):
        raise InvalidInput("credits block: work must be an object")
    _check_keys(work, _WORK_KEYS, "credits block work")
    if not isinstance(work["id"], str) or not work["id"]:
        raise InvalidInput("credits block work: id must be non-empty text")
    for key in ("title", "licence", "licence_url"):
        if not isinstance(work[key], str):
            raise InvalidInput(f"credits block work: {key} must be text")
    if not isinstance(work["exported"], str) or not _EXPORTED_RE.match(work["exported"]):
        raise InvalidInput(
            f"credits block work: exported must be UTC ISO-8601 ending in Z, got {work['exported']!r}"
        )
    if not _is_number(work["duration_s"]) or work["duration_s"] < 0:
        raise InvalidInput("credits block work: duration_s must be a non-negative number")


def _validate_contributors(contributors: Any) -> None:
    if not isinstance(contributors, list) or not contributors:
        raise InvalidInput("credits block: contributors must be a non-empty list")
    ids: set[str] = set()
    total = 0
    for i, c in enumerate(contributors):
        label = f"credits block contributor {i + 1}"
        if not isinstance(c, dict):
            raise InvalidInput(f"{label}: expected an object")
        _check_keys(c, _CONTRIBUTOR_KEYS, label)
        if not isinstance(c["id"], str) or not c["id"]:
            raise InvalidInput(f"{label}: id must be non-empty text")
        if c["id"] in ids:
            raise InvalidInput(f"{label}: id {c['id']} appears twice")
        ids.add(c["id"])
        if not isinstance(c["name"], str) or not c["name"].strip():
            raise InvalidInput(f"{label}: name must be non-empty text")
        if not isinstance(c["roles"], list) or not all(isinstance(r, str) and r for r in c["roles"]):
            raise InvalidInput(f"{label} ({c['name']}): roles must be a list of names")
        bp = c["share_bp"]
        if isinstance(bp, bool) or not isinstance(bp, int) or not 0 <= bp <= TOTAL_BP:
            raise InvalidInput(f"{label} ({c['name']}): share_bp must be a whole number from 0 to {TOTAL_BP}")
        total += bp
    if total != TOTAL_BP:
        raise InvalidInput(f"credits block: contributors' share_bp sum to {total}, not {TOTAL_BP}")


def _validate_source(source: Any, i: int) -> None:
    label = f"credits block source {i + 1}"
    if not isinstance(source, dict):
        raise InvalidInput(f"{label}: expected an object")
    _check_keys(source, _SOURCE_KEYS, label)
    for key in ("clip", "title", "kind", "owner", "licence"):
        if not isinstance(source[key], str):
            raise InvalidInput(f"{label}: {key} must be text")
    if not source["clip"]:
        raise InvalidInput(f"{label}: clip must name a clip id")
    if not _is_number(source["used_s"]) or source["used_s"] < 0:
        raise InvalidInput(f"{label}: used_s must be a non-negative number")
    via = source["via"]
    if not isinstance(via, list) or not all(isinstance(v, str) and v for v in via):
        raise InvalidInput(f"{label}: via must be a list of clip ids")


# --- formatting -----------------------------------------------------------------------------------


def seconds_value(value: Fraction) -> float:
    """Seconds for the block: milliseconds are plenty for people reading credits."""
    return float(round(value, 3))


def utc_stamp(moment: datetime) -> str:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput("credits: the export time must be a timezone-aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
