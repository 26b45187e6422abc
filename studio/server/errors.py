"""Every error leaves the server as application/problem+json (RFC 9457), including framework errors."""

from __future__ import annotations

import errno
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from studio.protocol import problems as p

log = logging.getLogger("studio.server")

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length required",
    413: "Too large",
    415: "Unsupported media type",
    416: "Range not satisfiable",
    422: "Invalid input",
    429: "Too many requests",
    500: "Server error",
    507: "Storage full",
}
_TYPES = {
    400: p.BAD_REQUEST,
    401: p.UNAUTHORIZED,
    403: p.FORBIDDEN,
    404: p.NOT_FOUND,
    405: p.METHOD_NOT_ALLOWED,
    408: p.REQUEST_TIMEOUT,
    409: p.CONFLICT,
    411: p.LENGTH_REQUIRED,
    413: p.TOO_LARGE,
    415: p.UNSUPPORTED_MEDIA_TYPE,
    416: p.RANGE_NOT_SATISFIABLE,
    422: p.INVALID,
    429: p.RATE_LIMITED,
    507: p.STORAGE_FULL,
}


class ProblemError(Exception):
    """Raised anywhere in a request; rendered as a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        type_: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type_ or _TYPES.get(status, p.BAD_REQUEST)
        self.headers = headers or {}
        self.extra = extra


def not_found(what: str) -> ProblemError:
    return ProblemError(404, f"{what} does not exist or is not visible to you")


def problem_response(
    status: int, type_: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    doc = p.problem(type_, _TITLES.get(status, "Error"), status, detail, **extra)
    return JSONResponse(doc, status_code=status, headers=headers, media_type=p.PROBLEM_CONTENT_TYPE)


def _clean_errors(errors: Any) -> list[dict[str, Any]]:
    cleaned = []
    for err in list(errors)[:20]:
        loc = [str(part) for part in err.get("loc", ())]
        cleaned.append({"loc": loc, "msg": str(err.get("msg", ""))[:300], "type": str(err.get("type", ""))})
    return cleaned


def install(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.type, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean_errors(exc.errors())
        where = ", ".join(".".join(e["loc"]) + ": " + e["msg"] for e in errors[:3])
        return problem_response(422, p.INVALID, f"invalid request ({where})", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(status, "Error")
        return problem_response(status, _TYPES.get(status, p.BAD_REQUEST), detail, dict(exc.headers or {}))

    @app.exception_handler(OSError)
    async def _storage(request: Request, exc: OSError) -> JSONResponse:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            log.error("storage full on %s %s: %s", request.method, request.url.path, exc.strerror)
            return problem_response(
                507, p.STORAGE_FULL, "the server's storage is full; nothing was kept, try again later"
            )
        return await _crash(request, exc)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, p.SERVER_ERROR, "the server failed; the error is logged")
