"""Plugs payouts and open calls into the main window: a Payouts dock (the selected piece's payouts, "My
earnings" and the name claims) beside the inspector, and the open calls under the library's Shared tab.

Both start hidden (the dock tabbed behind the inspector, the calls under a tab that is not chosen), so
their panels are built when first shown, not at start: the dock holds an empty page until its tab is
raised, and the calls panel is made when the Shared tab is first chosen. What they would have shown
meanwhile (the library's selected piece, the login's name) is kept and handed over when they are made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTabWidget

    from studio.core.clips import Clip
    from studio.ui.calls_panel import CallsPanel
    from studio.ui.claims_panel import ClaimsPanel
    from studio.ui.payouts_panel import EarningsView, PayoutsPanel


class PayoutsDocks:
    """The Payouts dock and the open calls of one window, each built on first show (or first use from
    code: `panels()`, `calls()`)."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.page = QWidget()
        self.page.setObjectName("payouts-page")
        QVBoxLayout(self.page).setContentsMargins(0, 0, 0, 0)
        from studio.ui.window_stages import make_dock

        self.dock = make_dock(window, "Payouts", self.page, "right")
        self._panels: tuple[PayoutsPanel, EarningsView, QTabWidget] | None = None
        self._claims: ClaimsPanel | None = None
        self._calls: CallsPanel | None = None
        self.piece = ""  # the library's last selected clip, for the payouts panel once it is made
        self.username = ""
        self.dock.visibilityChanged.connect(self._on_dock_visibility)
        library = window.library
        library.tabs.currentChanged.connect(self._on_library_tab)
        library.clip_selected.connect(self._on_clip_selected)
        window.sync.account_changed.connect(self._on_account)
        self._on_account(window.sync.account)

    @property
    def built(self) -> bool:
        return self._panels is not None

    @property
    def calls_built(self) -> bool:
        return self._calls is not None

    def panels(self) -> tuple[PayoutsPanel, EarningsView, QTabWidget]:
        """The Payouts, My earnings and Claims panels in their tabs, made on first use."""
        if self._panels is None:
            from PySide6.QtWidgets import QTabWidget

            from studio.ui.claims_panel import ClaimsPanel
            from studio.ui.payouts_panel import EarningsView, PayoutsPanel

            payouts, earnings, tabs = PayoutsPanel(), EarningsView(), QTabWidget()
            claims = ClaimsPanel(self._clip_for)
            tabs.addTab(payouts, "Payouts")
            tabs.addTab(earnings, "My earnings")
            tabs.addTab(claims, "Claims")
            layout = self.page.layout()
            assert layout is not None
            layout.addWidget(tabs)
            self._panels, self._claims = (payouts, earnings, tabs), claims
            claims.claim_confirmed.connect(lambda _doc: earnings.refresh())  # held money moved
            claims.connect_requested.connect(self.window.show_connect)
            if self.piece:
                payouts.set_piece(self.piece)
                claims.set_piece(self.piece)
            claims.set_account(self.username)
        return self._panels

    def claims(self) -> ClaimsPanel:
        """The Claims panel (its tab made with the others on first use)."""
        self.panels()
        assert self._claims is not None
        return self._claims

    def calls(self) -> CallsPanel:
        """The open calls under the library's list, made on first use."""
        if self._calls is None:
            from studio.ui.calls_panel import CallsPanel

            library = self.window.library
            self._calls = CallsPanel(self.username)
            library.layout().addWidget(self._calls)  # in place before shown: never a window of its own
            self._calls.setVisible(library.shared)
        return self._calls

    def _on_dock_visibility(self, visible: bool) -> None:
        if visible:
            self.panels()

    def _on_library_tab(self, _index: int) -> None:
        library = self.window.library
        if not library.shared and self._calls is None:
            return
        calls = self.calls()
        calls.setVisible(library.shared)
        if library.shared and self.window.sync.account is not None:
            calls.refresh()

    def _on_clip_selected(self, clip_id: str) -> None:
        self.piece = clip_id or self.piece
        if self._panels is not None:
            self._panels[0].set_piece(clip_id)
            self.claims().set_piece(clip_id)

    def _on_account(self, account: Any) -> None:
        self.username = account.username if account is not None else ""
        if self._calls is not None:
            self._calls.username = self.username
        if self._claims is not None:
            self._claims.set_account(self.username)

    def _clip_for(self, piece: str) -> Clip | None:
        """The library's clip for a piece id (a public claim id `<sha256>-<hex>` names its media first)."""
        catalog = self.window.catalog
        found: Clip | None = (
            catalog.shared.get(piece) or catalog.clips.get(piece) or catalog.clips.get(piece[:64])
        )
        return found


def install(window: Any) -> PayoutsDocks:
    """Dock the Payouts page beside the inspector and wire the panels to the library and the login (once
    the window's docks exist); the panels themselves are made when first shown."""
    docks = PayoutsDocks(window)
    window.payouts_dock = docks.dock
    window.tabifyDockWidget(window.inspector_dock, docks.dock)
    window.inspector_dock.raise_()
    return docks
