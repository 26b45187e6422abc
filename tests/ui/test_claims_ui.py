"""The Claims tab of the Payouts dock against a live server: a name credited before its person had an
account is claimed from the panel, its piece's publisher confirms one claim and rejects another by
clicking, the held money moves (checked in the server's own statements), and a confirm sent under
another account is refused in plain words. The accounts take turns on this machine's login, as people
sharing a computer (or the CLI logging in meanwhile) would."""

from __future__ import annotations

from fractions import Fraction

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from studio.core.clips import Clip, Credit
from studio.core.store import Store
from studio.services import payouts
from studio.services import sync as svc
from studio.services.library import import_files, parse_creator
from studio.ui.claims_panel import ClaimsPanel
from tests import mediagen
from tests.server.conftest import ServerProcess, unique
from tests.sync.conftest import PASSWORD
from tests.ui.helpers import on_next_dialog

pytestmark = pytest.mark.qt


def column(table, c: int) -> list[str]:
    return [table.item(r, c).text() for r in range(table.rowCount())]


def answer(button: QMessageBox.StandardButton, seen: list[str]):
    """A dialog handler that keeps the question's text and clicks `button`."""

    def click(box) -> None:
        seen.append(box.text())
        box.button(button).click()

    return click


def show_claims_tab(qtbot, window):
    """The Claims panel, shown as a person reaches it: the Payouts dock raised, its Claims tab clicked."""
    window.payouts_dock.raise_()
    tabs = window.payouts_tabs
    bar = tabs.tabBar()
    index = next(i for i in range(tabs.count()) if tabs.tabText(i) == "Claims")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    claims = window.payout_docks.claims()
    qtbot.waitUntil(claims.isVisible, timeout=5_000)
    return claims


def publish_tone(tmp_path, title: str, credits: list[str], frequency: int) -> Clip:
    """A half-second tone imported with `credits` ("Name:role") and published by the logged-in account."""
    with Store() as store:
        clip = import_files(
            store,
            [mediagen.make_audio(tmp_path / f"{title}.wav", 0.5, channels=1, frequency=frequency)],
            title=title,
            creators=[parse_creator(credit) for credit in credits],
            licence="CC-BY-4.0",
        )[0].clip
    assert svc.publish_clip(clip.id)["rev"] is not None
    return clip


def log_in_app(qtbot, window, url: str, user: str) -> None:
    """Log this machine in as `user` and let the app (and the Claims tab) notice, as at its start."""
    claims = window.payout_docks.claims()
    svc.login(url, user, PASSWORD)
    window.sync.load_account()
    qtbot.waitUntil(lambda: claims.me == user and not claims.busy, timeout=30_000)


def test_claim_confirm_reject_and_an_outsider_refused_from_the_claims_tab(qtbot, window, server, tmp_path):
    bob, cy, eve = unique("bob"), unique("cy"), unique("eve")
    claims = show_claims_tab(qtbot, window)

    # Logged out: the tab says so and its button opens the connect form.
    assert "Not logged in" in claims.notice.text() and not claims.claim_button.isEnabled()
    forms: list[str] = []
    on_next_dialog(lambda d: (forms.append(type(d).__name__), d.reject()))
    qtbot.mouseClick(claims.connect_button, Qt.MouseButton.LeftButton)
    assert forms == ["ConnectDialog"]

    # bob publishes a piece crediting two people without accounts; its revenue is split and final.
    svc.signup(server.url, bob, PASSWORD)
    clip = publish_tone(tmp_path, "tone", [f"{bob}:music", "Cy Ko:voice", "Di Lu"], 523)
    payouts.record_revenue(clip.id, "0.09", "EUR")
    proposal = payouts.finalize(payouts.propose(clip.id, 0)["id"])
    assert [line["paid"] for line in proposal["lines"]] == ["0.03", "0.00", "0.00"]  # two held

    # cy signs up on this machine, selects the piece in the library and claims "Cy Ko" with Enter.
    svc.signup(server.url, cy, PASSWORD)
    window.sync.load_account()
    qtbot.waitUntil(lambda: claims.me == cy and not claims.busy, timeout=30_000)
    assert claims.connect_button.isHidden() and claims.claim_button.isEnabled()
    window.catalog.reload()
    qtbot.waitUntil(lambda: clip.id in window.catalog.clips, timeout=30_000)
    library = window.library
    row = next(r for r in range(library.proxy.rowCount()) if library.proxy.index(r, 0).data() == "tone")
    qtbot.mouseClick(
        library.list.viewport(),
        Qt.MouseButton.LeftButton,
        pos=library.list.visualRect(library.proxy.index(row, 0)).center(),
    )
    assert claims.piece.text() == clip.id and claims.piece_title.text() == "tone"
    offered = [claims.name.itemText(i) for i in range(claims.name.count())]
    assert offered == ["Cy Ko", "Di Lu"]  # bob's own credit is his account's: not claimable
    claims.name.setCurrentIndex(0)
    qtbot.keyClick(claims.name.lineEdit(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(claims.own_claims) == 1 and not claims.busy, timeout=30_000)
    assert "waits for the piece's publisher" in claims.status.text()
    claims.name.setEditText("Di Lu")
    qtbot.mouseClick(claims.claim_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(claims.own_claims) == 2 and not claims.busy, timeout=30_000)
    assert column(claims.mine, 0) == ["Cy Ko", "Di Lu"]
    assert column(claims.mine, 1) == [f"@{cy}"] * 2
    assert column(claims.mine, 2) == ["tone"] * 2 and column(claims.mine, 3) == ["pending"] * 2
    claims.name.setEditText("cy ko")
    qtbot.mouseClick(claims.claim_button, Qt.MouseButton.LeftButton)  # a second claim of the same name
    assert "already claimed" in claims.status.text() and not claims.busy
    claims.name.setEditText(bob)  # credited to bob's account: the server refuses
    qtbot.mouseClick(claims.claim_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not claims.busy, timeout=30_000)
    assert claims.status.text().startswith("That name cannot be claimed: it is already taken")
    assert len(claims.own_claims) == 2

    # bob sees both claims waiting, with what Confirm does, and confirms cy's "Cy Ko" by clicking.
    log_in_app(qtbot, window, server.url, bob)
    earnings = window.earnings
    earnings.refresh()
    qtbot.waitUntil(lambda: earnings.statement is not None and not earnings.busy, timeout=30_000)
    held = [earnings.unclaimed.item(i).text() for i in range(earnings.unclaimed.count())]
    assert sorted(held) == [
        f"Cy Ko: 0.03 EUR held on {clip.id[:12]}",
        f"Di Lu: 0.03 EUR held on {clip.id[:12]}",
    ]
    assert column(claims.waiting, 0) == ["Cy Ko", "Di Lu"] and column(claims.waiting, 1) == [f"@{cy}"] * 2
    assert column(claims.waiting, 3) == ["pending"] * 2 and not claims.confirm_button.isEnabled()
    claims.waiting.selectRow(0)
    assert "the money held for that name goes to @" + cy in claims.explain.text()
    asked: list[str] = []
    shown_before = earnings.statement
    on_next_dialog(answer(QMessageBox.StandardButton.Yes, asked))
    qtbot.mouseClick(claims.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(claims.waiting_claims) == 1 and not claims.busy, timeout=30_000)
    assert "Cy Ko" in asked[0] and f"@{cy}" in asked[0] and "money held" in asked[0]
    assert claims.status.text() == f"Confirmed: “Cy Ko” on tone is now @{cy}."
    qtbot.waitUntil(lambda: earnings.statement is not shown_before and not earnings.busy, timeout=30_000)
    assert [u["name"] for u in earnings.statement["unclaimed"]] == ["Di Lu"]  # My earnings refreshed
    assert [u["name"] for u in payouts.statement()["unclaimed"]] == ["Di Lu"]  # the server's own answer

    # Delete in the list removes nothing: not the claim, and not the selected timeline item the window's
    # Delete would remove from anywhere else.
    (item,) = window.timeline.place_clips(
        [clip.id], window.document.timeline.ordered_tracks("audio")[0].id, 0
    )
    window.timeline.select([item])
    window.activateWindow()  # the offscreen platform gives no focus back after a message box
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    claims.waiting.selectRow(0)
    claims.waiting.setFocus()
    for modifier in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
        qtbot.keyClick(claims.waiting, Qt.Key.Key_Delete, modifier)
    assert item in window.document.timeline.items and len(claims.waiting_claims) == 1

    # An outsider cannot confirm: the machine's login changes under the open panel, and Confirm is refused.
    svc.signup(server.url, eve, PASSWORD)
    on_next_dialog(answer(QMessageBox.StandardButton.Yes, asked))
    qtbot.mouseClick(claims.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not claims.busy and "publisher" in claims.status.text(), timeout=30_000)
    assert claims.status.text().startswith(
        "Only the piece's publisher (or, in a private space, its owners) can confirm or reject this claim"
    )
    qtbot.waitUntil(lambda: claims.me == eve and not claims.busy, timeout=30_000)  # reloaded as eve
    assert claims.status.text().startswith("Only the piece's publisher")  # the refusal stays in view
    assert claims.waiting.rowCount() == 0 and claims.notice.text() == f"Claims of @{eve}"

    # bob, back, still finds "Di Lu" waiting and rejects it (asked first, Cancel does nothing).
    log_in_app(qtbot, window, server.url, bob)
    assert column(claims.waiting, 0) == ["Di Lu"]
    claims.waiting.selectRow(0)
    on_next_dialog(answer(QMessageBox.StandardButton.Cancel, asked))
    qtbot.mouseClick(claims.reject_button, Qt.MouseButton.LeftButton)
    assert len(claims.waiting_claims) == 1 and not claims.busy
    on_next_dialog(answer(QMessageBox.StandardButton.Yes, asked))
    qtbot.mouseClick(claims.reject_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: claims.waiting.rowCount() == 0 and not claims.busy, timeout=30_000)
    assert claims.status.text() == f"Rejected @{cy}'s claim to “Di Lu” on tone."

    # cy sees one claim confirmed and one rejected; the server shows the held money now cy's.
    log_in_app(qtbot, window, server.url, cy)
    assert column(claims.mine, 0) == ["Cy Ko", "Di Lu"]
    assert column(claims.mine, 3) == ["confirmed", "rejected"]
    truth = {c["name"]: c["status"] for c in payouts.claims()}
    assert truth == {"Cy Ko": "confirmed", "Di Lu": "rejected"}
    statement = payouts.statement()
    assert [(line["name"], line["carried"]) for line in statement["lines"]] == [("Cy Ko", "0.03")]
    assert statement["carried_balance"] == "0.03"


def test_the_claims_tab_says_when_the_server_cannot_be_reached(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_SYNC_RETRIES", "1")  # a refused connection is not worth retrying here
    own = ServerProcess(tmp_path / "server").start()
    try:
        user = unique("cy")
        svc.signup(own.url, user, PASSWORD)
        window.sync.load_account()
        claims = show_claims_tab(qtbot, window)
        qtbot.waitUntil(lambda: claims.me == user and not claims.busy, timeout=30_000)
        assert claims.status.text() == "" and claims.mine.rowCount() == 0
        own.stop()
        qtbot.mouseClick(claims.refresh_button, Qt.MouseButton.LeftButton)
        assert not claims.refresh_button.isEnabled()  # while the call runs
        qtbot.waitUntil(lambda: not claims.busy, timeout=30_000)
        assert claims.status.text().startswith("The server cannot be reached (")
        assert claims.status.text().endswith("check the connection, then Refresh.")
        assert claims.refresh_button.isEnabled()
    finally:
        own.stop()


def test_credited_names_are_shown_escaped_and_claimed_as_credited(qtbot):
    """A name offered for claiming cannot reverse or hide the text around it, and the claim still names
    the credit exactly; names that are accounts (an account id, `@user`) are not offered."""
    spoof = "Ann\u202eXo"
    clip = Clip(
        id="c" * 64,
        title="to\u202ene",
        kind="audio",
        duration=Fraction(1),
        credits=(Credit(spoof), Credit("@bob"), Credit("Eve", contributor_id="a-" + "0" * 32), Credit(spoof)),
        has_audio=True,
    )
    panel = ClaimsPanel(lambda piece: clip if piece == clip.id else None)
    qtbot.addWidget(panel)
    panel.set_piece(clip.id)
    assert panel.piece_title.text() == "to\\u202ene"
    assert [panel.name.itemText(i) for i in range(panel.name.count())] == ["Ann\\u202eXo"]
    panel.name.setCurrentIndex(0)
    assert panel.name_to_claim() == spoof
    panel.name.setEditText("Someone Else")
    assert panel.name_to_claim() == "Someone Else"


def test_a_publisher_confirms_their_own_claim_from_the_waiting_list(qtbot, window, server, tmp_path):
    """A publisher credited under a stage name claims it: the claim is theirs (in "Your claims") and
    theirs to decide (in the waiting list, as the server says), so Confirm is there for it."""
    bob = unique("bob")
    claims = show_claims_tab(qtbot, window)
    svc.signup(server.url, bob, PASSWORD)
    clip = publish_tone(tmp_path, "hum", ["Bobby B:music"], 330)
    payouts.claim(clip.id, "Bobby B")
    window.sync.load_account()
    qtbot.waitUntil(lambda: claims.me == bob and not claims.busy and claims.loaded, timeout=30_000)
    assert column(claims.mine, 0) == ["Bobby B"] and column(claims.waiting, 0) == ["Bobby B"]
    claims.waiting.selectRow(0)
    assert claims.confirm_button.isEnabled()
    asked: list[str] = []
    on_next_dialog(answer(QMessageBox.StandardButton.Yes, asked))
    qtbot.mouseClick(claims.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: claims.waiting.rowCount() == 0 and not claims.busy, timeout=30_000)
    said = claims.status.text()
    assert said.startswith("Confirmed: “Bobby B” on ") and said.endswith(f" is now @{bob}."), said
    assert column(claims.mine, 3) == ["confirmed"]
    assert [(c["name"], c["status"], c["decidable"]) for c in payouts.claims()] == [
        ("Bobby B", "confirmed", False)
    ]
