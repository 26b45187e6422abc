"""OpenAPI descriptions of the problem responses each route can give."""

from __future__ import annotations

from typing import Any

from studio.protocol.problems import PROBLEM_CONTENT_TYPE
from studio.server.models import ProblemOut

_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing, unknown, revoked or expired token",
    403: "Your role does not allow this",
    404: "Does not exist or is not visible to you",
    409: "Conflicts with the current state",
    410: "The cursor is not from this server's history: reconcile",
    411: "Content-Length is required",
    413: "Too large",
    416: "Range not satisfiable",
    422: "Invalid input",
    429: "Too many attempts",
    507: "The server's storage is full",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Response entries for the given status codes, always including 400 and 422."""
    wanted = sorted({400, 422, *codes})
    return {
        code: {
            "model": ProblemOut,
            "description": _DESCRIPTIONS[code],
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemOut"}}},
        }
        for code in wanted
    }
