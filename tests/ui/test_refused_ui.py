"""A change the server refuses is listed in the Conflicts panel with its reason, and giving it up from
there removes it: the app against a live server on loopback, a collaborator a CLI machine of its own.

The refusal is a real one: this data folder mints ops under a collaborator's client id (as a folder copied
from that collaborator's machine would), which the server refuses as pushed on another's behalf."""

from __future__ import annotations

import secrets
from fractions import Fraction

import pytest
from PySide6.QtCore import Qt

from tests.sync.conftest import PASSWORD, Client
from tests.ui.helpers import sign_up_from_the_menu

pytestmark = [pytest.mark.qt]


def test_a_refused_change_is_listed_and_can_be_given_up(qtbot, window, server, tmp_path):
    from studio.core import edits
    from studio.core.project import ProjectSession, create_project
    from studio.core.store import Store
    from studio.services import sync as svc

    user = f"ui{secrets.token_hex(3)}"

    sign_up_from_the_menu(qtbot, window, server.url, user, PASSWORD)
    controller = window.sync
    qtbot.waitUntil(lambda: controller.sync_task is None, timeout=60_000)

    mallory = Client(tmp_path / "mallory", "mallory").signup(server.url)
    with mallory.store() as store:
        create_project(store, "Shared cut")
        ProjectSession.open(store, "Shared cut").apply(
            "V1", lambda tl: edits.add_track(tl, "video", "V1", track_id="v1")
        )
        foreign, counter = store.client_id, store.get_meta("counter")
    mallory.call(svc.share_project, "Shared cut", user, "editor")
    window.actions_by_name["sync_now"].trigger()
    qtbot.waitUntil(lambda: controller.sync_task is None, timeout=60_000)

    store = Store()
    try:
        store.set_meta("client_id", foreign)
        store.set_meta("counter", str(counter))
    finally:
        store.close()
    store = Store()
    try:
        ProjectSession.open(store, "Shared cut").apply(
            "forged",
            lambda tl: edits.add_title(
                tl, "V1", "forged", at=Fraction(5), duration=Fraction(1), item_id="forged"
            ),
        )
    finally:
        store.close()

    panel = window.conflicts
    window.actions_by_name["sync_now"].trigger()
    qtbot.waitUntil(lambda: bool(panel.refused) and controller.sync_task is None, timeout=60_000)
    rows = [panel.list.item(i).text() for i in range(panel.list.count())]
    [row] = [i for i, text in enumerate(rows) if text.startswith("Refused by the server")]
    assert "belongs to another account" in rows[row]
    panel.list.setCurrentRow(row)
    buttons = {panel.choices.itemAt(i).widget().text(): panel.choices.itemAt(i).widget() for i in range(2)}
    qtbot.mouseClick(buttons["Give up this change"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.refused and controller.sync_task is None, timeout=60_000)
