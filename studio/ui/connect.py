"""Connecting to a server: the form the welcome, the preferences and Sync ▸ Connect share, and sharing a
project with a collaborator. The form only gathers the answers; the sync controller does the work on
the network pool and the form shows how it went. At the first contact with an https server whose
certificate nothing here vouches for, the form asks whether to trust it (certificate_dialog) and connects
again pinning it, or with the CA file chosen."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.display import shown
from studio.services.sync import SHARE_ROLES
from studio.ui.certificate_dialog import CertificateDialog
from studio.ui.sync_controller import SyncController
from studio.ui.untrusted import PlainLabel

if TYPE_CHECKING:
    from studio.services.account import Account, ServerCertificate


class ConnectForm(QWidget):
    """Server, account and password with Connect (or Log out when connected) and what came of it."""

    connected = Signal(object)  # the Account

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        settings = controller.settings
        self.server = QLineEdit(str(settings.value("sync/server", "") or ""))
        self.server.setPlaceholderText("https://studio.example.org")
        self.account = QLineEdit(str(settings.value("sync/account", "") or ""))
        self.account.setPlaceholderText("your account name (lowercase letters, digits, . _ -)")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.create_account = QCheckBox("Create this account on the server")
        self.connect_button = QPushButton("Connect")
        self.connect_button.clicked.connect(self.submit)
        self.logout_button = QPushButton("Log out")
        self.logout_button.clicked.connect(self._on_logout_clicked)
        self.state = PlainLabel()  # server messages and addresses
        self.state.setObjectName("muted")
        self.state.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Server", self.server)
        form.addRow("Account", self.account)
        form.addRow("Password", self.password)
        form.addRow("", self.create_account)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state, 1)
        buttons.addWidget(self.logout_button)
        buttons.addWidget(self.connect_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(buttons)
        for line in (self.server, self.account, self.password):
            line.returnPressed.connect(self.submit)
        controller.account_changed.connect(self._on_account_changed)
        controller.connect_failed.connect(self._on_connect_failed)
        controller.certificate_unknown.connect(self._on_certificate_unknown)
        self._waiting = False
        self._submitted: tuple[str, str, str, bool] | None = None
        self.certificate_dialog: CertificateDialog | None = None
        self.ca_dialog: QFileDialog | None = None
        self._on_account_changed(controller.account, announce=False)

    def submit(self) -> None:
        """Connect with what the form says (on the network pool; the UI keeps going)."""
        url, user, password = self.server.text().strip(), self.account.text().strip(), self.password.text()
        if not url or not user or not password:
            self.state.setText("Give the server's address, your account name and its password.")
            return
        self._connect((url, user, password, self.create_account.isChecked()))

    def _connect(
        self, submitted: tuple[str, str, str, bool], pin: str | None = None, ca_cert: Path | None = None
    ) -> None:
        url, user, password, create = submitted
        self._waiting = True
        self._submitted = submitted
        self.connect_button.setEnabled(False)
        doing = "Creating the account on" if create else "Connecting to"
        self.state.setText(f"{doing} {url}…")
        self.controller.connect_account(url, user, password, create=create, pin=pin, ca_cert=ca_cert)

    def _on_certificate_unknown(self, certificate: ServerCertificate, replaces: str | None) -> None:
        if not self._waiting or self._submitted is None:
            return  # another form asked
        if replaces is None:
            self.state.setText(f"The certificate of {certificate.url} is not trusted yet.")
        else:
            self.state.setText(f"The certificate of {certificate.url} has changed since it was trusted.")
        dialog = CertificateDialog(certificate, self, replaces=replaces)
        dialog.decided.connect(lambda choice: self._on_certificate_decided(certificate, choice))
        self.certificate_dialog = dialog
        dialog.open()

    def _on_certificate_decided(self, certificate: ServerCertificate, choice: str) -> None:
        self.certificate_dialog = None
        submitted = self._submitted
        if submitted is None:
            return
        if choice == "pin":
            self._connect(submitted, pin=certificate.fingerprint)
        elif choice == "ca":
            dialog = QFileDialog(
                self, "CA certificate of the server", "", "PEM certificates (*.pem *.crt);;All files (*)"
            )
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            dialog.fileSelected.connect(self.use_ca_file)
            dialog.rejected.connect(lambda: self._not_trusted(certificate))
            self.ca_dialog = dialog
            dialog.open()
        else:
            self._not_trusted(certificate)

    def use_ca_file(self, path: str) -> None:
        """Connect again trusting the server's certificate against this CA file (the file dialog's answer)."""
        self.ca_dialog = None
        if self._submitted is not None:
            self._connect(self._submitted, ca_cert=Path(path))

    def _not_trusted(self, certificate: ServerCertificate) -> None:
        self.ca_dialog = None
        self._waiting = False
        self._submitted = None
        self.connect_button.setEnabled(True)
        self.state.setText(
            f"Not connected: the certificate of {certificate.url} was not trusted; nothing was stored."
        )

    def _on_account_changed(self, account: Account | None, announce: bool = True) -> None:
        self.connect_button.setEnabled(True)
        self.logout_button.setVisible(account is not None)
        self.password.clear()
        if account is None:
            self.state.setText("Not connected: everything works offline; connect to share and pull clips.")
            return
        self.server.setText(account.server)
        self.account.setText(account.username)
        self.state.setText(f"Connected to {account.server} as {account.username}.")
        if announce and self._waiting:
            self._waiting = False
            self._submitted = None
            self.connected.emit(account)

    def _on_connect_failed(self, message: str) -> None:
        self._waiting = False
        self._submitted = None
        self.connect_button.setEnabled(True)
        self.state.setText(f"Not connected: {message}")

    def _on_logout_clicked(self) -> None:
        self.state.setText("Logging out…")
        self.controller.logout()


class ConnectDialog(QDialog):
    """Sync ▸ Connect to a server…: the form alone, closed once connected."""

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to a server")
        self.setMinimumWidth(520)
        self.form = ConnectForm(controller)
        self.form.connected.connect(lambda _account: self.accept())
        self.form.connect_button.setAutoDefault(False)  # Enter in a field connects through the form
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setAutoDefault(False)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(close)


class ShareDialog(QDialog):
    """Share the open project with a collaborator as editor or viewer."""

    def __init__(self, project: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Share {shown(project)}")
        self.user = QLineEdit()
        self.user.setPlaceholderText("their account name on the server")
        self.role = QComboBox()
        self.role.addItems(list(SHARE_ROLES))
        note = QLabel(
            "The project moves into a private space of its own with its clips and media; the person "
            "you name becomes a member and sees it at their next sync."
        )
        note.setWordWrap(True)
        note.setObjectName("muted")
        ok, cancel = QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok | cancel)
        buttons.button(ok).setText("Share")
        buttons.accepted.connect(self._on_accepted)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("With", self.user)
        form.addRow("Role", self.role)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _on_accepted(self) -> None:
        if self.user.text().strip():
            self.accept()
