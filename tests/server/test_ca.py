"""The server as a certificate authority: the root made at first start (0600 in its data folder, the same
after a restart), served as PEM, and device certificates issued from CSRs to logged-in devices only,
always naming the caller's account whatever the CSR asks. Checked with `cryptography`'s own verifier."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from studio.protocol import api
from tests.server.conftest import ServerProcess, signup


@pytest.fixture(scope="module")
def ca_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("ca-server")).start()
    yield proc
    proc.stop()


def csr_for(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, name: str = "mallory") -> str:
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode("ascii")


def test_root_is_made_at_first_start_private_and_kept(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "s").start()
    try:
        served = requests.get(proc.url + api.CA, timeout=30)
        assert served.status_code == 200
        assert served.headers["content-type"].startswith("application/x-pem-file")
        folder = proc.data / "ca"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for name in ("root-key.pem", "root.pem"):
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
        assert served.text == (folder / "root.pem").read_text()
        root = x509.load_pem_x509_certificate(served.text.encode())
        assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        assert isinstance(root.public_key(), ec.EllipticCurvePublicKey)
    finally:
        proc.stop()
    proc.start()
    try:
        assert requests.get(proc.url + api.CA, timeout=30).text == served.text  # same root after restart
    finally:
        proc.stop()


def test_a_device_certificate_names_the_caller_and_chains_to_the_root(ca_server: ServerProcess) -> None:
    alice = signup(ca_server.url)
    key = ec.generate_private_key(ec.SECP256R1())
    r = alice.post(api.CERTIFICATES, json={"csr": csr_for(key, "someone-else")})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["account"] == alice.username and "PRIVATE" not in r.text
    cert = x509.load_pem_x509_certificate(doc["certificate"].encode())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == alice.username
    me = alice.get(api.ME).json()
    assert cert.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == me["id"]
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in list(eku)
    root = x509.load_pem_x509_certificate(requests.get(ca_server.url + api.CA, timeout=30).text.encode())
    chain = x509.load_pem_x509_certificates(doc["chain"].encode())
    assert chain[0] == cert and chain[-1] == root
    cert.verify_directly_issued_by(root)  # raises unless the root's key signed it


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"csr": "not a certificate request"}, 422),
        ({"csr": csr_for(rsa.generate_private_key(public_exponent=65537, key_size=2048))}, 422),
        ({"csr": csr_for(ec.generate_private_key(ec.SECP384R1()))}, 422),
        ({}, 422),
    ],
)
def test_bad_csrs_are_refused_with_a_reason(
    ca_server: ServerProcess, body: dict[str, str], status: int
) -> None:
    alice = signup(ca_server.url)
    r = alice.post(api.CERTIFICATES, json=body)
    assert r.status_code == status and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"]


def test_a_csr_whose_signature_does_not_verify_is_refused(ca_server: ServerProcess) -> None:
    alice = signup(ca_server.url)
    der = bytearray(
        x509.load_pem_x509_csr(csr_for(ec.generate_private_key(ec.SECP256R1())).encode()).public_bytes(
            serialization.Encoding.DER
        )
    )
    der[-3] ^= 0xFF  # inside the signature
    body = f"-----BEGIN CERTIFICATE REQUEST-----\n{_b64(bytes(der))}\n-----END CERTIFICATE REQUEST-----\n"
    r = alice.post(api.CERTIFICATES, json={"csr": body})
    assert r.status_code == 422, r.text


def test_only_a_logged_in_device_gets_a_certificate(ca_server: ServerProcess) -> None:
    pem = csr_for(ec.generate_private_key(ec.SECP256R1()))
    r = requests.post(ca_server.url + api.CERTIFICATES, json={"csr": pem}, timeout=30)
    assert r.status_code == 401
    r = requests.post(
        ca_server.url + api.CERTIFICATES,
        json={"csr": pem},
        headers={"Authorization": "Bearer nope"},
        timeout=30,
    )
    assert r.status_code == 401


def _b64(data: bytes) -> str:
    import base64

    return base64.encodebytes(data).decode("ascii").strip()
