"""The Payouts panel for a published piece (record revenue, propose, lines, comments, finalize) and the
"My earnings" view (the logged-in account's statement, exportable as CSV).

Every server call runs on the network pool; results come back by signal, so the window never waits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.display import shown
from studio.ui import tasks
from studio.ui.untrusted import PlainLabel

LINE_COLUMNS = ("Contributor", "Account", "Share", "Amount", "Owed before", "Paid", "Carried")
STATEMENT_COLUMNS = ("Finalized", "Piece", "As", "Amount", "Paid", "Carried")


def _table(columns: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: list[list[str]], numeric_from: int) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(shown(text))  # names and notes from other accounts
            if c >= numeric_from:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)


class _NetworkWidget(QWidget):
    """A widget whose server calls run on the network pool and report to its status line."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = PlainLabel()
        self.status.setWordWrap(True)
        self.busy = False

    def run(
        self,
        label: str,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[str], None] | None = None,
    ) -> None:
        """Run fn on the network pool; its result goes to on_done, its failure (in words) to the status
        line and to on_failed."""
        self._set_busy(True)
        self.status.setText(f"{label}…")

        def done(result: Any) -> None:
            self._set_busy(False)
            self.status.setText("")
            on_done(result)

        def failed(exc: BaseException) -> None:
            self._set_busy(False)
            text = self.failure_text(exc)
            self.status.setText(text)
            if on_failed is not None:
                on_failed(text)

        tasks.submit(
            "network",
            lambda _ctx: fn(),
            name=label,
            on_done=done,
            on_failed=failed,
            on_cancelled=lambda: self._set_busy(False),
            owner=self,
        )

    def failure_text(self, exc: BaseException) -> str:
        """What the status line says when a call fails (a panel may put it in plainer words)."""
        return str(exc)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busy_changed.emit(busy)


class PayoutsPanel(_NetworkWidget):
    """One published piece's payouts: revenue, the open or latest proposal, its comments."""

    proposal_shown = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.piece = QLineEdit()
        self.piece.setPlaceholderText("published piece: select it in the library, or paste its clip id")
        self.load_button = QPushButton("Load")
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("100.00")
        self.currency = QLineEdit("EUR")
        self.currency.setMaxLength(3)
        self.currency.setFixedWidth(56)
        self.note = QLineEdit()
        self.note.setPlaceholderText("note (optional)")
        self.record_button = QPushButton("Record revenue")
        from studio.services.payouts import DEFAULT_REVIEW_DAYS, MAX_REVIEW_DAYS

        self.review_days = QSpinBox()
        self.review_days.setRange(0, MAX_REVIEW_DAYS)
        self.review_days.setValue(DEFAULT_REVIEW_DAYS)
        self.review_days.setSuffix(" days review")
        self.minimum = QLineEdit("0")
        self.minimum.setFixedWidth(80)
        self.minimum.setToolTip("lines below this are carried to the contributor's balance, not paid now")
        self.propose_button = QPushButton("Propose")
        self.summary = PlainLabel("No piece loaded.")
        self.summary.setWordWrap(True)
        self.lines = _table(LINE_COLUMNS)
        self.comments = QListWidget()
        self.comment_text = QLineEdit()
        self.comment_text.setPlaceholderText("comment on this proposal")
        self.comment_button = QPushButton("Comment")
        self.finalize_button = QPushButton("Finalize")
        self.proposal: dict[str, Any] | None = None
        self.listing: dict[str, Any] | None = None

        top = QHBoxLayout()
        top.addWidget(self.piece, 1)
        top.addWidget(self.load_button)
        money = QHBoxLayout()
        money.addWidget(self.amount, 1)
        money.addWidget(self.currency)
        money.addWidget(self.record_button)
        propose = QHBoxLayout()
        propose.addWidget(self.review_days)
        propose.addWidget(QLabel("minimum"))
        propose.addWidget(self.minimum)
        propose.addWidget(self.propose_button)
        propose.addStretch(1)
        form = QFormLayout()
        form.addRow("Revenue", money)
        form.addRow("", self.note)
        form.addRow("Proposal", propose)
        talk = QHBoxLayout()
        talk.addWidget(self.comment_text, 1)
        talk.addWidget(self.comment_button)
        talk.addWidget(self.finalize_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.lines, 2)
        layout.addWidget(QLabel("Comments"))
        layout.addWidget(self.comments, 1)
        layout.addLayout(talk)
        layout.addWidget(self.status)

        self.load_button.clicked.connect(self.reload)
        self.piece.returnPressed.connect(self.reload)
        self.record_button.clicked.connect(self._on_record_clicked)
        self.propose_button.clicked.connect(self._on_propose_clicked)
        self.comment_button.clicked.connect(self._on_comment_clicked)
        self.comment_text.returnPressed.connect(self._on_comment_clicked)
        self.finalize_button.clicked.connect(self._on_finalize_clicked)
        self.busy_changed.connect(lambda _b: self._update_buttons())
        self._update_buttons()

    def set_piece(self, clip_id: str) -> None:
        """Show the payouts of a clip (called when a clip is selected in the library)."""
        if clip_id and clip_id != self.piece.text().strip():
            self.piece.setText(clip_id)
            self.proposal = self.listing = None
            self._show()

    def reload(self) -> None:
        from studio.services import payouts

        piece = self.piece.text().strip()
        if piece:
            self.run("Loading payouts", lambda: payouts.proposals(piece), self._on_listing)

    def _on_listing(self, listing: dict[str, Any]) -> None:
        self.listing = listing
        found = listing.get("proposals") or []
        self.proposal = found[0] if found else None
        if listing.get("currency"):
            self.currency.setText(listing["currency"])
        self._show()

    def _on_record_clicked(self) -> None:
        from studio.services import payouts

        piece, amount, currency = self.piece.text().strip(), self.amount.text().strip(), self.currency.text()
        note = self.note.text().strip()
        if not piece or not amount:
            self.status.setText("give the piece and an amount first")
            return

        def recorded(doc: dict[str, Any]) -> None:
            self.amount.clear()
            self.note.clear()
            self.reload()

        self.run("Recording revenue", lambda: payouts.record_revenue(piece, amount, currency, note), recorded)

    def _on_propose_clicked(self) -> None:
        from studio.services import payouts

        piece, days, minimum = (
            self.piece.text().strip(),
            self.review_days.value(),
            self.minimum.text().strip(),
        )
        self.run("Proposing", lambda: payouts.propose(piece, days, minimum or "0"), self._on_proposal)

    def _on_comment_clicked(self) -> None:
        from studio.services import payouts

        text = self.comment_text.text().strip()
        if self.proposal is None or not text:
            return
        pid = self.proposal["id"]

        def said(doc: dict[str, Any]) -> None:
            self.comment_text.clear()
            self._on_proposal(doc)

        self.run("Commenting", lambda: payouts.comment(pid, text), said)

    def _on_finalize_clicked(self) -> None:
        from studio.services import payouts

        if self.proposal is not None:
            pid = self.proposal["id"]
            self.run("Finalizing", lambda: payouts.finalize(pid), self._on_proposal)

    def _on_proposal(self, doc: dict[str, Any]) -> None:
        self.proposal = doc
        if self.listing is not None:
            others = [p for p in self.listing.get("proposals", []) if p["id"] != doc["id"]]
            self.listing = {**self.listing, "proposals": [doc, *others]}
        self._show()
        self.reload()

    def _show(self) -> None:
        doc = self.proposal
        listing = self.listing or {}
        unproposed = listing.get("unproposed")
        waiting = f" {unproposed} {listing.get('currency')} waits for a proposal." if unproposed else ""
        if doc is None:
            self.summary.setText(("No proposal yet." + waiting) if self.listing else "No piece loaded.")
            self.lines.setRowCount(0)
            self.comments.clear()
        else:
            state = (
                "final, paid" if doc["status"] == "final" else f"open for comments until {doc['review_ends']}"
            )
            self.summary.setText(
                f"Proposal {doc['id'][:8]}: {doc['revenue']} {doc['currency']}, {state}; "
                f"minimum {doc['minimum']}.{waiting}"
            )
            _fill(
                self.lines,
                [
                    [
                        line["name"],
                        f"@{line['account']}" if line["account"] else "unclaimed",
                        f"{line['share_bp'] / 100:.2f} %",
                        line["amount"],
                        line["balance"],
                        line["paid"],
                        line["carried"],
                    ]
                    for line in doc["lines"]
                ],
                numeric_from=2,
            )
            self.comments.clear()
            for c in doc["comments"]:
                self.comments.addItem(f"{c['author']} · {c['at']}\n{c['text']}")
        self.proposal_shown.emit(doc or {})
        self._update_buttons()

    def _update_buttons(self) -> None:
        idle = not self.busy
        manage = bool(self.listing and self.listing.get("may_manage"))
        is_open = self.proposal is not None and self.proposal["status"] == "open"
        self.load_button.setEnabled(idle)
        self.record_button.setEnabled(idle and manage)
        self.propose_button.setEnabled(idle and manage and not is_open)
        window_over = is_open and _passed(str((self.proposal or {}).get("review_ends", "")))
        self.finalize_button.setEnabled(idle and manage and window_over)
        self.finalize_button.setToolTip(
            "" if window_over or not is_open else "the review window is still open: comments come first"
        )
        self.comment_button.setEnabled(idle and is_open)


def _passed(moment: str) -> bool:
    """True once the ISO 8601 UTC time `moment` is behind us (the server decides; this only greys out)."""
    try:
        return datetime.fromisoformat(moment.replace("Z", "+00:00")) <= datetime.now(UTC)
    except ValueError:
        return True


class EarningsView(_NetworkWidget):
    """The logged-in account's statement: lines across final proposals, paid and carried."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.refresh_button = QPushButton("Refresh")
        self.export_button = QPushButton("Export CSV…")
        self.totals = PlainLabel("Not loaded.")
        self.table = _table(STATEMENT_COLUMNS)
        self.unclaimed = QListWidget()
        self.unclaimed.setMaximumHeight(90)
        self.statement: dict[str, Any] | None = None
        buttons = QHBoxLayout()
        buttons.addWidget(self.totals, 1)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel("Held for names nobody has claimed (pieces you publish)"))
        layout.addWidget(self.unclaimed)
        layout.addWidget(self.status)
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.export_button.setEnabled(False)

    def refresh(self) -> None:
        from studio.services import payouts

        self.run("Loading your statement", payouts.statement, self._on_statement)

    def _on_statement(self, doc: dict[str, Any]) -> None:
        self.statement = doc
        _fill(
            self.table,
            [
                [
                    x["at"],
                    x["piece"][:12],
                    x["name"],
                    f"{x['amount']} {x['currency']}",
                    x["paid"],
                    x["carried"],
                ]
                for x in doc["lines"]
            ],
            numeric_from=3,
        )
        totals = [f"paid {t['paid']} {cur}, carried {t['carried']} {cur}" for cur, t in doc["totals"].items()]
        self.totals.setText(f"@{doc['account']}: " + ("; ".join(totals) or "nothing earned yet"))
        self.unclaimed.clear()
        for u in doc["unclaimed"]:
            self.unclaimed.addItem(f"{u['name']}: {u['held']} {u['currency']} held on {u['piece'][:12]}")
        self.export_button.setEnabled(True)

    def _on_export_clicked(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Export statement", "statement.csv", "CSV (*.csv)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        from studio.services import payouts

        doc = self.statement
        if doc is None:
            return
        self.run(
            "Writing the CSV",
            lambda: payouts.write_csv(path, payouts.statement_csv(doc)),
            lambda written: self.status.setText(f"statement written to {written}"),
        )
