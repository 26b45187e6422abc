"""HTTP client for the shared server: one requests.Session with timeouts, bounded retries and clear errors.

Retries are only for requests that are safe to repeat: GET/HEAD/PUT/DELETE, and POSTs the protocol makes
idempotent (pushes carry change ids, negotiation and `complete` are repeatable), which callers mark with
`idempotent=True`. A request that never reached the server (connection refused, connect timeout) is retried
whatever its method; 429 is retried whatever the method and 502/503/504 only when safe, both after the
server's Retry-After when it gives one. Waits use the cancel token, so a
cancel ends a backoff at once.
"""

from __future__ import annotations

import ipaddress
import os
import random
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from studio import __version__
from studio.core.cancel import CancelToken
from studio.core.errors import InvalidInput, StudioError
from studio.protocol import problems
from studio.sync import tls

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})
_NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class SyncError(StudioError):
    """Sync could not finish; the local store is unchanged beyond what was committed step by step."""

    exit_code = 1


class OfflineError(SyncError):
    """The server cannot be reached (no network, server down, proxy reset every attempt)."""

    exit_code = 4


class UntrustedServer(SyncError):
    """The server's TLS certificate is not the one this computer trusts for it (or no authority signed it).
    `presented` is the SHA-256 it showed ("" when unread); `kind` is "changed", "ca" or "unknown"
    (tls.untrusted_refusal), or "given" when it is not the certificate a login was told to pin."""

    exit_code = 6

    def __init__(self, message: str, *, presented: str = "", kind: str = "unknown") -> None:
        super().__init__(message)
        self.presented = presented
        self.kind = kind


class ApiError(SyncError):
    """The server answered with a problem document (or an unexpected status)."""

    def __init__(self, status: int, type_: str, detail: str, doc: Mapping[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.type = type_
        self.detail = detail
        self.doc = dict(doc or {})


class NotAuthenticated(ApiError):
    """401: no token, or the token was revoked or expired; `studio login` again."""

    exit_code = 2


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; backoff is exponential with full jitter."""

    attempts: int = 6
    backoff: float = 0.25
    max_backoff: float = 8.0
    max_retry_after: float = 120.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        return float(value) if value else default
    except ValueError:
        raise InvalidInput(f"{name}={value!r} is not a number of seconds") from None


def default_timeout() -> tuple[float, float]:
    """(connect, read) seconds; STUDIO_SYNC_TIMEOUT overrides the read timeout (tests use short ones)."""
    return (_env_float("STUDIO_SYNC_CONNECT_TIMEOUT", 5.0), _env_float("STUDIO_SYNC_TIMEOUT", 30.0))


def default_retry() -> RetryPolicy:
    attempts = int(_env_float("STUDIO_SYNC_RETRIES", 6))
    return RetryPolicy(attempts=max(1, attempts), backoff=_env_float("STUDIO_SYNC_BACKOFF", 0.25))


def normalise_url(url: str) -> str:
    """Check a server URL and drop a trailing slash, so it can key the stored credentials."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"server URL {url!r} must look like http://host:port or https://host")
    if parts.query or parts.fragment:
        raise InvalidInput(f"server URL {url!r} must not carry a query or fragment")
    return url


ALLOW_HTTP_ENV = "STUDIO_ALLOW_HTTP"


def is_this_computer(url: str) -> bool:
    """Whether `url` names this computer (localhost or a loopback address)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_safe_transport(url: str) -> None:
    """Refuse plain http:// to anything but this computer: passwords and tokens would cross the network
    readable by anyone on the way. `--allow-http` (or STUDIO_ALLOW_HTTP=1) is the explicit way round."""
    if urlsplit(url).scheme != "http" or os.environ.get(ALLOW_HTTP_ENV) == "1" or is_this_computer(url):
        return
    raise InvalidInput(
        f"{url} is plain http on another computer: passwords and tokens would travel unencrypted. "
        "Use https://, or pass --allow-http (STUDIO_ALLOW_HTTP=1) if the network is yours"
    )


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _never_sent(exc: Exception) -> bool:
    """True when the request cannot have reached the server (so even a POST may be repeated)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc)
    return "NewConnectionError" in text or "Connection refused" in text


class ApiClient:
    """Calls one server, optionally with a bearer token. Counts requests (the bench reports them)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: tuple[float, float] | None = None,
        retry: RetryPolicy | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.base_url = normalise_url(base_url)
        require_safe_transport(self.base_url)
        self.token = token
        self.timeout = timeout or default_timeout()
        self.retry = retry or default_retry()
        self.cancel = cancel or CancelToken()
        self.requests_made = 0
        self._count_lock = threading.Lock()  # parts of one upload go out from two threads
        self.session = requests.Session()
        options: dict[str, Any] = {"pool_connections": 2, "pool_maxsize": 4, "max_retries": 0}
        adapter = HTTPAdapter(**options)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = f"remix-studio/{__version__}"
        self.session.trust_env = False
        # A server whose certificate no public authority signed is trusted as `studio login` recorded.
        self.trust = tls.configure(self.session, self.base_url, options)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ----------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        data: bytes | memoryview | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        stream: bool = False,
        ok: Iterable[int] = (200, 201, 204),
    ) -> requests.Response:
        """Send one request, retrying where safe; return the response when its status is in `ok`.

        Raises OfflineError when the server stays unreachable, NotAuthenticated on 401 and ApiError
        (with the problem type) for any other status outside `ok`.
        """
        method = method.upper()
        safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        wanted = set(ok)
        send_headers = dict(headers or {})
        if self.token:
            send_headers["Authorization"] = f"Bearer {self.token}"
        url = self.base_url + path
        attempt = 0
        while True:
            self.cancel.raise_if_cancelled()
            with self._count_lock:
                self.requests_made += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    data=data,
                    headers=send_headers,
                    timeout=self.timeout,
                    stream=stream,
                )
            except requests.exceptions.SSLError as exc:
                # Not a network fault: retrying cannot make an untrusted certificate trusted.
                message, seen, kind = tls.untrusted_refusal(self.base_url, self.trust, exc)
                raise UntrustedServer(message, presented=seen, kind=kind) from exc
            except _NETWORK_ERRORS as exc:
                if (safe or _never_sent(exc)) and attempt + 1 < self.retry.attempts:
                    self._sleep(self.retry.delay(attempt))
                    attempt += 1
                    continue
                raise OfflineError(f"cannot reach the server at {self.base_url}: {_short(exc)}") from exc
            status = response.status_code
            if status in wanted:
                return response
            # 429 means "not processed, come back later": always safe. A 5xx gateway or unavailable
            # answer may come after the request was processed, so only repeatable requests retry it.
            retryable = status == 429 or (safe and status in UNAVAILABLE_STATUSES)
            if retryable and attempt + 1 < self.retry.attempts:
                wait = _retry_after(response)
                response.close()
                if wait is not None and wait > self.retry.max_retry_after:
                    raise ApiError(
                        status,
                        problems.RATE_LIMITED,
                        f"the server asks to wait {wait:.0f} s before trying again",
                    )
                self._sleep(self.retry.delay(attempt) if wait is None else wait)
                attempt += 1
                continue
            raise self._error(response)

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def post_json(self, path: str, body: Any, *, idempotent: bool = False, **kwargs: Any) -> Any:
        response = self.request("POST", path, json=body, idempotent=idempotent, **kwargs)
        return response.json() if response.content else None

    def _sleep(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            self.cancel.raise_if_cancelled()

    def _error(self, response: requests.Response) -> ApiError:
        status = response.status_code
        doc: dict[str, Any] = {}
        try:
            parsed = response.json()
            if isinstance(parsed, dict):
                doc = parsed
        except ValueError:
            pass
        finally:
            response.close()
        type_ = str(doc.get("type", ""))
        detail = str(doc.get("detail") or doc.get("title") or f"HTTP {status}")
        message = f"server refused {response.request.method} {urlsplit(response.url).path}: {detail}"
        if status == 401:
            return NotAuthenticated(
                status,
                type_ or problems.UNAUTHORIZED,
                f"{detail} (log in again: studio login {self.base_url} --user NAME)",
                doc,
            )
        return ApiError(status, type_, message, doc)


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "..."
