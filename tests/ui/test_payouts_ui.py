"""The Payouts panel, "My earnings" and open calls in the app, against a live server: revenue recorded,
proposed, commented and finalized from the panel; the statement shown and exported as CSV; a call answered
by dropping a library clip on it. What the panels show is checked against the server's own answers."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent

from studio.core.store import Store
from studio.protocol import ledger_api as paths
from studio.services import sync as svc
from studio.services.library import import_files, parse_creator
from studio.ui.timeline.view import CLIPS_MIME
from tests import mediagen
from tests.server.conftest import signup, unique
from tests.sync.conftest import PASSWORD

pytestmark = pytest.mark.qt


def column(table, c: int) -> list[str]:
    return [table.item(r, c).text() for r in range(table.rowCount())]


def test_payouts_panel_earnings_and_answering_a_call_by_drop(qtbot, window, server, tmp_path):
    me = unique("alice")
    svc.signup(server.url, me, PASSWORD)
    bob = signup(server.url, unique("bob"))
    with Store() as store:
        clip = import_files(
            store,
            [mediagen.make_audio(tmp_path / "tone.wav", 1, frequency=337)],
            title="tone",
            creators=[
                parse_creator(f"{me}:music"),
                parse_creator(f"@{bob.username}:mix"),
                parse_creator("Cy Ko"),
            ],
            licence="CC-BY-4.0",
        )[0].clip
    assert svc.publish_clip(clip.id)["rev"] is not None  # a refused push leaves no revision

    panel = window.payouts
    panel.set_piece(clip.id)
    panel.load_button.click()
    qtbot.waitUntil(lambda: panel.listing is not None and not panel.busy, timeout=30_000)
    assert panel.record_button.isEnabled() and not panel.finalize_button.isEnabled()
    panel.amount.setText("0.07")
    panel.currency.setText("EUR")
    panel.record_button.click()
    qtbot.waitUntil(
        lambda: (panel.listing or {}).get("unproposed") == "0.07" and not panel.busy, timeout=30_000
    )
    panel.review_days.setValue(0)
    panel.propose_button.click()
    qtbot.waitUntil(lambda: panel.proposal is not None and not panel.busy, timeout=30_000)
    pid = panel.proposal["id"]
    truth = bob.get(paths.PROPOSAL.format(proposal_id=pid)).json()
    assert column(panel.lines, 0) == [line["name"] for line in truth["lines"]]
    assert column(panel.lines, 3) == [line["amount"] for line in truth["lines"]] == ["0.03", "0.02", "0.02"]
    assert column(panel.lines, 5) == [line["paid"] for line in truth["lines"]] == ["0.03", "0.02", "0.00"]
    assert column(panel.lines, 1) == [f"@{me}", f"@{bob.username}", "unclaimed"]

    assert (
        bob.post(paths.PROPOSAL_COMMENTS.format(proposal_id=pid), json={"text": "ok from bob"}).status_code
        == 201
    )
    panel.comment_text.setText("thanks all")
    panel.comment_button.click()
    qtbot.waitUntil(lambda: panel.comments.count() == 2 and not panel.busy, timeout=30_000)
    assert "ok from bob" in panel.comments.item(0).text() and "thanks all" in panel.comments.item(1).text()
    assert panel.finalize_button.isEnabled()
    panel.finalize_button.click()
    qtbot.waitUntil(
        lambda: (panel.proposal or {}).get("status") == "final" and not panel.busy, timeout=30_000
    )
    assert "final" in panel.summary.text() and not panel.finalize_button.isEnabled()

    earnings = window.earnings
    earnings.refresh_button.click()
    qtbot.waitUntil(lambda: earnings.statement is not None and not earnings.busy, timeout=30_000)
    assert earnings.table.rowCount() == 1 and column(earnings.table, 4) == ["0.03"]
    assert "paid 0.03 EUR" in earnings.totals.text()
    assert "Cy Ko" in earnings.unclaimed.item(0).text()
    earnings.export_to(str(tmp_path / "me.csv"))
    qtbot.waitUntil(lambda: "written" in earnings.status.text(), timeout=30_000)
    with open(tmp_path / "me.csv", newline="") as fh:
        assert [(r["account"], r["paid"]) for r in csv.DictReader(fh)] == [(me, "0.03")]

    due = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    made = bob.post(paths.CALLS, json={"space": "public", "brief": f"tones {unique('c')}", "due": due})
    assert made.status_code == 201
    window.sync.load_account()  # the login was made after the window started
    qtbot.waitUntil(lambda: window.sync.account is not None, timeout=30_000)
    window.library.tabs.setCurrentIndex(1)
    calls = window.calls
    assert calls.isVisible()
    qtbot.waitUntil(
        lambda: any(c["id"] == made.json()["id"] for c in calls.found) and not calls.busy, timeout=30_000
    )
    row = next(i for i, c in enumerate(calls.found) if c["id"] == made.json()["id"])
    calls.calls.setCurrentRow(row)
    mime = QMimeData()
    mime.setData(CLIPS_MIME, json.dumps([clip.id]).encode())
    rect = calls.calls.visualItemRect(calls.calls.item(row))
    drop = QDropEvent(
        QPointF(rect.center()),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    calls.calls.dropEvent(drop)
    qtbot.waitUntil(lambda: "answered with 1 clip" in calls.status.text(), timeout=30_000)
    seen = bob.get(paths.CALL.format(call_id=made.json()["id"])).json()
    assert [(a["clip"], a["by"]) for a in seen["answers"]] == [(clip.id, me)]
