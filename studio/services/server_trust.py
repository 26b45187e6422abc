"""Trusting an https server that no public authority vouches for, at login or signup (CLI and app alike).

The login is run with the trust the user gave (`ca_cert`, `pin`), or the one kept from an earlier login;
at the first contact with a server whose certificate nothing signed, `confirm` (a prompt) is shown its
SHA-256 and decides whether to pin it. Without a `confirm`, such a server is refused with the fingerprint
and the flags to use, so scripts never trust anything silently.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from studio.core.errors import InvalidInput
from studio.protocol.fingerprints import fingerprint_text
from studio.sync import tls
from studio.sync.client import UntrustedServer, normalise_url

T = TypeVar("T")

__all__ = ["UntrustedServer", "with_trust"]


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
        raise InvalidInput("give --ca-cert or --pin-certificate, not both")
    if not url.startswith("https://"):
        if ca_cert is not None or pin is not None:
            raise InvalidInput("--ca-cert and --pin-certificate are for https:// servers")
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
                f"not {fingerprint_text(wanted)} as given: refusing it (nothing was stored)"
            )
        tls.remember_pin(url, wanted)
    try:
        return call()
    except UntrustedServer:
        if confirm is None or tls.trust_for(url) is not None:
            raise
        seen = tls.presented_fingerprint(url)
        if not confirm(url, fingerprint_text(seen)):
            raise InvalidInput(f"the certificate of {url} was not trusted; nothing was stored") from None
    tls.remember_pin(url, seen)
    return call()
