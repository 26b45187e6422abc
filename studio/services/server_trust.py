"""Trusting an https server that no public authority vouches for, at login or signup (CLI and app alike).

The login is run with the trust the user gave (`ca_cert`, `pin`), or the one kept from an earlier login;
at the first contact with a server whose certificate nothing signed, `confirm` (a prompt) is shown its
SHA-256 and decides whether to pin it. Without a `confirm`, such a server is refused with
`UnknownCertificate`, which carries the certificate (fingerprint, subject, validity) for a front end that
asks the person in its own way and then calls again with `pin` (the app's connect form); scripts never
trust anything silently.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from studio.core.errors import InvalidInput
from studio.protocol.fingerprints import fingerprint_text
from studio.sync import tls
from studio.sync.client import UntrustedServer, normalise_url

T = TypeVar("T")

__all__ = [
    "ServerCertificate",
    "UnknownCertificate",
    "UntrustedServer",
    "certificate_of",
    "fingerprint_text",
    "with_trust",
]


@dataclass(frozen=True)
class ServerCertificate:
    """What a person checks before trusting a server's certificate: its SHA-256 above all (the one
    `studio serve` prints), then who it names, who signed it and when it is valid."""

    url: str
    fingerprint: str
    subject: str
    issuer: str
    not_before: datetime.datetime
    not_after: datetime.datetime

    @property
    def fingerprint_text(self) -> str:
        return fingerprint_text(self.fingerprint)

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer


class UnknownCertificate(UntrustedServer):
    """An https server presents a certificate nothing here vouches for: at the first contact (nothing stored
    for it) or, with `replaces` (the SHA-256 pinned before), a certificate other than the pinned one.
    Nothing was sent to it. `certificate` is what to show before the person decides."""

    def __init__(self, message: str, certificate: ServerCertificate, replaces: str | None = None) -> None:
        kind = "changed" if replaces else "unknown"
        super().__init__(message, presented=certificate.fingerprint, kind=kind)
        self.certificate = certificate
        self.replaces = replaces


def certificate_of(url: str) -> ServerCertificate:
    """The certificate the server at `url` presents now, read without trusting it (network: call it off the
    UI thread)."""
    from cryptography import x509

    url = normalise_url(url)
    der = tls.presented_certificate(url)
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise InvalidInput(f"{url} presented a certificate that cannot be read: {exc}") from None
    return ServerCertificate(
        url=url,
        fingerprint=hashlib.sha256(der).hexdigest(),
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def with_trust(
    url: str,
    call: Callable[[], T],
    *,
    ca_cert: Path | None = None,
    pin: str | None = None,
    confirm: Callable[[str, str], bool] | None = None,
) -> T:
    """Run `call` (which talks to the server at `url`) once its certificate is trusted as asked.

    `confirm(url, fingerprint)` is asked, at most once, when the server's certificate is trusted neither
    by the system nor by anything stored; a yes pins it. A pin that does not match what the server
    presents is refused before anything is stored, and a CA file that does not fit the server is not
    kept."""
    url = normalise_url(url)
    if ca_cert is not None and pin is not None:
        raise InvalidInput("trust a CA file or pin a certificate, not both", field="trust_both")
    if not url.startswith("https://"):
        if ca_cert is not None or pin is not None:
            raise InvalidInput(
                "a CA file or a pinned certificate is for https:// servers only", field="trust_http"
            )
        return call()
    if ca_cert is not None:
        before = tls.stored_entry(url)
        tls.remember_ca(url, ca_cert)
        try:
            return call()
        except UntrustedServer:
            tls.restore_entry(url, before)  # a CA that does not fit this server is not kept
            raise
    if pin is not None:
        wanted = tls.parse_fingerprint(pin)
        seen = tls.presented_fingerprint(url)
        if seen != wanted:
            raise UntrustedServer(
                f"the server at {url} presents the certificate SHA-256 {fingerprint_text(seen)}, "
                f"not {fingerprint_text(wanted)} as given: refusing it (nothing was stored)",
                presented=seen,
                kind="given",
            )
        tls.remember_pin(url, wanted)
    try:
        return call()
    except UntrustedServer as exc:
        trusted = tls.trust_for(url)
        if trusted is not None:
            if confirm is None and exc.kind == "changed" and trusted.pin is not None:
                # Shown with both fingerprints for the person to decide; a terminal never re-pins by a
                # yes (`--pin-certificate` names the new one on purpose).
                raise UnknownCertificate(str(exc), certificate_of(url), replaces=trusted.pin) from exc
            raise
        if confirm is None:
            raise UnknownCertificate(str(exc), certificate_of(url)) from exc
        seen = tls.presented_fingerprint(url)
        if not confirm(url, fingerprint_text(seen)):
            raise InvalidInput(f"the certificate of {url} was not trusted; nothing was stored") from None
    tls.remember_pin(url, seen)
    return call()
