"""Revoking signing certificates on the server, over real HTTP on both backends: every certificate issued
is recorded; revoking a device (or logging it out) revokes its certificates; an account revokes one of its
own by serial, while another account's serial answers exactly as an unknown one; and the CRL at
`GET /v1/ca/crl` is a standard X.509 CRL signed by the root, read with openssl when it is on PATH."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from studio.protocol import api
from tests.server.conftest import Api, ServerProcess, call, signup
from tests.server.test_ca import csr_for

PASSWORD = "correct horse battery"


def certify(who: Api) -> str:
    """A certificate for a fresh key on `who`'s device; returns its serial (hex)."""
    r = who.post(api.CERTIFICATES, json={"csr": csr_for(ec.generate_private_key(ec.SECP256R1()))})
    assert r.status_code == 201, r.text
    cert = x509.load_pem_x509_certificate(r.json()["certificate"].encode())
    assert r.json()["serial"] == format(cert.serial_number, "x")
    return str(r.json()["serial"])


def second_device(first: Api, name: str = "studio") -> Api:
    r = call(
        "POST",
        first.base + api.TOKENS,
        json={"username": first.username, "password": PASSWORD, "device_name": name},
    )
    assert r.status_code == 201, r.text
    return Api(first.base, r.json()["token"], first.username)


def crl_of(server: ServerProcess) -> x509.CertificateRevocationList:
    r = requests.get(server.url + api.CRL, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(r.content)
    root = x509.load_pem_x509_certificate(requests.get(server.url + api.CA, timeout=30).text.encode())
    public = root.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert crl.issuer == root.subject and crl.is_signature_valid(public)
    return crl


def revoked_serials(server: ServerProcess) -> dict[str, datetime]:
    return {format(r.serial_number, "x"): r.revocation_date_utc for r in crl_of(server)}


def listed(who: Api) -> dict[str, dict[str, Any]]:
    r = who.get(api.CERTIFICATES)
    assert r.status_code == 200, r.text
    return {c["serial"]: c for c in r.json()}


def test_revoking_a_device_revokes_its_certificates_and_the_crl_lists_them(server: ServerProcess) -> None:
    laptop = signup(server.url)
    studio = second_device(laptop)
    issued = datetime.now(UTC)
    laptop_certs = [certify(laptop), certify(laptop)]
    studio_cert = certify(studio)
    mine = listed(studio)
    assert set(mine) == {*laptop_certs, studio_cert}
    assert mine[studio_cert]["current"] and not mine[laptop_certs[0]]["current"]
    assert mine[laptop_certs[0]]["device_name"] == "laptop" and mine[studio_cert]["device_name"] == "studio"
    assert all(c["revoked_at"] is None for c in mine.values())
    for cert in mine.values():  # the moment it was issued, not the start of its validity
        at = datetime.fromisoformat(cert["issued_at"].replace("Z", "+00:00"))
        assert issued - timedelta(seconds=2) <= at <= datetime.now(UTC) + timedelta(seconds=1)
    assert not set(revoked_serials(server)) & set(mine)

    laptop_id = laptop.get(api.ME).json()["device_id"]
    before = datetime.now(UTC).replace(microsecond=0)
    assert studio.delete(api.DEVICE.format(device_id=laptop_id)).status_code == 204
    after = datetime.now(UTC) + timedelta(seconds=1)

    mine = listed(studio)
    for serial in laptop_certs:
        assert mine[serial]["revoked_at"] is not None
    assert mine[studio_cert]["revoked_at"] is None
    revoked = revoked_serials(server)
    assert set(laptop_certs) <= set(revoked) and studio_cert not in revoked
    for serial in laptop_certs:
        assert before <= revoked[serial] <= after
    crl = crl_of(server)
    now = datetime.now(UTC)
    assert crl.last_update_utc <= now + timedelta(seconds=1)
    assert crl.next_update_utc is not None
    assert timedelta(hours=23) < crl.next_update_utc - crl.last_update_utc <= timedelta(days=1)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number > 0


def test_logging_out_revokes_the_devices_certificate(server: ServerProcess) -> None:
    ann = signup(server.url)
    keeper = second_device(ann)
    serial = certify(ann)
    assert ann.delete(api.CURRENT_TOKEN).status_code == 204
    assert serial in revoked_serials(server)
    assert listed(keeper)[serial]["revoked_at"] is not None


def test_an_account_revokes_its_own_certificate_by_serial_and_nobody_elses(server: ServerProcess) -> None:
    alice, bob = signup(server.url), signup(server.url)
    serial = certify(alice)
    bobs = certify(bob)
    assert serial not in listed(bob) and set(listed(bob)) == {bobs}

    theirs = bob.delete(api.CERTIFICATE.format(serial=serial))
    unknown = bob.delete(api.CERTIFICATE.format(serial="f" * 40))
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.headers["content-type"] == unknown.headers["content-type"]
    assert theirs.json()["detail"].replace(serial, "X") == unknown.json()["detail"].replace("f" * 40, "X")
    assert serial not in revoked_serials(server)
    anonymous = requests.delete(server.url + api.CERTIFICATE.format(serial=serial), timeout=30)
    assert anonymous.status_code == 401
    assert requests.get(server.url + api.CERTIFICATES, timeout=30).status_code == 401
    assert bob.delete(api.CERTIFICATE.format(serial="not-hex")).status_code == 422

    assert alice.delete(api.CERTIFICATE.format(serial=serial)).status_code == 204
    first = revoked_serials(server)[serial]
    time.sleep(1.1)
    assert alice.delete(api.CERTIFICATE.format(serial=serial)).status_code == 204  # again: first date kept
    assert revoked_serials(server)[serial] == first
    assert listed(alice)[serial]["revoked_at"] is not None
    assert bobs not in revoked_serials(server)


def test_the_crl_is_served_as_pem_too_and_parses_with_openssl(server: ServerProcess) -> None:
    carol = signup(server.url)
    serial = certify(carol)
    assert carol.delete(api.CERTIFICATE.format(serial=serial)).status_code == 204
    r = requests.get(server.url + api.CRL, params={"format": "pem"}, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-pem-file")
    assert x509.load_pem_x509_crl(r.content).get_revoked_certificate_by_serial_number(int(serial, 16))
    assert requests.get(server.url + api.CRL, params={"format": "xml"}, timeout=30).status_code == 422
    openssl = shutil.which("openssl")
    if openssl is None:  # cryptography parsed and checked it above (crl_of)
        crl_of(server)
        return
    der = requests.get(server.url + api.CRL, timeout=30).content
    done = subprocess.run(
        [openssl, "crl", "-inform", "DER", "-noout", "-text"], input=der, capture_output=True, check=True
    )
    text = done.stdout.decode()
    assert "Certificate Revocation List (CRL)" in text and "Next Update" in text
    assert serial.upper() in text.replace(":", "").replace("\n", "").replace(" ", "").upper()
