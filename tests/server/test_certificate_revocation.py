"""Revoking signing certificates on the server, over real HTTP on both backends: every certificate issued
is recorded; revoking a device (or logging it out) revokes its certificates; an account revokes one of its
own by serial, while another account's serial answers exactly as an unknown one; and the CRL at
`GET /v1/ca/crl` is a standard X.509 CRL signed by the root, read with openssl when it is on PATH. A
certificate issued before the server recorded them is recorded by the device holding its key, and only by
it, and is then revoked with the device."""

from __future__ import annotations

import base64
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from studio.protocol import api
from studio.server.ca import load_or_create
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


def legacy_certificate(
    server: ServerProcess, who: Api
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate for `who` that the server's root signed and the server never recorded: what a server
    from before migration 0011 issued (made with the server's own CA from its data folder, as it did)."""
    key = ec.generate_private_key(ec.SECP256R1())
    account_id = who.get(api.ME).json()["id"]
    cert = load_or_create(server.data).issue(csr_for(key), account_id=account_id, username=who.username)
    return cert, key


def record(
    who: Api, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, **overrides: str
) -> requests.Response:
    """`who` asks the server to record `cert` as its device's, proving it with `key` (unless overridden)."""
    serial = format(cert.serial_number, "x")
    device = overrides.pop("device", "") or who.get(api.ME).json()["device_id"]
    proof = key.sign(api.certificate_record_proof(serial, device), ec.ECDSA(hashes.SHA256()))
    body = {
        "certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "proof": base64.b64encode(proof).decode(),
    }
    return who.put(api.CERTIFICATE.format(serial=overrides.pop("serial", serial)), json={**body, **overrides})


def test_a_certificate_from_before_recording_is_recorded_by_its_device_and_revoked_with_it(
    server: ServerProcess,
) -> None:
    laptop = signup(server.url)
    studio = second_device(laptop)
    cert, key = legacy_certificate(server, laptop)
    serial = format(cert.serial_number, "x")
    assert serial not in listed(laptop)  # unrecorded: revoking the laptop could not reach it

    first = record(laptop, cert, key)
    assert first.status_code == 201, first.text
    assert first.json()["serial"] == serial and first.json()["current"] and first.json()["revoked_at"] is None
    assert first.json()["device_name"] == "laptop"
    assert listed(studio)[serial]["device_name"] == "laptop"
    again = record(laptop, cert, key)
    assert again.status_code == 200 and again.json() == first.json()

    laptop_id = laptop.get(api.ME).json()["device_id"]
    assert studio.delete(api.DEVICE.format(device_id=laptop_id)).status_code == 204
    assert serial in revoked_serials(server)
    assert listed(studio)[serial]["revoked_at"] is not None


def test_only_the_device_holding_the_key_records_a_certificate_of_its_own_account(
    server: ServerProcess, tmp_path: Path
) -> None:
    alice, bob = signup(server.url), signup(server.url)
    alice_studio = second_device(alice)
    cert, key = legacy_certificate(server, alice)
    serial = format(cert.serial_number, "x")

    # bob holds alice's certificate (every file she signed carries it), even her key: it names her account
    stolen = record(bob, cert, key)
    assert stolen.status_code == 403 and "another account" in stolen.json()["detail"]
    # her other device replays the laptop's proof: the proof names the device it was made for
    alice_id = alice.get(api.ME).json()["device_id"]
    replayed = record(alice_studio, cert, key, device=alice_id)
    assert replayed.status_code == 422 and "proof" in replayed.json()["detail"]
    # a proof made with another key
    other = record(alice, cert, ec.generate_private_key(ec.SECP256R1()))
    assert other.status_code == 422 and "proof" in other.json()["detail"]
    assert record(alice, cert, key, proof="not base64!").status_code == 422
    # a certificate another root signed, naming her account as the server would
    elsewhere = load_or_create(tmp_path / "other-ca").issue(
        csr_for(key), account_id=alice.get(api.ME).json()["id"], username=alice.username
    )
    foreign = record(alice, elsewhere, key)
    assert foreign.status_code == 422 and "not issued by this server's root" in foreign.json()["detail"]
    mismatch = record(alice, cert, key, serial="abc123")
    assert mismatch.status_code == 422 and "serial" in mismatch.json()["detail"]
    garbage = record(
        alice, cert, key, certificate="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    )
    assert garbage.status_code == 422 and "not a PEM certificate" in garbage.json()["detail"]
    anonymous = requests.put(server.url + api.CERTIFICATE.format(serial=serial), json={}, timeout=30)
    assert anonymous.status_code == 401
    assert serial not in listed(alice) and serial not in listed(bob)

    # a device that was removed cannot record either
    assert alice_studio.delete(api.DEVICE.format(device_id=alice_id)).status_code == 204
    assert record(alice, cert, key, device=alice_id).status_code == 401
    assert serial not in listed(alice_studio)
