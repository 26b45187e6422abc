"""The server as a certificate authority for its accounts: one ES256 root, made at first start in the
data folder (`ca/`, 0700, files 0600), and device certificates issued from CSRs.

A device certificate names its account (CN = username, UID = account id) and carries what the C2PA
trust model asks of a signer: digitalSignature key usage and the emailProtection extended key usage,
no CA rights. The private key of a device never comes here: the device sends a CSR signed by it.
Revoked certificates are published as an X.509 CRL signed by the root (`crl`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT_YEARS = 20
DEVICE_DAYS = 365
ISSUE_BACKDATE = timedelta(minutes=5)
"""A device certificate is valid from this long before it is issued (clocks of readers differ)."""
CRL_LIFETIME = timedelta(days=1)
"""How long a CRL is current (its next_update): a revocation reaches every client within a day."""
ORGANISATION = "Remix Studio"
_KEY_FILE = "root-key.pem"
_CERT_FILE = "root.pem"


class CsrRefused(ValueError):
    """A CSR that is malformed, not self-signed by its key, or not a P-256 key."""


class CertificateRefused(ValueError):
    """A certificate that is malformed or that this root did not issue."""


@dataclass(frozen=True)
class CertificateAuthority:
    key: ec.EllipticCurvePrivateKey
    root: x509.Certificate

    @property
    def root_pem(self) -> str:
        return self.root.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def issue(self, csr_pem: str, *, account_id: str, username: str) -> x509.Certificate:
        """A device certificate for the key in `csr_pem`, naming the account (whatever the CSR asks)."""
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise CsrRefused(f"the CSR is not a PEM certificate request ({exc})") from None
        if not csr.is_signature_valid:
            raise CsrRefused("the CSR's signature does not verify with its own key")
        public = csr.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name != "secp256r1":
            raise CsrRefused("the CSR's key must be an EC P-256 key (ES256)")
        now = datetime.now(UTC)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, username),
                x509.NameAttribute(NameOID.USER_ID, account_id),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            ]
        )
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.root.subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - ISSUE_BACKDATE)
            .not_valid_after(min(now + timedelta(days=DEVICE_DAYS), self.root.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(sign=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )

    def issued_here(self, certificate_pem: str) -> x509.Certificate:
        """`certificate_pem` as a device certificate this root signed (CertificateRefused says why not)."""
        try:
            cert = x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise CertificateRefused(f"certificate: not a PEM certificate ({exc})") from None
        try:
            cert.verify_directly_issued_by(self.root)
        except (ValueError, TypeError, InvalidSignature):
            raise CertificateRefused("certificate: not issued by this server's root") from None
        return cert

    def crl(self, revoked: Iterable[tuple[int, datetime]], now: datetime) -> x509.CertificateRevocationList:
        """The CRL listing `revoked` (serial, revocation time), current from `now` for CRL_LIFETIME.
        Its number is `now` in milliseconds, so a later CRL always has a larger one."""
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root.subject)
            .last_update(now)
            .next_update(now + CRL_LIFETIME)
            .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
        )
        for serial, when in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        return builder.sign(self.key, hashes.SHA256())


def _key_usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not sign,
        crl_sign=not sign,
        encipher_only=False,
        decipher_only=False,
    )


def load_or_create(data_dir: Path) -> CertificateAuthority:
    """The root in `data_dir/ca`, made on first call. Two processes starting together agree on one:
    each builds its root in a folder of its own, and only the first rename into place wins."""
    folder = Path(data_dir) / "ca"
    if not (folder / _CERT_FILE).exists():
        _create(folder)
    key_pem = (folder / _KEY_FILE).read_bytes()
    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{folder / _KEY_FILE} is not an EC private key")
    root = x509.load_pem_x509_certificate((folder / _CERT_FILE).read_bytes())
    return CertificateAuthority(key, root)


def _create(folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = folder.with_name(f".ca-{secrets.token_hex(4)}")
    os.mkdir(work, 0o700)
    try:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, f"Remix Studio server root {secrets.token_hex(4)}"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            ]
        )
        root = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * ROOT_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(sign=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_0600(work / _KEY_FILE, key_pem)
        _write_0600(work / _CERT_FILE, root.public_bytes(serialization.Encoding.PEM))
        with contextlib.suppress(FileExistsError, OSError):
            os.rename(work, folder)  # fails if another process put its root there first
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_0600(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
