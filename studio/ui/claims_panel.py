"""The Claims tab of the Payouts dock: claiming a name a piece credited before its person had an account,
and, on pieces you published or in private spaces you own, confirming or rejecting such claims.

A confirmed claim makes the name that account on that piece for good: the money held for the name goes to
the account's statement and the next proposal pays it, so Confirm and Reject both say what they do and ask
first. Every server call runs on the network pool. The lists are split by the login that read them, not the
one the panel last heard of (the CLI may log this machine in as someone else meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core.clips import Clip
from studio.core.display import shown
from studio.core.identity import account_of
from studio.ui.payouts_panel import _fill, _NetworkWidget, _table
from studio.ui.untrusted import PlainLabel, escaped

COLUMNS = ("Name", "Account", "Piece", "Status")
NOT_LOGGED_IN = (
    "Not logged in: connect to a server (Sync ▸ Connect to a server…) to claim a name credited to you, "
    "or to confirm claims on pieces you published."
)
# Keys that delete elsewhere in the window (the timeline's items, the library's clips): here they do nothing.
_DELETE_KEYS = frozenset({Qt.Key.Key_Delete, Qt.Key.Key_Backspace})

ClipLookup = Callable[[str], Clip | None]


def claimable_names(clip: Clip | None) -> list[str]:
    """The names a clip credits that no account holds by itself (not an account id, not `@user`): the
    ones a person may claim. Whether a publisher already confirmed one is the server's to say."""
    if clip is None:
        return []
    names = [
        c.name.strip()
        for c in clip.credits
        if account_of(c.contributor_id) is None and not c.name.strip().startswith("@")
    ]
    return list(dict.fromkeys(n for n in names if n))


class ClaimsPanel(_NetworkWidget):
    """Claims waiting for you to confirm, your own claims, and a form to claim a name."""

    claim_confirmed = Signal(dict)  # the confirmed claim: held money moved, statements changed
    connect_requested = Signal()

    def __init__(self, lookup: ClipLookup | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lookup: ClipLookup = lookup or (lambda _piece: None)
        self.username = ""  # the app's login ("" when logged out)
        self.me = ""  # the account the lists were read as
        self.waiting_claims: list[dict[str, Any]] = []
        self.own_claims: list[dict[str, Any]] = []
        self.loaded = False
        self._doing = ""  # "list", "claim" or "decide": how a failure is put in words
        self._reload_pending = False  # asked for while a call ran (a login change): run once it is done

        self.notice = PlainLabel(NOT_LOGGED_IN)
        self.notice.setWordWrap(True)
        self.connect_button = QPushButton("Connect to a server…")
        self.refresh_button = QPushButton("Refresh")
        self.waiting = _table(COLUMNS)
        self.waiting.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.explain = PlainLabel()
        self.explain.setWordWrap(True)
        self.confirm_button = QPushButton("Confirm…")
        self.reject_button = QPushButton("Reject…")
        self.mine = _table(COLUMNS)
        self.mine.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.piece = QLineEdit()
        self.piece.setPlaceholderText("piece: select it in the library, or paste its clip id")
        self.piece_title = PlainLabel()
        self.name = QComboBox()
        self.name.setEditable(True)
        self.name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        name_edit = self.name.lineEdit()
        assert name_edit is not None
        name_edit.setPlaceholderText("the name as the piece credits it")
        self.name.setToolTip("type the name, or pick one the piece credits that no account holds")
        self.claim_button = QPushButton("Claim")

        head = QHBoxLayout()
        head.addWidget(self.notice, 1)
        head.addWidget(self.connect_button)
        head.addWidget(self.refresh_button)
        decide = QHBoxLayout()
        decide.addWidget(self.confirm_button)
        decide.addWidget(self.reject_button)
        decide.addStretch(1)
        name_row = QHBoxLayout()
        name_row.addWidget(self.name, 1)
        name_row.addWidget(self.claim_button)
        form = QFormLayout()
        form.addRow("Piece", self.piece)
        form.addRow("", self.piece_title)
        form.addRow("Name", name_row)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(QLabel("Waiting for you to confirm (pieces you published, or in spaces you own)"))
        layout.addWidget(self.waiting, 1)
        layout.addWidget(self.explain)
        layout.addLayout(decide)
        layout.addWidget(QLabel("Your claims"))
        layout.addWidget(self.mine, 1)
        layout.addWidget(QLabel("Claim a name credited to you"))
        layout.addLayout(form)
        layout.addWidget(self.status)

        self.connect_button.clicked.connect(self.connect_requested)
        self.refresh_button.clicked.connect(lambda: self.refresh())
        self.waiting.itemSelectionChanged.connect(self._on_waiting_selected)
        self.confirm_button.clicked.connect(self._on_confirm_clicked)
        self.reject_button.clicked.connect(self._on_reject_clicked)
        self.claim_button.clicked.connect(self._on_claim_clicked)
        name_edit.returnPressed.connect(self._on_claim_clicked)
        self.piece.textChanged.connect(lambda _t: self._on_piece_changed())
        self.busy_changed.connect(self._on_busy_changed)
        self._show_login()

    # -- the login and the piece ----------------------------------------------------------------------
    def set_account(self, username: str) -> None:
        """The app's login changed (or was first read): reload for it (now if the tab is in view), or
        say how to log in."""
        changed = username != self.username
        self.username = username
        self._show_login()
        if changed or not username:  # never one account's claims under another's name
            self._fill_lists([], [])
            self.loaded = False
        if username and self.isVisible() and (not self.loaded or self.me != username):
            self.refresh()  # else when the tab is shown

    def showEvent(self, event: QShowEvent) -> None:
        """Each time the tab comes into view the lists are read again: claims arrive from other people."""
        super().showEvent(event)
        if self.username and not event.spontaneous():
            self.refresh()

    def set_piece(self, clip_id: str) -> None:
        """Claim on the library's selected piece by default."""
        if clip_id and clip_id != self.piece.text().strip():
            self.piece.setText(clip_id)

    def piece_label(self, piece: str) -> str:
        """The piece's title when the library knows it, else a short id."""
        clip = self.lookup(piece)
        return clip.title if clip is not None and clip.title else piece[:12]

    def _on_piece_changed(self) -> None:
        piece = self.piece.text().strip()
        clip = self.lookup(piece) if piece else None
        self.piece_title.setText(clip.title if clip is not None and clip.title else "")
        typed = self.name.currentText()
        self.name.clear()
        for name in claimable_names(clip):
            self.name.addItem(shown(name), name)  # shown as it is; claimed exactly as credited
        self.name.setEditText(typed)

    def name_to_claim(self) -> str:
        """The name field's text, or the exact credited name behind the choice it shows."""
        text = self.name.currentText().strip()
        index = self.name.findText(text, Qt.MatchFlag.MatchExactly)
        credited = self.name.itemData(index) if index >= 0 else None
        return credited if isinstance(credited, str) else text

    def _show_login(self) -> None:
        logged_in = bool(self.username)
        self.notice.setText(f"Claims of @{self.username}" if logged_in else NOT_LOGGED_IN)
        self.connect_button.setVisible(not logged_in)
        self._update_buttons()

    # -- reading the lists ----------------------------------------------------------------------------
    def refresh(self, then_say: str = "") -> None:
        """Reload both lists from the server; `then_say` is shown once they are in."""
        if not self.username:
            self.status.setText(NOT_LOGGED_IN)
            return
        if self.busy:
            self._reload_pending = True
            return

        def read() -> tuple[str, list[dict[str, Any]]]:
            from studio.services import account, payouts

            login = account.current_account()
            return (login.username if login is not None else "", payouts.claims())

        def listed(found: tuple[str, list[dict[str, Any]]]) -> None:
            me, claims = found
            self.me, self.loaded = me, True
            self.notice.setText(f"Claims of @{me}")  # the login that read them (the CLI may change it)
            self._fill_lists(
                # A server from before `decidable` lists only others' claims as pending for you to decide.
                [c for c in claims if c.get("decidable", c["status"] == "pending" and c["account"] != me)],
                [c for c in claims if c["account"] == me],
            )
            self.status.setText(then_say)

        self._doing = "list"
        self.run("Loading claims", read, listed)

    def _fill_lists(self, waiting: list[dict[str, Any]], own: list[dict[str, Any]]) -> None:
        chosen = self.selected_claim()
        self.waiting_claims, self.own_claims = waiting, own
        for table, claims in ((self.waiting, waiting), (self.mine, own)):
            _fill(
                table,
                [[c["name"], f"@{c['account']}", self.piece_label(c["piece"]), c["status"]] for c in claims],
                numeric_from=len(COLUMNS),
            )
        if chosen is not None:
            row = next((i for i, c in enumerate(waiting) if c["id"] == chosen["id"]), None)
            if row is not None:
                self.waiting.selectRow(row)
        self._on_waiting_selected()

    def selected_claim(self) -> dict[str, Any] | None:
        """The waiting claim selected in the list, if any."""
        rows = {i.row() for i in self.waiting.selectedIndexes()}
        if len(rows) != 1:
            return None
        row = rows.pop()
        return self.waiting_claims[row] if 0 <= row < len(self.waiting_claims) else None

    def _on_waiting_selected(self) -> None:
        claim = self.selected_claim()
        self.explain.setText(_what_confirm_does(claim, self.piece_label(claim["piece"])) if claim else "")
        self._update_buttons()

    def _on_busy_changed(self, busy: bool) -> None:
        self._update_buttons()
        if not busy and self._reload_pending:
            self._reload_pending = False
            self.refresh()

    def _update_buttons(self) -> None:
        idle, logged_in = not self.busy, bool(self.username)
        chosen = self.selected_claim() is not None
        self.refresh_button.setEnabled(idle and logged_in)
        self.confirm_button.setEnabled(idle and logged_in and chosen)
        self.reject_button.setEnabled(idle and logged_in and chosen)
        self.claim_button.setEnabled(idle and logged_in)

    # -- actions --------------------------------------------------------------------------------------
    def _on_claim_clicked(self) -> None:
        from studio.services import payouts

        if not self.username:
            self.status.setText(NOT_LOGGED_IN)
            return
        if self.busy:  # Enter in the name field while a call runs
            return
        piece, name = self.piece.text().strip(), self.name_to_claim()
        if not piece:
            self.status.setText("Choose the piece first: select it in the library, or paste its clip id.")
            return
        if not name:
            self.status.setText("Type the name as the piece credits it.")
            return
        pending = next(
            (
                c
                for c in self.own_claims
                if c["status"] == "pending"
                and c["name"].casefold() == name.casefold()
                and c["piece"].startswith(piece)
            ),
            None,
        )
        if pending is not None:
            self.status.setText(
                f"You already claimed “{name}” on {self.piece_label(pending['piece'])}: "
                "it waits for the publisher to confirm it."
            )
            return

        def claimed(doc: dict[str, Any]) -> None:
            self.name.setEditText("")
            self.refresh(
                f"Claimed “{doc['name']}” on {self.piece_label(doc['piece'])}: "
                "it waits for the piece's publisher to confirm it."
            )

        self._doing = "claim"
        self.run("Claiming the name", lambda: payouts.claim(piece, name), claimed, self._refresh_after)

    def _on_confirm_clicked(self) -> None:
        from studio.services import payouts

        claim = self.selected_claim()
        if claim is None or self.busy:
            return
        where = self.piece_label(claim["piece"])
        if not self._ask("Confirm the claim", _what_confirm_does(claim, where) + "\n\nConfirm it?"):
            return
        claim_id = claim["id"]

        def confirmed(doc: dict[str, Any]) -> None:
            self.claim_confirmed.emit(doc)
            self.refresh(f"Confirmed: “{doc['name']}” on {where} is now @{doc['account']}.")

        self._doing = "decide"
        self.run(
            "Confirming the claim", lambda: payouts.confirm_claim(claim_id), confirmed, self._refresh_after
        )

    def _on_reject_clicked(self) -> None:
        from studio.services import payouts

        claim = self.selected_claim()
        if claim is None or self.busy:
            return
        where = self.piece_label(claim["piece"])
        question = (
            f"Reject @{claim['account']}'s claim to “{claim['name']}” on {where}?\n\n"
            "The claim stays on record and links nothing; it can no longer be confirmed. "
            f"@{claim['account']} may claim the name again."
        )
        if not self._ask("Reject the claim", question):
            return
        claim_id = claim["id"]

        def rejected(doc: dict[str, Any]) -> None:
            self.refresh(f"Rejected @{doc['account']}'s claim to “{doc['name']}” on {where}.")

        self._doing = "decide"
        self.run("Rejecting the claim", lambda: payouts.reject_claim(claim_id), rejected, self._refresh_after)

    def _refresh_after(self, failure: str) -> None:
        """A refused action often means the lists are stale (decided elsewhere, another login): reload
        them, keeping the refusal in view."""
        self.refresh(then_say=failure)

    def _ask(self, title: str, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, escaped(text), parent=self)
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)  # Enter alone never decides for someone
        return box.exec() == QMessageBox.StandardButton.Yes

    # -- errors and keys ------------------------------------------------------------------------------
    def failure_text(self, exc: BaseException) -> str:
        """The failure in plain words: what it means for the person, then what the server said. A problem
        the server answered carries its HTTP `status`, and its message is the server's detail."""
        from studio.services.account import NotLoggedIn, OfflineError, network_reason

        status = getattr(exc, "status", None)
        if isinstance(exc, NotLoggedIn):
            return NOT_LOGGED_IN
        if isinstance(exc, OfflineError):
            return (
                f"The server cannot be reached ({network_reason(exc)}): check the connection, then Refresh."
            )
        if not isinstance(status, int):
            return str(exc)
        said = str(exc)
        if status == 401:
            return (
                "Your login is no longer valid (expired or revoked): "
                "connect again (Sync ▸ Connect to a server…)."
            )
        if status == 403 and self._doing == "decide":
            return (
                "Only the piece's publisher (or, in a private space, its owners) can confirm or reject "
                f"this claim, and the server says you are not: {said}."
            )
        if status == 409 and self._doing == "claim":
            return f"That name cannot be claimed: it is already taken. The server said: {said}."
        if status == 409 and self._doing == "decide":
            return f"This claim was already decided, or the name is taken. The server said: {said}."
        if status == 404 and self._doing == "claim":
            return f"Nothing to claim there. The server said: {said}."
        if status == 404:
            return f"The claim or its piece is not there any more. The server said: {said}."
        return f"The server refused: {said}."

    def event(self, event: QEvent) -> bool:
        """Delete deletes nothing here: the window's Delete removes timeline items or library clips, and
        would while the focus is in these lists. A key press no child took comes up here as a shortcut
        override first; taking it keeps the window's shortcut from firing (text fields take their own)."""
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() in _DELETE_KEYS
        ):
            event.accept()
            return True
        return super().event(event)


def _what_confirm_does(claim: dict[str, Any], where: str) -> str:
    account = claim["account"]
    return (
        f"Confirm makes “{claim['name']}” on {where} the account @{account} for good: the money held for "
        f"that name goes to @{account} (their statement shows it, the next proposal pays it)."
    )
