"""Plugs payouts and open calls into the main window: a Payouts dock (the selected piece's payouts and
"My earnings") beside the inspector, and the open calls under the library's Shared tab."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTabWidget

from studio.ui.calls_panel import CallsPanel
from studio.ui.payouts_panel import EarningsView, PayoutsPanel


def install(window: Any) -> None:
    """Build the panels, dock them and wire them to the library and the login (once the window's docks
    exist)."""
    window.payouts = PayoutsPanel()
    window.earnings = EarningsView()
    tabs = QTabWidget()
    tabs.addTab(window.payouts, "Payouts")
    tabs.addTab(window.earnings, "My earnings")
    window.payouts_tabs = tabs
    window.payouts_dock = window._dock("Payouts", tabs, "right")
    window.tabifyDockWidget(window.inspector_dock, window.payouts_dock)
    window.inspector_dock.raise_()
    window.calls = CallsPanel()
    window.library.layout().addWidget(window.calls)
    library = window.library

    def on_tab(_index: int) -> None:
        window.calls.setVisible(library.shared)
        if library.shared and window.sync.account is not None:
            window.calls.refresh()

    def on_account(account: Any) -> None:
        window.calls.username = account.username if account is not None else ""

    library.tabs.currentChanged.connect(on_tab)
    library.clip_selected.connect(window.payouts.set_piece)
    window.sync.account_changed.connect(on_account)
    on_account(window.sync.account)
    on_tab(library.tabs.currentIndex())
