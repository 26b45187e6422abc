"""Text from other people (clip titles, signer names, server messages) shows literally in the app's labels,
tooltips and message boxes: no markup is interpreted, and control characters and bidirectional overrides
are shown as escapes instead of acting on the text around them."""

from __future__ import annotations

from typing import Any

import pytest

from studio.core.clips import Clip, Credit

pytestmark = pytest.mark.qt

HOSTILE = '<b>x</b>\u202e<img src="http://example.invalid/t.png">\x00\x1b[31m'
SHOWN = '<b>x</b>\\u202e<img src="http://example.invalid/t.png">\\x00\\x1b[31m'
"""What the user must see: every character of the markup, and the controls as escapes."""


def rendered(rich_or_plain: str, plain: bool) -> str:
    """The characters Qt puts on screen for a label's or tooltip's text, read back with Qt's own parser."""
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    if plain:
        doc.setPlainText(rich_or_plain)
    else:
        doc.setHtml(rich_or_plain)
    return doc.toPlainText()


def label_shows(label: Any) -> str:
    from PySide6.QtCore import Qt

    assert label.textFormat() == Qt.TextFormat.PlainText, "a label with others' text must not guess rich text"
    return rendered(label.text(), plain=True)


def hostile_clip() -> Clip:
    return Clip(
        id="ab" * 32, title=HOSTILE, kind="audio", duration=None, credits=(Credit("Ann"),), licence="CC0-1.0"
    )


def test_a_hostile_title_shows_literally_in_the_inspector_and_the_library_tooltip(qtbot, qapp) -> None:
    from PySide6.QtCore import Qt

    from studio.ui.catalog import ClipCatalog
    from studio.ui.inspector_dock import InspectorDock
    from studio.ui.library_dock import LibraryModel

    catalog = ClipCatalog()
    clip = hostile_clip()
    parent = Clip(id="cd" * 32, title="Remix of " + HOSTILE, kind="audio", duration=None, lineage=(clip.id,))
    catalog.clips = {clip.id: clip, parent.id: parent}
    dock = InspectorDock(catalog)
    qtbot.addWidget(dock)
    dock.show_clip(parent)
    assert label_shows(dock.heading) == "Remix of " + SHOWN
    assert label_shows(dock.remixes) == SHOWN
    dock.show_clip(clip)
    assert label_shows(dock.remixed_by) == "Remix of " + SHOWN

    model = LibraryModel(catalog)
    row = next(i for i in range(model.rowCount()) if model.rows[i].id == clip.id)
    tip = model.data(model.index(row), Qt.ItemDataRole.ToolTipRole)
    assert rendered(tip, plain=False).split("\n") == [SHOWN, "Ann", "CC0-1.0"]


def test_a_hostile_signer_and_server_message_show_literally(qtbot, qapp) -> None:
    from studio.services.sync_status import ERROR, SyncStatus, SyncStatusModel
    from studio.ui.signature_badge import SignatureBadge
    from studio.ui.sync_panel import StatusBridge, SyncBadge

    badge = SignatureBadge()
    qtbot.addWidget(badge)
    badge.clip_id = "c1"
    badge._on_verified("c1", {"state": "trusted", "signer": HOSTILE})
    assert label_shows(badge).endswith("signed by " + SHOWN)
    revoked_source = {"title": HOSTILE, "signed": True, "revoked_at": "2026-12-01T10:00:00Z"}
    badge._on_verified("c1", {"state": "trusted", "signer": "Cy", "ingredients": [revoked_source]})
    assert label_shows(badge).endswith("signed by Cy; sources signed with a revoked certificate: " + SHOWN)

    model = SyncStatusModel()
    bridge = StatusBridge(model)
    sync_badge = SyncBadge(bridge)
    qtbot.addWidget(sync_badge)
    sync_badge._on_status_changed(SyncStatus(state=ERROR, reason=HOSTILE))
    assert label_shows(sync_badge.text).startswith("Sync error: <b>x</b>\\u202e<img")
    assert rendered(sync_badge.toolTip(), plain=False) == SHOWN
    bridge.close()


def test_escaped_rich_text_keeps_line_breaks_and_shows_entities_literally(qapp) -> None:
    from studio.ui.untrusted import escaped

    text = "Remove “a &amp; b” <i>and</i>\nits media?\u2066"
    assert rendered(escaped(text), plain=False) == "Remove “a &amp; b” <i>and</i>\nits media?\\u2066"
