"""SHA-256 fingerprints of TLS certificates: what `studio serve` prints at start and what a client pins
when no public authority signed the server's certificate, spelled the same on both sides."""

from __future__ import annotations

import hashlib
import re
import ssl
from pathlib import Path

_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def fingerprint_text(fingerprint: str) -> str:
    """AB:CD:... as browsers and `openssl x509 -fingerprint -sha256` show it."""
    return ":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)).upper()


def certificate_fingerprint(pem_file: Path) -> str:
    """SHA-256 (hex) of the first certificate in a PEM file: the one a server presents to clients."""
    text = Path(pem_file).read_text(encoding="ascii", errors="replace")
    match = _PEM_CERTIFICATE.search(text)
    if match is None:
        raise ValueError(f"{pem_file} holds no PEM certificate")
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(match.group(0))).hexdigest()
