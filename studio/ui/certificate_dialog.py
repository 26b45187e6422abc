"""Asking whether to trust an https server whose certificate no authority this computer trusts has signed.

Shown by the connect form at the first contact with such a server (a `studio serve --tls-cert` with a
certificate of its own, or someone in the middle): its SHA-256 fingerprint, which the person compares with
the one the server's owner gives them (`studio serve` prints it), who it names, who signed it and when it
is valid. Trusting it pins exactly this certificate, as `studio login --pin-certificate` does; a CA file
can be chosen instead. Nothing is stored until the person says yes.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.services import server_trust
from studio.ui.untrusted import PlainLabel

if TYPE_CHECKING:
    from studio.services.account import ServerCertificate


class CertificateDialog(QDialog):
    """Trust this certificate, use a CA file instead, or cancel (nothing stored). `decided` carries
    "pin", "ca" or "" (cancelled, or closed)."""

    decided = Signal(str)

    def __init__(
        self, certificate: ServerCertificate, parent: QWidget | None = None, *, replaces: str | None = None
    ) -> None:
        super().__init__(parent)
        self.certificate = certificate
        self.choice = ""
        if replaces is None:
            self.setWindowTitle("Trust this server's certificate?")
            text = (
                f"No authority this computer trusts has signed the certificate of {certificate.url}. "
                "That is what a server with a certificate of its own looks like, and also what someone in "
                "the middle of the connection looks like. Compare the fingerprint below with the one the "
                "server's owner gives you (studio serve prints it when it starts) before trusting it."
            )
        else:
            self.setWindowTitle("The server's certificate has changed")
            text = (
                f"{certificate.url} now presents another certificate than the one this computer trusted "
                f"(SHA-256 {server_trust.fingerprint_text(replaces)}). Its owner may have replaced it, or "
                "someone may be in the middle of the connection. Trust the new one only if its owner "
                "confirms the fingerprint below."
            )
        self.replaces = replaces
        intro = PlainLabel(text)
        intro.setWordWrap(True)
        self.fingerprint = PlainLabel(certificate.fingerprint_text)
        self.fingerprint.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.fingerprint.setWordWrap(True)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        issuer = "itself (self-signed)" if certificate.self_signed else certificate.issuer
        form = QFormLayout()
        form.addRow("SHA-256", self.fingerprint)
        form.addRow("Issued to", PlainLabel(certificate.subject))
        form.addRow("Signed by", PlainLabel(issuer))
        form.addRow("Valid", PlainLabel(validity(certificate)))
        buttons = QDialogButtonBox()
        self.trust_button = QPushButton("Trust this certificate")
        self.ca_button = QPushButton("Use a CA file…")
        self.cancel_button = QPushButton("Cancel")
        buttons.addButton(self.trust_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.ca_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        for button in (self.trust_button, self.ca_button):
            button.setAutoDefault(False)  # Enter must not trust a certificate, even with focus here
        self.cancel_button.setDefault(True)
        self.cancel_button.setFocus()
        buttons.accepted.connect(self._on_trust_clicked)
        buttons.rejected.connect(self.reject)
        self.ca_button.clicked.connect(self._on_ca_clicked)
        self.finished.connect(lambda _code: self.decided.emit(self.choice))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        note = QLabel(
            "Trusting it pins exactly this certificate: if the server ever presents another one, "
            "the app refuses to connect and shows both fingerprints."
        )
        note.setObjectName("muted")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def _on_trust_clicked(self) -> None:
        self.choice = "pin"
        self.accept()

    def _on_ca_clicked(self) -> None:
        self.choice = "ca"
        self.accept()


def validity(certificate: ServerCertificate, now: datetime.datetime | None = None) -> str:
    """'from … to … (UTC)', with a warning when today is outside that span."""
    now = now or datetime.datetime.now(datetime.UTC)
    span = f"from {certificate.not_before:%Y-%m-%d %H:%M} to {certificate.not_after:%Y-%m-%d %H:%M} (UTC)"
    if now < certificate.not_before:
        return span + " — not valid yet"
    if now > certificate.not_after:
        return span + " — expired"
    return span
