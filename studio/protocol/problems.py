"""Errors on the wire: RFC 9457 problem details (application/problem+json).

Clients branch on `type` (one of the constants below), never on `title` or `detail`, which are for people.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

PROBLEM_CONTENT_TYPE = "application/problem+json"
_PREFIX = "urn:remix-studio:problem:"

BAD_REQUEST = _PREFIX + "bad-request"
INVALID = _PREFIX + "invalid"
UNAUTHORIZED = _PREFIX + "unauthorized"
FORBIDDEN = _PREFIX + "forbidden"
NOT_FOUND = _PREFIX + "not-found"
CONFLICT = _PREFIX + "conflict"
USERNAME_TAKEN = _PREFIX + "username-taken"
CURSOR_RESET = _PREFIX + "cursor-reset"
TOO_LARGE = _PREFIX + "too-large"
LENGTH_REQUIRED = _PREFIX + "length-required"
RATE_LIMITED = _PREFIX + "rate-limited"
HASH_MISMATCH = _PREFIX + "hash-mismatch"
UPLOAD_INCOMPLETE = _PREFIX + "upload-incomplete"
PART_CONFLICT = _PREFIX + "part-conflict"
RANGE_NOT_SATISFIABLE = _PREFIX + "range-not-satisfiable"
METHOD_NOT_ALLOWED = _PREFIX + "method-not-allowed"
UNSUPPORTED_MEDIA_TYPE = _PREFIX + "unsupported-media-type"
SERVER_ERROR = _PREFIX + "server-error"
STORAGE_FULL = _PREFIX + "storage-full"
REQUEST_TIMEOUT = _PREFIX + "request-timeout"
QUOTA_EXCEEDED = _PREFIX + "quota-exceeded"
AMBIGUOUS_CLAIM = _PREFIX + "ambiguous-claim"


class Problem(TypedDict):
    type: str
    title: str
    status: int
    detail: str
    instance: NotRequired[str]
    errors: NotRequired[list[dict[str, Any]]]


def problem(type_: str, title: str, status: int, detail: str, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    doc.update(extra)
    return doc
