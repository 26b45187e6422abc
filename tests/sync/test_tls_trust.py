"""A real `studio serve` over TLS with a self-signed certificate: the CLI trusts it by `--ca-cert` or by a
pinned SHA-256 (never by switching verification off), signs up, publishes, syncs and pulls over https, and
refuses the server once it presents another certificate."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core.errors import InvalidInput
from tests.selfsigned import self_signed
from tests.server.conftest import REPO
from tests.sync.conftest import PASSWORD, noise_wav

PUBLISH = ("--creator", "Ann Lee:sound", "--licence", "CC0-1.0")


class TlsServe:
    """`studio serve --tls-cert --tls-key` as a user runs it; restartable on the same port and data."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.output = ""

    def start(self, cert: Path, key: Path) -> TlsServe:
        port_file = self.root / f"port-{time.monotonic_ns()}"
        log_path = self.root / "serve.log"
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "studio.cli.main",
                    "serve",
                    "--data",
                    str(self.root / "data"),
                    "--port",
                    str(self.port),
                    "--port-file",
                    str(port_file),
                    "--tls-cert",
                    str(cert),
                    "--tls-key",
                    str(key),
                ],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            assert self.proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        while "fingerprint" not in log_path.read_text():
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        self.output = log_path.read_text()
        return self

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[TlsServe]:
    made = TlsServe(tmp_path / "server")
    made.root.mkdir()
    yield made
    made.stop()


def printed_fingerprint(output: str) -> str:
    match = re.search(r"TLS certificate SHA-256 fingerprint: ([0-9A-F:]{95})", output)
    assert match, output
    return match.group(1)


def test_the_cli_trusts_a_self_signed_server_by_ca_file_or_pin_and_refuses_a_changed_certificate(
    serve: TlsServe, machines, tmp_path: Path
) -> None:
    real_cert, real_key, real_sha = self_signed(tmp_path, "real")
    other_cert, other_key, other_sha = self_signed(tmp_path, "other")
    serve.start(real_cert, real_key)
    # What `studio serve` prints is the fingerprint of the certificate clients see.
    assert printed_fingerprint(serve.output).replace(":", "").lower() == real_sha

    # No trust given: refused with the fingerprint and the way to trust it; nothing is stored.
    ann = machines("ann")
    refused = ann.cli("signup", serve.url, "--user", "ann", "--password-stdin", input=f"{PASSWORD}\n")
    assert refused.returncode == 6, refused.stderr
    assert real_sha in refused.stderr and "--pin-certificate" in refused.stderr
    assert not (ann.root / "config" / "account.json").exists()

    # A CA file that did not sign the server's certificate is refused and not kept.
    wrong_ca = ann.cli(
        "signup",
        serve.url,
        "--user",
        "ann",
        "--password-stdin",
        "--ca-cert",
        str(other_cert),
        input=f"{PASSWORD}\n",
    )
    assert wrong_ca.returncode == 6 and "not signed by the CA certificate" in wrong_ca.stderr, wrong_ca.stderr
    assert serve.url not in (ann.root / "config" / "server-trust.json").read_text()

    # Trust by CA file: the self-signed certificate is its own CA.
    done = ann.cli(
        "signup",
        serve.url,
        "--user",
        "ann",
        "--password-stdin",
        "--ca-cert",
        str(real_cert),
        input=f"{PASSWORD}\n",
    )
    assert done.returncode == 0, done.stderr
    wav = noise_wav(tmp_path / "take.wav", 2, 7)
    published = ann.cli("publish", str(wav), *PUBLISH)
    assert published.returncode == 0, published.stderr
    clip = published.stdout.strip().splitlines()[-1]
    synced = ann.cli("sync")
    assert synced.returncode == 0, synced.stderr

    # Trust by pin, as printed by the server (colons and capitals as shown).
    bob = machines("bob")
    done = bob.cli(
        "login",
        serve.url,
        "--user",
        "ann",
        "--password-stdin",
        "--device",
        "bob's laptop",
        "--pin-certificate",
        printed_fingerprint(serve.output),
        input=f"{PASSWORD}\n",
    )
    assert done.returncode == 0, done.stderr
    pulled = bob.cli("pull", clip)
    assert pulled.returncode == 0, pulled.stderr
    media = bob.root / "data" / "media" / clip[:2] / clip[2:4] / clip[:64]
    assert media.read_bytes() == wav.read_bytes()

    # A pin that is not the server's is refused before anything is stored.
    carol = machines("carol")
    wrong = carol.cli(
        "signup",
        serve.url,
        "--user",
        "carol",
        "--password-stdin",
        "--pin-certificate",
        other_sha,
        input=f"{PASSWORD}\n",
    )
    assert wrong.returncode == 6, wrong.stderr
    assert "not " in wrong.stderr and other_sha[:2].upper() in wrong.stderr
    assert not (carol.root / "config" / "server-trust.json").exists()

    # The server comes back with another certificate on the same address: every later command of both
    # kinds of trust refuses it, naming what it presents, and the login is kept for when it is fixed.
    serve.stop()
    serve.start(other_cert, other_key)
    for machine, why, advice in (
        (ann, "not signed by the CA certificate", "--ca-cert FILE or --pin-certificate"),
        (bob, "presented a different certificate", f"log in again with --pin-certificate {other_sha}"),
    ):
        refused = machine.cli("sync")
        assert refused.returncode == 6, refused.stderr
        assert why in refused.stderr and other_sha in refused.stderr, refused.stderr
        assert advice in refused.stderr, refused.stderr
        assert (machine.root / "config" / "account.json").exists()
    serve.stop()
    serve.start(real_cert, real_key)
    assert bob.cli("sync").returncode == 0


def test_first_contact_asks_once_and_pins_only_on_yes(serve: TlsServe, machines, tmp_path: Path) -> None:
    from studio.services import sync as svc
    from studio.services.server_trust import UntrustedServer, with_trust

    cert, key, sha = self_signed(tmp_path, "real")
    _other_cert, _other_key, _ = self_signed(tmp_path, "other")
    serve.start(cert, key)
    dana = machines("dana")
    asked: list[tuple[str, str]] = []

    def answer(yes: bool):
        def confirm(url: str, fingerprint: str) -> bool:
            asked.append((url, fingerprint))
            return yes

        return confirm

    with dana.active():
        with pytest.raises(InvalidInput, match="not trusted; nothing was stored"):
            with_trust(serve.url, lambda: svc.signup(serve.url, "dana", PASSWORD), confirm=answer(False))
        assert not (dana.root / "config" / "server-trust.json").exists()
        account = with_trust(serve.url, lambda: svc.signup(serve.url, "dana", PASSWORD), confirm=answer(True))
        assert account.username == "dana"
        assert asked == [(serve.url, printed_fingerprint(serve.output))] * 2
        assert sha in (dana.root / "config" / "server-trust.json").read_text()
        # Trusted from now on: later calls (any command, the app) ask nothing.
        with_trust(serve.url, lambda: svc.login(serve.url, "dana", PASSWORD), confirm=answer(True))
        assert len(asked) == 2
        # Without a way to ask (a script), a first contact is refused rather than trusted.
        erin = machines("erin")
    with erin.active(), pytest.raises(UntrustedServer) as refused:
        with_trust(serve.url, lambda: svc.signup(serve.url, "erin", PASSWORD))
    # The service names what was presented, not a way out: each front end words its own.
    assert refused.value.kind == "unknown" and refused.value.presented == sha
    assert "--" not in str(refused.value)
    from studio.cli.wording import cli_message

    assert f"log in with --pin-certificate {sha}" in cli_message(refused.value)
