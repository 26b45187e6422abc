"""This device's signing identity: an ES256 key made here and a certificate the server issues for it.

The private key never leaves the device: a CSR signed by it goes to `POST /v1/certificates`, and the
key is kept like the login token (OS keyring, else config/signing-key.pem, mode 0600), as PKCS#8. The
certificate chain and the server's root are public and live in config/ beside the login. An identity
belongs to one login (server, user, device): after another login it is made anew.

An identity the server issued before it recorded every certificate (server migration 0011) is recorded
at the next sync (`record_identity`, with a proof signed by its key), so that revoking this device or its
serial revokes it too; one that cannot be recorded there is dropped and the next export asks anew.

Revocation: the server publishes an X.509 CRL signed by its root. A fetched CRL is checked against the
root this computer trusts for that server and kept in the cache folder with its fetch time, so a file can
be checked offline against the last list seen; a CRL the root did not sign is refused and never kept.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from studio.core.atomic import atomic_write_text
from studio.core.paths import cache_dir, config_dir
from studio.protocol import api
from studio.protocol.ids import certificate_serial
from studio.sync import credentials
from studio.sync.client import ApiClient, ApiError

KEY_FILE = "signing-key.pem"
IDENTITY_FILE = "signing.json"
_RENEW_BEFORE = timedelta(days=7)


@dataclass(frozen=True)
class SigningIdentity:
    """What a C2PA signer needs: the PKCS#8 key and the chain (device certificate, then root)."""

    key_pem: str
    chain_pem: str
    account: str
    server: str

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificates(self.chain_pem.encode("ascii"))[0]

    @property
    def serial(self) -> str:
        return certificate_serial(self.certificate.serial_number)


class CrlRefused(ValueError):
    """A revocation list that is not a CRL, or that the server's root did not sign."""


@dataclass(frozen=True)
class RevocationList:
    """A server's CRL, checked against its root, and when this computer fetched it."""

    crl: x509.CertificateRevocationList
    fetched_at: datetime
    server: str
    cached: bool

    def revoked_on(self, serial: int) -> datetime | None:
        entry = self.crl.get_revoked_certificate_by_serial_number(serial)
        return entry.revocation_date_utc if entry is not None else None

    @property
    def updated(self) -> datetime:
        return self.crl.last_update_utc

    @property
    def next_update(self) -> datetime | None:
        return self.crl.next_update_utc


def check_crl(der: bytes, anchors_pem: str) -> x509.CertificateRevocationList:
    """`der` as a CRL issued and signed by one of the roots in `anchors_pem` (raises CrlRefused)."""
    try:
        crl = x509.load_der_x509_crl(der)
    except ValueError as exc:
        raise CrlRefused(f"it is not a DER certificate revocation list ({exc})") from None
    try:
        roots = x509.load_pem_x509_certificates(anchors_pem.encode("ascii"))
    except ValueError as exc:
        raise CrlRefused(f"the trusted root cannot be read ({exc})") from None
    for root in roots:
        public = root.public_key()
        if (
            crl.issuer == root.subject
            and isinstance(public, ec.EllipticCurvePublicKey)
            and crl.is_signature_valid(public)
        ):
            return crl
    raise CrlRefused("it is not signed by the server's root certificate")


def fetch_crl(client: ApiClient, anchors_pem: str) -> RevocationList:
    """The server's CRL, checked against `anchors_pem` and cached with its fetch time (raises CrlRefused,
    ApiError, OfflineError). A refused CRL is not cached: the last good one stays."""
    der = client.request("GET", api.CRL).content
    crl = check_crl(der, anchors_pem)
    fetched = datetime.now(UTC)
    doc = {
        "server": client.base_url,
        "fetched_at": fetched.isoformat(timespec="seconds"),
        "crl": base64.b64encode(der).decode("ascii"),
    }
    atomic_write_text(_crl_path(client.base_url), json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return RevocationList(crl, fetched, client.base_url, cached=False)


def cached_crl(server: str, anchors_pem: str) -> RevocationList | None:
    """The last CRL fetched from `server`, checked again against `anchors_pem`; None when there is none
    (raises CrlRefused when the cached copy no longer verifies, e.g. the file was replaced)."""
    try:
        doc: dict[str, Any] = json.loads(_crl_path(server).read_text(encoding="utf-8"))
        der = base64.b64decode(str(doc["crl"]), validate=True)
        fetched = datetime.fromisoformat(str(doc["fetched_at"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise CrlRefused(f"the cached revocation list cannot be read ({exc})") from None
    crl = check_crl(der, anchors_pem)
    return RevocationList(crl, fetched, server, cached=True)


def list_certificates(client: ApiClient) -> list[dict[str, Any]]:
    """The account's signing certificates (serial, device, issued, expiry, revoked), newest first."""
    found = client.get_json(api.CERTIFICATES)
    return [dict(item) for item in found]


def revoke_certificate(client: ApiClient, serial: str) -> None:
    """Revoke one of the account's certificates by its full serial (ApiError 404 when not the account's)."""
    client.request("DELETE", api.CERTIFICATE.format(serial=serial), idempotent=True)


def forget_identity() -> None:
    """Drop this login's stored identity (its certificate was revoked): the next export asks anew."""
    with contextlib.suppress(FileNotFoundError):
        (config_dir() / IDENTITY_FILE).unlink()


def load_identity(account: credentials.Account) -> SigningIdentity | None:
    """The stored identity of this login, if it is still valid for a week; else None."""
    doc = _stored(account)
    if doc is None:
        return None
    key = _read_key(account)
    if key is None:
        return None
    identity = SigningIdentity(key, str(doc["chain"]), account.username, account.server)
    if identity.certificate.not_valid_after_utc - _RENEW_BEFORE < datetime.now(UTC):
        return None
    return identity


def request_identity(client: ApiClient, account: credentials.Account) -> SigningIdentity:
    """Make a key here, have the server certify it, and keep both (raises ApiError/OfflineError)."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, account.username)]))
        .sign(key, hashes.SHA256())
    )
    answer = client.post_json(
        api.CERTIFICATES, {"csr": csr.public_bytes(serialization.Encoding.PEM).decode("ascii")}
    )
    chain = str(answer["chain"])
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    _write_key(account, key_pem)
    # A server that records what it issues says the serial it recorded; an older one did not.
    _write_identity(account, chain, recorded="serial" in answer)
    cache_root(account.server, x509.load_pem_x509_certificates(chain.encode("ascii"))[-1])
    return SigningIdentity(key_pem, chain, account.username, account.server)


def record_identity(client: ApiClient, account: credentials.Account) -> bool:
    """Have the server record this login's identity as this device's, once, if it was issued before the
    server recorded what it issued. True when it is recorded now; False when there was nothing to do or
    the server did not record it (an older server, or a failure: asked again at the next sync). An
    identity the server refuses (another root signed it, or it names another account) is dropped:
    revocation could never reach it, and the next export asks for a new one."""
    doc = _stored(account)
    if doc is None or doc.get("recorded"):
        return False
    try:
        key_pem = _read_key(account)
    except credentials.CredentialsError:
        return False  # the export that would use it says what is wrong with the key
    if key_pem is None:
        return False
    identity = SigningIdentity(key_pem, str(doc["chain"]), account.username, account.server)
    key = serialization.load_pem_private_key(key_pem.encode("ascii"), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return False
    message = api.certificate_record_proof(identity.serial, account.device_id)
    proof = key.sign(message, ec.ECDSA(hashes.SHA256()))
    body = {
        "certificate": identity.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "proof": base64.b64encode(proof).decode("ascii"),
    }
    try:
        client.request("PUT", api.CERTIFICATE.format(serial=identity.serial), json=body, idempotent=True)
    except ApiError as exc:
        if exc.status in (403, 422):
            forget_identity()
        return False  # any other answer (an older server, a busy one): asked again at the next sync
    now = _stored(account)
    if now is not None and now.get("chain") == identity.chain_pem:  # not replaced meanwhile
        _write_identity(account, identity.chain_pem, recorded=True)
    return True


def _stored(account: credentials.Account) -> dict[str, Any] | None:
    """The identity file, when it belongs to this login."""
    try:
        doc = json.loads((config_dir() / IDENTITY_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("login") == _login_key(account) else None


def _write_identity(account: credentials.Account, chain: str, *, recorded: bool) -> None:
    """Keep the chain of this login's identity, and whether the server recorded it (so can revoke it)."""
    doc = {"login": _login_key(account), "chain": chain, "recorded": recorded}
    atomic_write_text(config_dir() / IDENTITY_FILE, json.dumps(doc, indent=2, sort_keys=True) + "\n")


def fetch_root(client: ApiClient) -> str:
    """The server's root certificate (PEM), fetched and cached for offline checks."""
    text = client.request("GET", api.CA).text
    root = x509.load_pem_x509_certificate(text.encode("ascii"))
    cache_root(client.base_url, root)
    return root.public_bytes(serialization.Encoding.PEM).decode("ascii")


def cache_root(server: str, root: x509.Certificate) -> None:
    atomic_write_text(_root_path(server), root.public_bytes(serialization.Encoding.PEM).decode("ascii"))


def cached_root(server: str) -> str | None:
    try:
        return _root_path(server).read_text(encoding="ascii")
    except FileNotFoundError:
        return None


def _root_path(server: str) -> Path:
    return cache_dir() / "trust" / f"{_server_digest(server)}.pem"


def _crl_path(server: str) -> Path:
    return cache_dir() / "trust" / f"{_server_digest(server)}.crl.json"


def _server_digest(server: str) -> str:
    return hashlib.sha256(server.rstrip("/").encode("utf-8")).hexdigest()[:24]


def _login_key(account: credentials.Account) -> str:
    return f"{account.server}|{account.username}|{account.device_id}"


def _write_key(account: credentials.Account, key_pem: str) -> None:
    ring = credentials._keyring() if account.backend == "keyring" else None
    if ring is not None:
        ring.set_password(credentials.SERVICE, _login_key(account) + "|signing-key", key_pem)
        with contextlib.suppress(FileNotFoundError):
            (config_dir() / KEY_FILE).unlink()
        return
    credentials._write_private(config_dir() / KEY_FILE, key_pem)


def _read_key(account: credentials.Account) -> str | None:
    if account.backend == "keyring":
        ring = credentials._keyring()
        if ring is not None:
            with contextlib.suppress(Exception):
                found = ring.get_password(credentials.SERVICE, _login_key(account) + "|signing-key")
                if isinstance(found, str):
                    return found
    path = config_dir() / KEY_FILE
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise credentials.CredentialsError(
            f"{path} can be read by other users (mode {stat.S_IMODE(mode):o}); remove it and export again"
        )
    return path.read_text(encoding="ascii")
