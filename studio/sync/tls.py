"""Trusting a server's TLS certificate when no public authority signed it (a self-signed `studio serve`).

Two ways, chosen at `studio login/signup` and kept per server in the config folder (`server-trust.json`,
with the certificate file under `trust/`), so every later request of the CLI and the app uses them:

- a CA certificate (`--ca-cert FILE`): the usual verification (chain and host name) against that file
  instead of the system's authorities; a self-signed server's own certificate file works as its CA;
- a pin (`--pin-certificate SHA256`, or yes to the prompt at the first login): the server must present
  exactly the certificate with that SHA-256 fingerprint, whatever signed it.

Verification is never switched off: a server that presents another certificate than the trusted one is
refused with both fingerprints named, and the user decides (log in again with the new one) only after
checking with whoever runs the server.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from studio.core.atomic import atomic_write_text
from studio.core.errors import InvalidInput
from studio.core.paths import config_dir
from studio.protocol.fingerprints import fingerprint_text

TRUST_FILE = "server-trust.json"
TRUST_FOLDER = "trust"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ServerTrust:
    """How one server's certificate is trusted: against a CA file, or by its pinned fingerprint."""

    ca_file: Path | None = None
    pin: str | None = None


def parse_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint as 64 lowercase hex digits, from any of the usual spellings."""
    value = re.sub(r"[\s:]", "", text.strip().lower()).removeprefix("sha256")
    if not _HEX64.fullmatch(value):
        raise InvalidInput(
            f"{text!r} is not a SHA-256 certificate fingerprint (64 hex digits, colons allowed)"
        )
    return value


def presented_fingerprint(url: str, timeout: float = 10.0) -> str:
    """SHA-256 of the certificate the server at `url` presents now (read without trusting it)."""
    return hashlib.sha256(presented_certificate(url, timeout)).hexdigest()


def presented_certificate(url: str, timeout: float = 10.0) -> bytes:
    """The certificate (DER) the server at `url` presents now, read without trusting it."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise InvalidInput(f"cannot read the certificate of {url}: {exc}") from None
    if not der:
        raise InvalidInput(f"{url} presented no certificate")
    return der


# --- the stored trust ------------------------------------------------------------------------------------


def _trust_path() -> Path:
    return config_dir() / TRUST_FILE


def _load_all() -> dict[str, Any]:
    try:
        doc = json.loads(_trust_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read {_trust_path()}: {exc}") from None
    return doc if isinstance(doc, dict) else {}


def _save_all(doc: dict[str, Any]) -> None:
    atomic_write_text(_trust_path(), json.dumps(doc, indent=2, sort_keys=True) + "\n")


def trust_for(url: str) -> ServerTrust | None:
    """What this computer trusts for the server at `url` (a normalised URL), if anything."""
    entry = _load_all().get(url)
    if not isinstance(entry, dict):
        return None
    pin = entry.get("sha256")
    if isinstance(pin, str) and _HEX64.fullmatch(pin):
        return ServerTrust(pin=pin)
    ca = entry.get("ca_cert")
    if isinstance(ca, str) and ca:
        return ServerTrust(ca_file=config_dir() / ca)
    return None


def remember_ca(url: str, pem_file: Path) -> ServerTrust:
    """Trust certificates signed by (or equal to) the one in `pem_file` for `url`; the file is copied, so
    moving or deleting it later changes nothing."""
    source = Path(pem_file).expanduser()
    try:
        text = source.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"--ca-cert {source}: cannot read it ({exc})") from None
    try:
        ssl.create_default_context(cadata=text)
    except (ssl.SSLError, ValueError):
        raise InvalidInput(f"--ca-cert {source}: not a PEM certificate") from None
    name = hashlib.sha256(url.encode()).hexdigest()[:16] + ".pem"
    folder = config_dir() / TRUST_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / name, text)
    doc = _load_all()
    doc[url] = {"ca_cert": f"{TRUST_FOLDER}/{name}"}
    _save_all(doc)
    return ServerTrust(ca_file=folder / name)


def remember_pin(url: str, fingerprint: str) -> ServerTrust:
    """Trust exactly the certificate with this SHA-256 for `url` (replacing any earlier trust)."""
    pin = parse_fingerprint(fingerprint)
    doc = _load_all()
    old = doc.get(url)
    doc[url] = {"sha256": pin}
    _save_all(doc)
    if isinstance(old, dict) and isinstance(old.get("ca_cert"), str):
        with contextlib.suppress(OSError):
            (config_dir() / old["ca_cert"]).unlink()
    return ServerTrust(pin=pin)


def stored_entry(url: str) -> dict[str, Any] | None:
    """The raw stored trust for `url`, to put back with `restore_entry` if a new one fails."""
    entry = _load_all().get(url)
    return dict(entry) if isinstance(entry, dict) else None


def restore_entry(url: str, entry: dict[str, Any] | None) -> None:
    """Put back what `stored_entry` returned (None: trust nothing stored for `url`)."""
    doc = _load_all()
    if entry is None:
        doc.pop(url, None)
    else:
        doc[url] = entry
    _save_all(doc)


# --- applying it to a requests session -------------------------------------------------------------------


class _PinnedAdapter(HTTPAdapter):
    """Accepts a connection only when the server's certificate has the pinned SHA-256 (urllib3 checks
    it right after the handshake, before any byte of the request is sent)."""

    def __init__(self, pin: str, **kwargs: Any) -> None:
        self._pin = pin
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["assert_fingerprint"] = self._pin
        super().init_poolmanager(*args, **kwargs)


def configure(session: requests.Session, url: str, adapter_options: dict[str, Any]) -> ServerTrust | None:
    """Make `session` trust the server at `url` as stored; returns the trust applied (None: the system's
    authorities, as for any https site)."""
    trust = trust_for(url) if url.startswith("https://") else None
    if trust is None:
        return None
    if trust.pin is not None:
        session.mount("https://", _PinnedAdapter(trust.pin, **adapter_options))
        session.verify = False  # the pin replaces the chain check; urllib3 still checks the fingerprint
    elif trust.ca_file is not None:
        session.verify = str(trust.ca_file)
    return trust


def untrusted_refusal(url: str, trust: ServerTrust | None, exc: Exception) -> tuple[str, str, str]:
    """Why the TLS handshake with `url` was refused, as (message, presented SHA-256 or "", kind): kind
    "changed" (another certificate than the one pinned), "ca" (not signed by the CA file given at login)
    or "unknown" (nothing here vouches for it). The message names no way out: each front end words its
    own (flags in the CLI, the connect form in the app)."""
    try:
        seen = presented_fingerprint(url, timeout=5)
    except InvalidInput:
        seen = ""
    shown = fingerprint_text(seen) if seen else "unknown"
    if trust is not None and trust.pin is not None:
        return (
            f"the server at {url} presented a different certificate (SHA-256 {shown}) from the one this "
            f"computer trusts (SHA-256 {fingerprint_text(trust.pin)}): refusing to talk to it, since "
            "someone may be in the middle",
            seen,
            "changed",
        )
    if trust is not None and trust.ca_file is not None:
        return (
            f"the certificate of the server at {url} (SHA-256 {shown}) is not signed by the CA certificate "
            f"given at login, or does not name this host: refusing to talk to it ({_reason(exc)})",
            seen,
            "ca",
        )
    return (
        f"the certificate of the server at {url} is not trusted by this computer ({_reason(exc)}); its "
        f"SHA-256 is {shown}",
        seen,
        "unknown",
    )


def _reason(exc: Exception) -> str:
    text = str(exc)
    for known in (
        "certificate verify failed: self-signed certificate",
        "certificate verify failed",
        "Fingerprints did not match",
        "hostname mismatch",
        "doesn't match",
    ):
        if known in text:
            return known
    return text if len(text) <= 160 else text[:160] + "..."
