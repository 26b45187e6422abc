"""The connect form and a real `studio serve --tls-cert/--tls-key` with a self-signed certificate made in the
test: at the first contact the form shows the certificate (SHA-256, subject, validity) and asks; trusting
it pins it and later syncs go through; declining stores nothing; a CA file works instead of the pin; a
changed certificate is refused by a sync with both fingerprints named, and shown again by the form for
the person to review."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from studio.protocol.fingerprints import fingerprint_text
from tests.selfsigned import self_signed
from tests.sync.conftest import PASSWORD
from tests.sync.test_tls_trust import TlsServe

pytestmark = [pytest.mark.qt]


@pytest.fixture
def serve(tmp_path: Path):
    made = TlsServe(tmp_path / "server")
    made.root.mkdir()
    yield made
    made.stop()


def _open_form(qtbot, window, url: str, user: str, create: bool = True):
    from studio.ui.connect import ConnectDialog

    dialog = ConnectDialog(window.sync, window)
    qtbot.addWidget(dialog)
    dialog.show()
    form = dialog.form
    form.server.setText(url)
    form.account.setText(user)
    form.password.setText(PASSWORD)
    form.create_account.setChecked(create)
    return dialog, form


def _trust_file(studio_dirs: dict[str, str]) -> dict:
    path = Path(studio_dirs["STUDIO_CONFIG_DIR"]) / "server-trust.json"
    return json.loads(path.read_text()) if path.exists() else {}


def test_trusting_the_certificate_connects_and_syncs_and_a_changed_one_is_reviewed(
    qtbot, window, serve, tmp_path, studio_dirs
):
    real_cert, real_key, real_sha = self_signed(tmp_path, "real")
    other_cert, other_key, other_sha = self_signed(tmp_path, "other")
    serve.start(real_cert, real_key)
    controller = window.sync
    dialog, form = _open_form(qtbot, window, serve.url, "ann")

    qtbot.mouseClick(form.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: form.certificate_dialog is not None and form.certificate_dialog.isVisible(), timeout=30_000
    )
    asked = form.certificate_dialog
    assert asked.fingerprint.text() == fingerprint_text(real_sha)
    shown = [label.text() for label in asked.findChildren(type(asked.fingerprint))]
    assert any("CN=studio real" in text for text in shown), shown
    assert any(text.startswith("from ") and "(UTC)" in text for text in shown), shown
    assert controller.account is None and serve.url not in _trust_file(studio_dirs)

    with qtbot.waitSignal(dialog.accepted, timeout=60_000):  # the connect dialog closes once connected
        qtbot.mouseClick(asked.trust_button, Qt.MouseButton.LeftButton)
    assert controller.account is not None and controller.account.username == "ann"
    assert _trust_file(studio_dirs)[serve.url] == {"sha256": real_sha}

    # Later syncs go over the pinned certificate.
    qtbot.waitUntil(lambda: controller.sync_task is None, timeout=60_000)
    with qtbot.waitSignal(controller.synced, timeout=60_000):
        controller.sync_now()

    # The server comes back with another certificate: a sync is refused, naming both fingerprints.
    serve.stop()
    serve.start(other_cert, other_key)
    with qtbot.waitSignal(controller.posted, timeout=60_000) as posted:
        controller.sync_now()
    message = posted.args[0]
    assert message.startswith("Sync failed") and fingerprint_text(other_sha) in message, message
    assert fingerprint_text(real_sha) in message, message

    # The app's words point at its own form, not at a command-line flag.
    assert "Connect to a server" in message and "--" not in message, message

    # Connecting again from the form shows the change for the person to review: both fingerprints,
    # nothing stored until they trust the new one; cancelling keeps the old pin.
    _dialog, again = _open_form(qtbot, window, serve.url, "ann", create=False)
    qtbot.mouseClick(again.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: again.certificate_dialog is not None and again.certificate_dialog.isVisible(), timeout=30_000
    )
    review = again.certificate_dialog
    assert review.windowTitle() == "The server's certificate has changed"
    assert review.fingerprint.text() == fingerprint_text(other_sha)
    shown = " ".join(label.text() for label in review.findChildren(type(review.fingerprint)))
    assert fingerprint_text(real_sha) in shown, shown
    qtbot.mouseClick(review.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: again.state.text().startswith("Not connected"), timeout=30_000)
    assert _trust_file(studio_dirs)[serve.url] == {"sha256": real_sha}

    # Trusting the new one (its owner confirmed it) pins it and syncs work again.
    again_dialog, again = _open_form(qtbot, window, serve.url, "ann", create=False)
    qtbot.mouseClick(again.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: again.certificate_dialog is not None and again.certificate_dialog.isVisible(), timeout=30_000
    )
    with qtbot.waitSignal(again_dialog.accepted, timeout=60_000):
        qtbot.mouseClick(again.certificate_dialog.trust_button, Qt.MouseButton.LeftButton)
    assert _trust_file(studio_dirs)[serve.url] == {"sha256": other_sha}
    qtbot.waitUntil(lambda: controller.sync_task is None, timeout=60_000)
    with qtbot.waitSignal(controller.synced, timeout=60_000):
        controller.sync_now()


def test_declining_stores_nothing_and_a_ca_file_is_the_other_way(qtbot, window, serve, tmp_path, studio_dirs):
    cert, key, _sha = self_signed(tmp_path, "server", ca=True)
    serve.start(cert, key)
    controller = window.sync
    _dialog, form = _open_form(qtbot, window, serve.url, "bea")

    qtbot.mouseClick(form.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: form.certificate_dialog is not None and form.certificate_dialog.isVisible(), timeout=30_000
    )
    qtbot.mouseClick(form.certificate_dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert "was not trusted; nothing was stored" in form.state.text()
    assert form.connect_button.isEnabled() and controller.account is None
    assert serve.url not in _trust_file(studio_dirs)
    assert not (Path(studio_dirs["STUDIO_CONFIG_DIR"]) / "account.json").exists()

    # Again, choosing the server's certificate file as the CA.
    qtbot.mouseClick(form.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: form.certificate_dialog is not None and form.certificate_dialog.isVisible(), timeout=30_000
    )
    qtbot.mouseClick(form.certificate_dialog.ca_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.ca_dialog is not None and form.ca_dialog.isVisible(), timeout=10_000)
    with qtbot.waitSignal(form.connected, timeout=60_000):
        form.ca_dialog.selectFile(str(cert))
        form.ca_dialog.accept()
    assert controller.account is not None and controller.account.username == "bea"
    assert "ca_cert" in _trust_file(studio_dirs)[serve.url]


def test_enter_in_the_certificate_dialog_does_not_trust(qtbot) -> None:
    import datetime

    from studio.services.account import ServerCertificate
    from studio.ui.certificate_dialog import CertificateDialog

    now = datetime.datetime.now(datetime.UTC)
    certificate = ServerCertificate(
        "https://studio.lan:8750", "ab" * 32, "CN=x", "CN=x", now, now + datetime.timedelta(days=1)
    )
    dialog = CertificateDialog(certificate)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.decided) as decided:
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert decided.args == [""]
