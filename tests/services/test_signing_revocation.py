"""Revoked signing certificates end to end: real servers over HTTP on loopback, real ffmpeg exports signed
by a logged-in device, and `studio credits --verify` (and the service under it) checking the signer's
serial against the server's CRL. A device logged out (its certificate revoked) makes its files verify as
revoked with the date, while a live device of the same account still verifies, and a remix signed by the
live device names its source signed by the revoked one; a CRL that the server's root did not sign is
refused; offline, the cached CRL answers and says how old it is. An identity a server issued before it
recorded certificates is recorded at the next sync (and so revoked with its device), or dropped when the
server cannot record it."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from studio.protocol import api
from studio.services import signing
from studio.services import sync as sync_service
from studio.services.export import export_timeline
from studio.sync import credentials
from tests.server.conftest import ServerProcess, unique
from tests.services.test_signing import (
    PASSWORD,
    WHEN,
    as_user,
    cli_verify,
    media,
    project,
    remix_project,
    root_of,
    studio_cli,
)

__all__ = ["media"]  # the module fixture that renders the tiny sources, shared with test_signing


def machine(base: Path) -> dict[str, str]:
    return {f"STUDIO_{k}_DIR": str(base / k.lower()) for k in ("DATA", "CONFIG", "CACHE")}


def signed_up(url: str, tmp_path: Path, who: str, device: str = "") -> tuple[str, dict[str, str]]:
    """A new account `who-<n>` signed up on its own machine (folders under tmp_path/who): (user, folders)."""
    user, dirs = unique(who), machine(tmp_path / who)
    with as_user(dirs):
        sync_service.signup(url, user, PASSWORD, **({"device_name": device} if device else {}))
    return user, dirs


def two_devices(url: str, tmp_path: Path, who: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """One account on two machines: signed up on the laptop, logged in on the studio machine."""
    user, laptop = signed_up(url, tmp_path, who, "laptop")
    studio = machine(tmp_path / "studio")
    with as_user(studio):
        sync_service.login(url, user, PASSWORD, device_name="studio")
    return user, laptop, studio


def export_on(dirs: dict[str, str], folder: Path, media: dict[str, Path], name: str) -> Path:
    """A signed export (audio only: the tiniest render) made on the machine whose folders are `dirs`."""
    with as_user(dirs):
        folder.mkdir(parents=True, exist_ok=True)
        result = export_timeline(project(folder, media), folder / name, exported=WHEN)
    assert result.signed_by, result.warnings
    return result.path


def verify_json(path: Path, dirs: dict[str, str]) -> tuple[int, dict[str, Any]]:
    done = cli_verify(path, dirs)
    return done.returncode, json.loads(done.stdout)


def serial_of(path: Path, dirs: dict[str, str]) -> str:
    with as_user(dirs):
        return signing.verify_credits(path).serial


def crl_cache_files(dirs: dict[str, str]) -> list[Path]:
    return sorted((Path(dirs["STUDIO_CACHE_DIR"]) / "trust").glob("*.crl.json"))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "server").start()
    yield proc
    proc.stop()


def test_a_logged_out_device_signs_revoked_files_and_a_live_device_still_verifies(
    server: ServerProcess, media: dict[str, Path], tmp_path: Path
) -> None:
    user, laptop, studio = two_devices(server.url, tmp_path, "ann")
    from_laptop = export_on(laptop, tmp_path / "a", media, "laptop.wav")
    from_studio = export_on(studio, tmp_path / "b", media, "studio.flac")

    code, before = verify_json(from_laptop, studio)
    assert code == 0 and before["state"] == "trusted", before
    assert before["revocation"]["checked"] and before["revocation"]["revoked_at"] is None
    assert before["revocation"]["source"] == "server"
    laptop_serial = before["serial"]
    assert laptop_serial and laptop_serial != serial_of(from_studio, studio)

    with as_user(laptop):
        sync_service.logout()  # the laptop's token and its certificate are revoked on the server
    after_logout = datetime.now(UTC)

    code, after = verify_json(from_laptop, studio)
    assert code == 5 and after["state"] == "revoked", after
    revoked_at = datetime.fromisoformat(after["revocation"]["revoked_at"].replace("Z", "+00:00"))
    assert after_logout - timedelta(seconds=30) <= revoked_at <= after_logout + timedelta(seconds=1)
    assert after["serial"] == laptop_serial and after["signer"] == user
    assert after["problems"] == []  # nothing is wrong with the file itself

    text = cli_verify(from_laptop, studio, as_json=False)
    assert text.returncode == 5 and text.stdout.startswith("Revoked: signed by " + user)
    assert f"revoked on: {after['revocation']['revoked_at']}" in text.stdout

    code, live = verify_json(from_studio, studio)
    assert code == 0 and live["state"] == "trusted" and live["revocation"]["revoked_at"] is None, live

    # c2pa-python alone (no revocation list) still says Trusted: the verdict above is the CRL's doing.
    from tests.services.test_signing import reader

    assert reader(from_laptop, root_of(server))[0] == "Trusted"


def test_revoking_by_serial_then_offline_uses_the_cached_list_and_says_its_age(
    server: ServerProcess, media: dict[str, Path], tmp_path: Path
) -> None:
    _user, dirs = signed_up(server.url, tmp_path, "bo", "desk")
    first = export_on(dirs, tmp_path / "one", media, "one.m4a")
    serial = serial_of(first, dirs)
    with as_user(dirs):
        listed = signing.account_certificates()
        assert [c["serial"] for c in listed] == [serial] and listed[0]["current"]
        assert listed[0]["device_name"] == "desk" and listed[0]["revoked_at"] is None
        revoked = signing.revoke_certificate(serial[:10].upper())  # a prefix, as the list prints it
        assert revoked["serial"] == serial
        assert signing.account_certificates()[0]["revoked_at"] is not None

    # The device is still logged in; its next export asks for a new certificate instead of signing
    # with the revoked one.
    second = export_on(dirs, tmp_path / "two", media, "two.m4a")
    assert serial_of(second, dirs) != serial
    code, doc = verify_json(first, dirs)
    assert code == 5 and doc["state"] == "revoked" and doc["revocation"]["source"] == "server"
    assert len(crl_cache_files(dirs)) == 1

    server.stop()  # offline from here (one attempt per request: the retries are not under test)
    dirs = {**dirs, "STUDIO_SYNC_RETRIES": "1"}
    code, doc = verify_json(first, dirs)
    assert code == 5 and doc["state"] == "revoked", doc
    assert doc["revocation"]["source"] == "cache" and doc["revocation"]["crl_age_s"] >= 0
    assert "cached" in doc["revocation"]["note"] and "cannot be reached" in doc["revocation"]["note"]
    code, doc = verify_json(second, dirs)
    assert code == 0 and doc["state"] == "trusted" and doc["revocation"]["source"] == "cache", doc
    text = cli_verify(second, dirs, as_json=False)
    assert text.returncode == 0 and "revocation checked against the list cached" in text.stdout

    for cached in crl_cache_files(dirs):
        cached.unlink()
    code, doc = verify_json(first, dirs)  # no list at all: not a failure, but said
    assert code == 0 and doc["state"] == "trusted" and not doc["revocation"]["checked"], doc
    assert "revocation not checked" in doc["revocation"]["note"]
    assert "no revocation list was fetched before" in doc["revocation"]["note"]


class _Forger:
    """A loopback HTTP server in front of the real one that relays every request, except that it answers
    `GET /v1/ca/crl` with `forged` bytes when set: a server (or someone in the middle) lying about
    revocations."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.forged: bytes | None = None
        forger = self

        class Handler(BaseHTTPRequestHandler):
            def _relay(self) -> None:
                if self.path.split("?")[0] == api.CRL and forger.forged is not None:
                    self._answer(200, {"Content-Type": "application/pkix-crl"}, forger.forged)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                skip = ("host", "content-length")
                headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                r = requests.request(
                    self.command, forger.upstream + self.path, data=body, headers=headers, timeout=60
                )
                kept = {"Content-Type": r.headers.get("Content-Type", "application/octet-stream")}
                self._answer(r.status_code, kept, r.content)

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = do_PUT = _relay

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def forger(server: ServerProcess) -> Iterator[_Forger]:
    made = _Forger(server.url)
    yield made
    made.close()


def forged_crl(root_pem: str, serials: list[int]) -> bytes:
    """A CRL naming the real root as its issuer, listing `serials`, signed by a key made here."""
    root = x509.load_pem_x509_certificate(root_pem.encode())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(now)
        .next_update(now + timedelta(days=1))
    )
    for serial in serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def test_a_crl_not_signed_by_the_root_is_refused_and_never_cached(
    server: ServerProcess, forger: _Forger, media: dict[str, Path], tmp_path: Path
) -> None:
    user = unique("cy")
    dirs = machine(tmp_path / "cy")
    with as_user(dirs):
        sync_service.signup(forger.url, user, PASSWORD)  # every request goes through the forger
        assert credentials.current_account() is not None
    signed = export_on(dirs, tmp_path / "c", media, "cy.mp3")
    serial = int(serial_of(signed, dirs), 16)
    root = root_of(server)

    # A forged list that says the good certificate is revoked: refused, so the file stays trusted.
    forger.forged = forged_crl(root, [serial])
    for path in crl_cache_files(dirs):
        path.unlink()
    code, doc = verify_json(signed, dirs)
    assert code == 0 and doc["state"] == "trusted" and not doc["revocation"]["checked"], doc
    note = doc["revocation"]["note"]
    assert "refused" in note and "not signed by the server's root" in note
    assert crl_cache_files(dirs) == []

    # The certificate is revoked for real and the true list is fetched (and cached); then a forged
    # list that leaves it out is refused, and the cached true list still says revoked.
    forger.forged = None
    with as_user(dirs):
        signing.revoke_certificate(format(serial, "x"))
    assert verify_json(signed, dirs)[1]["state"] == "revoked"
    forger.forged = forged_crl(root, [])
    code, doc = verify_json(signed, dirs)
    assert code == 5 and doc["state"] == "revoked" and doc["revocation"]["source"] == "cache", doc
    assert "refused" in doc["revocation"]["note"]

    # A forged list written over the cache is refused too, when the server cannot vouch for a new one.
    (cached,) = crl_cache_files(dirs)
    entry = json.loads(cached.read_text())
    entry["crl"] = base64.b64encode(forged_crl(root, [])).decode()
    cached.write_text(json.dumps(entry))
    code, doc = verify_json(signed, dirs)
    assert code == 0 and doc["state"] == "trusted" and not doc["revocation"]["checked"], doc
    assert "the cached list was refused too" in doc["revocation"]["note"]


def test_verify_without_a_login_says_revocation_was_not_checked(
    server: ServerProcess, media: dict[str, Path], tmp_path: Path
) -> None:
    _user, dirs = signed_up(server.url, tmp_path, "di")
    signed = export_on(dirs, tmp_path / "d", media, "di.wav")
    with as_user(machine(tmp_path / "stranger")):
        verdict = signing.verify_credits(signed, anchors=root_of(server))
    assert verdict.state == "trusted" and verdict.revocation["checked"] is False
    assert verdict.revocation["note"] == "revocation not checked: not logged in to a server"


def test_the_cli_lists_the_accounts_certificates_and_revokes_one_by_prefix(
    server: ServerProcess, media: dict[str, Path], tmp_path: Path
) -> None:
    user, dirs = signed_up(server.url, tmp_path, "ed", "edit suite")
    signed = export_on(dirs, tmp_path / "e", media, "ed.wav")
    serial = serial_of(signed, dirs)

    listing = studio_cli(dirs, "account", "certificates")
    assert listing.returncode == 0, listing.stderr
    header, row = listing.stdout.splitlines()
    assert header.split() == ["SERIAL", "DEVICE", "ISSUED", "EXPIRES", "REVOKED"]
    assert row.startswith(serial[:16]) and "edit suite" in row and row.rstrip().endswith("-")

    unknown = studio_cli(dirs, "account", "revoke-certificate", "0123456789abcdef0123")
    assert unknown.returncode != 0 and "no signing certificate of " + user in unknown.stderr
    bad = studio_cli(dirs, "account", "revoke-certificate", "xyz")
    assert bad.returncode != 0 and "'xyz' is not a hexadecimal certificate serial" in bad.stderr

    done = studio_cli(dirs, "account", "revoke-certificate", serial[:12])
    assert done.returncode == 0, done.stderr
    assert f"revoked certificate {serial}" in done.stdout
    doc = json.loads(studio_cli(dirs, "account", "certificates", "--json").stdout)
    assert [c["serial"] for c in doc] == [serial] and doc[0]["revoked_at"]
    assert verify_json(signed, dirs)[0] == 5

    stranger = machine(tmp_path / "stranger")
    with as_user(stranger):
        sync_service.signup(server.url, unique("fay"), PASSWORD)
    theirs = studio_cli(stranger, "account", "revoke-certificate", serial)
    assert theirs.returncode != 0 and "no signing certificate of" in theirs.stderr
    assert json.loads(studio_cli(stranger, "account", "certificates", "--json").stdout) == []


def test_a_remix_names_the_source_whose_signer_was_revoked_while_its_own_signature_holds(
    server: ServerProcess, media: dict[str, Path], tmp_path: Path
) -> None:
    """The laptop signs a piece; the studio machine remixes it (the piece's manifest travels inside as an
    ingredient) and signs the remix. Once the laptop logs out, the remix still verifies as trusted (its
    own signer is live) but names the source whose signer is revoked, in JSON and in words."""
    user, laptop, studio = two_devices(server.url, tmp_path, "cy")
    piece = export_on(laptop, tmp_path / "a", media, "harbour.mp4")
    folder = tmp_path / "b"
    folder.mkdir()
    project_path = remix_project(folder, piece, "Cy", media)
    with as_user(studio):
        remix = export_timeline(project_path, folder / "remix.m4a", exported=WHEN)
    assert remix.signed_by, remix.warnings

    code, before = verify_json(remix.path, studio)
    assert code == 0 and before["state"] == "trusted", before
    [signed_source] = [i for i in before["ingredients"] if i["signed"]]
    assert signed_source["serial"] == serial_of(piece, studio) != before["serial"]
    assert signed_source["revoked_at"] is None

    with as_user(laptop):
        sync_service.logout()

    code, after = verify_json(remix.path, studio)
    assert code == 0 and after["state"] == "trusted", after  # the remix's own signer is live
    [revoked_source] = [i for i in after["ingredients"] if i["signed"]]
    assert revoked_source["revoked_at"] and revoked_source["signer"] == user
    text = cli_verify(remix.path, studio, as_json=False)
    assert text.returncode == 0
    assert f"source 'harbour' was signed by {user} with a certificate revoked on " in text.stdout
    assert revoked_source["revoked_at"] in text.stdout


def leave_unrecorded_identity(
    server: ServerProcess, dirs: dict[str, str], root_folder: Path | None = None
) -> str:
    """Leave on the machine `dirs` what an export against a server from before migration 0011 left: a
    signing identity that the server's root signed and the server never recorded, in the files the client
    of then wrote (no "recorded" mark). `root_folder`: signed by the root kept there instead. Its serial."""
    from studio.server.ca import load_or_create, pem
    from studio.sync import certificates
    from tests.server.test_ca import csr_for

    with as_user(dirs):
        found = credentials.load()
        assert found is not None
        account, token = found
        me = requests.get(account.server + api.ME, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        ca = load_or_create(root_folder or server.data)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = ca.issue(csr_for(key), account_id=me.json()["id"], username=account.username)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        certificates._write_key(account, key_pem.decode("ascii"))
        doc = {"login": certificates._login_key(account), "chain": pem(cert) + ca.root_pem}
        (Path(dirs["STUDIO_CONFIG_DIR"]) / certificates.IDENTITY_FILE).write_text(json.dumps(doc))
    return format(cert.serial_number, "x")


def test_an_identity_from_before_recording_is_recorded_at_the_next_sync_and_revoked_with_its_device(
    server: ServerProcess, media: dict[str, Path], tmp_path: Path
) -> None:
    _user, laptop, studio = two_devices(server.url, tmp_path, "gil")
    unrecorded = leave_unrecorded_identity(server, laptop)
    piece = export_on(laptop, tmp_path / "g", media, "gil.wav")
    assert serial_of(piece, laptop) == unrecorded  # the old identity signs, as it did
    with as_user(studio):
        assert unrecorded not in {c["serial"] for c in signing.account_certificates()}

    synced = studio_cli(laptop, "sync")
    assert synced.returncode == 0, synced.stderr
    with as_user(studio):
        listed = {c["serial"]: c for c in signing.account_certificates()}
    assert listed[unrecorded]["device_name"] == "laptop" and listed[unrecorded]["revoked_at"] is None
    identity = json.loads((Path(laptop["STUDIO_CONFIG_DIR"]) / "signing.json").read_text())
    assert identity["recorded"] is True

    with as_user(laptop):
        sync_service.logout()  # the laptop's certificates are revoked with its token, the old one too
    code, verdict = verify_json(piece, studio)
    assert code == 5 and verdict["state"] == "revoked" and verdict["serial"] == unrecorded, verdict


def test_an_identity_the_server_cannot_record_is_dropped_and_the_next_export_gets_a_recorded_one(
    server: ServerProcess, media: dict[str, Path], tmp_path: Path
) -> None:
    _user, dirs = signed_up(server.url, tmp_path, "hal")
    foreign = leave_unrecorded_identity(server, dirs, root_folder=tmp_path / "a-root-since-replaced")
    synced = studio_cli(dirs, "sync")
    assert synced.returncode == 0, synced.stderr
    assert not (Path(dirs["STUDIO_CONFIG_DIR"]) / "signing.json").exists()

    piece = export_on(dirs, tmp_path / "h", media, "hal.wav")
    serial = serial_of(piece, dirs)
    assert serial != foreign
    with as_user(dirs):
        assert [c["serial"] for c in signing.account_certificates()] == [serial]
    assert json.loads((Path(dirs["STUDIO_CONFIG_DIR"]) / "signing.json").read_text())["recorded"] is True
    assert verify_json(piece, dirs)[0] == 0
