"""A first session's rough edges, each driven as a person meets it: keys, focus, drags and dialogs."""

from __future__ import annotations

import secrets
from fractions import Fraction

import pytest
from PySide6.QtCore import Qt

from tests.sync.conftest import PASSWORD
from tests.ui.conftest import fake_sha

pytestmark = pytest.mark.qt


def _video_track(window, n: int = 0) -> str:
    return window.document.timeline.ordered_tracks("video")[n].id


def test_enter_in_the_welcome_connect_form_connects_and_says_so_in_the_window(qtbot, window, server):
    from studio.ui.welcome import WelcomeDialog

    dialog = WelcomeDialog(window, window.settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    form = dialog.connect_form
    form.server.setText(server.url)
    form.account.setText(f"new{secrets.token_hex(3)}")
    form.create_account.setChecked(True)
    form.password.setFocus()
    qtbot.keyClicks(form.password, PASSWORD)
    qtbot.keyClick(form.password, Qt.Key.Key_Return)
    assert not window.task_label.isVisible(), window.task_label.text()
    qtbot.waitUntil(lambda: window.sync.account is not None, timeout=20_000)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert window.message.text() == f"Connected to {server.url} as {form.account.text()}."


def test_pasting_a_linked_pair_with_the_keys_keeps_picture_and_sound_in_sync(qtbot, window, clips):
    window.catalog.add(clips.values())
    tl = window.timeline
    tl.place_clips([fake_sha(3)], _video_track(window), Fraction(9))  # a still on V1 at 9-14 s only
    (picture,) = tl.place_clips([fake_sha(1)], _video_track(window), Fraction(30))
    tl.select([picture], linked=True)
    tl.view.setFocus()
    qtbot.keyClick(tl.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    tl.set_playhead(Fraction(9))
    qtbot.keyClick(tl.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    pasted = [window.document.timeline.items[i] for i in tl.selected_ids()]
    kinds = sorted((window.document.timeline.tracks[i.track].kind, i.start) for i in pasted)
    assert kinds == [("audio", Fraction(14)), ("video", Fraction(14))]
