"""A change the server refuses is listed in the Conflicts panel with its reason, and giving it up from
there removes it: the app against a live server on loopback, the squatter a CLI process of its own."""

from __future__ import annotations

import secrets

import pytest
from PySide6.QtCore import Qt

from tests.sync.conftest import PASSWORD, Client, noise_wav
from tests.ui.helpers import on_next_dialog

pytestmark = [pytest.mark.qt]


def test_a_refused_publish_is_listed_and_can_be_given_up(qtbot, window, server, tmp_path):
    media = noise_wav(tmp_path / "shared.wav", 0.2, seed=31)
    squatter = Client(tmp_path / "mallory", "mallory").signup(server.url)
    done = squatter.cli("publish", str(media), "--creator", "Mallory:camera", "--licence", "CC-BY-4.0")
    assert done.returncode == 0, done.stderr

    def fill(dialog) -> None:
        dialog.form.server.setText(server.url)
        dialog.form.account.setText(f"ui{secrets.token_hex(3)}")
        dialog.form.password.setText(PASSWORD)
        dialog.form.create_account.setChecked(True)
        qtbot.mouseClick(dialog.form.connect_button, Qt.MouseButton.LeftButton)

    on_next_dialog(fill)
    window.actions_by_name["sync_connect"].trigger()
    controller = window.sync
    qtbot.waitUntil(lambda: controller.sync_task is None, timeout=60_000)

    from studio.core.clips import Credit
    from studio.ui.import_dialog import ImportRequest

    window.start_import(ImportRequest([media], title="Mine", credits=[Credit("Ann", ("camera",))],
                                      licence="CC-BY-4.0"))  # fmt: skip
    qtbot.waitUntil(lambda: "Mine" in window.library.visible_titles(), timeout=60_000)
    window.library.select_titles(["Mine"])
    qtbot.mouseClick(window.library.publish_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: controller.sync_task is None and "refused" in window.message.text(), timeout=60_000
    )

    panel = window.conflicts
    window.actions_by_name["sync_now"].trigger()
    qtbot.waitUntil(lambda: bool(panel.refused), timeout=60_000)
    rows = [panel.list.item(i).text() for i in range(panel.list.count())]
    [row] = [i for i, text in enumerate(rows) if text.startswith("Refused by the server")]
    assert "belongs to someone else" in rows[row]
    panel.list.setCurrentRow(row)
    buttons = {panel.choices.itemAt(i).widget().text(): panel.choices.itemAt(i).widget() for i in range(2)}
    qtbot.mouseClick(buttons["Give up this change"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.refused and controller.sync_task is None, timeout=60_000)
