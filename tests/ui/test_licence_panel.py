"""The export dialog's licence check and attribution, and the Inspector's signature line, on real
widgets offscreen: a refused mix disables Export and names the clips and the rule; clearing a clip's
rights or dropping the NC clip from a commercial piece enables it again; a signed file reads back
"trusted" in the Inspector through the network pool, and "revoked" once its certificate is."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest

from studio.core import gestures
from studio.core.clips import Credit
from studio.core.licences import RULE_COMMERCIAL, RULE_SA_NC, RULE_UNLICENSED
from tests.ui.conftest import fake_sha

pytestmark = pytest.mark.qt


def dialog_for(qtbot, document, placed):  # type: ignore[no-untyped-def]
    from studio.ui.catalog import ClipCatalog
    from studio.ui.export_dialog import ExportDialog

    catalog = ClipCatalog()
    catalog.add(placed)
    v1 = document.timeline.ordered_tracks("video")[0].id
    at = Fraction(0)
    for clip in placed:
        assert document.edit("Place", lambda tx, c=clip, t=at: gestures.place_clip(tx, c, v1, t))
        at += clip.duration or Fraction(5)
    dialog = ExportDialog(document, catalog)
    qtbot.addWidget(dialog)
    return dialog


def test_a_refused_mix_is_named_and_export_is_disabled(qtbot, document, clips) -> None:
    beach = replace(clips[fake_sha(1)], licence="CC-BY-SA-4.0", credits=(Credit("Ann"),))
    drums = replace(clips[fake_sha(2)], licence="CC-BY-NC-4.0", credits=(Credit("Bo"),))
    dialog = dialog_for(qtbot, document, [beach, drums])
    text = dialog.licences.verdict.text()
    assert f"{RULE_SA_NC}: Beach walk (CC-BY-SA-4.0); Drum loop (CC-BY-NC-4.0)" in text
    assert not dialog.export_button.isEnabled()
    assert '"Beach walk" by Ann — clip ' in dialog.licences.attribution.text()


def test_the_default_licence_and_an_explicit_one_that_breaks_a_source(qtbot, document, clips) -> None:
    beach = replace(clips[fake_sha(1)], licence="CC-BY-SA-4.0")
    dialog = dialog_for(qtbot, document, [beach])
    assert dialog.licence.currentText() == ""
    assert "Piece licence: CC-BY-SA-4.0" in dialog.licences.verdict.text()
    assert dialog.export_button.isEnabled()
    dialog.licence.setCurrentText("CC-BY-4.0")
    assert "asked for CC-BY-4.0" in dialog.licences.verdict.text()
    assert not dialog.export_button.isEnabled()


def test_clearing_rights_of_an_unlicensed_clip_enables_export(qtbot, document, clips) -> None:
    from PySide6.QtCore import Qt

    tape = replace(clips[fake_sha(4)], licence="")
    dialog = dialog_for(qtbot, document, [tape])
    assert f"{RULE_UNLICENSED}: City (no licence)" in dialog.licences.verdict.text()
    assert not dialog.export_button.isEnabled() and dialog.licences.cleared.count() == 1
    dialog.licences.cleared.item(0).setCheckState(Qt.CheckState.Checked)
    assert dialog.export_button.isEnabled()
    assert dialog.settings().rights_cleared == [tape.id]


def test_commercial_work_refuses_nc(qtbot, document, clips) -> None:
    drums = replace(clips[fake_sha(2)], licence="CC-BY-NC-4.0")
    dialog = dialog_for(qtbot, document, [drums])
    assert dialog.export_button.isEnabled()
    dialog.licences.commercial.setChecked(True)
    assert f"{RULE_COMMERCIAL}: Drum loop (CC-BY-NC-4.0)" in dialog.licences.verdict.text()
    assert not dialog.export_button.isEnabled() and dialog.settings().commercial


def test_a_commercial_space_applies_the_rule_and_locks_it(qtbot, document, clips) -> None:
    from studio.core.spaces import remember_spaces
    from studio.sync.records import set_home_space

    space = "d" * 32
    with document.store.write() as conn:
        brand = {"id": space, "name": "Brand", "kind": "private", "role": "editor", "commercial": True}
        remember_spaces(conn, [brand])
        set_home_space(conn, "project", document.session.id, space)
    document.open(document.session.id)
    drums = replace(clips[fake_sha(2)], licence="CC-BY-NC-4.0")
    dialog = dialog_for(qtbot, document, [drums])
    assert not dialog.export_button.isEnabled()  # not before the space's rule is known
    qtbot.waitUntil(lambda: dialog.licences.space_known, timeout=10_000)
    assert not dialog.licences.space_rule.isHidden()
    assert "Applied by the space “Brand”" in dialog.licences.space_rule.text()
    assert dialog.licences.commercial.isChecked() and not dialog.licences.commercial.isEnabled()
    assert f"{RULE_COMMERCIAL}: Drum loop (CC-BY-NC-4.0)" in dialog.licences.verdict.text()
    assert not dialog.export_button.isEnabled() and dialog.settings().commercial


def test_an_unmarked_space_leaves_the_choice_to_the_user(qtbot, document, clips) -> None:
    from studio.core.spaces import remember_spaces
    from studio.sync.records import set_home_space

    space = "e" * 32
    with document.store.write() as conn:
        team = {"id": space, "name": "Team", "kind": "private", "role": "owner", "commercial": False}
        remember_spaces(conn, [team])
        set_home_space(conn, "project", document.session.id, space)
    document.open(document.session.id)
    drums = replace(clips[fake_sha(2)], licence="CC-BY-NC-4.0")
    dialog = dialog_for(qtbot, document, [drums])
    qtbot.waitUntil(dialog.export_button.isEnabled, timeout=10_000)
    assert dialog.licences.commercial.isEnabled() and dialog.licences.space_rule.isHidden()


def test_the_inspector_shows_the_signature_state(qtbot, qapp, tmp_path: Path) -> None:
    from studio.core.projectfile import save_project_file
    from studio.services import sync as sync_service
    from studio.services.export import export_timeline
    from studio.ui.catalog import ClipCatalog
    from studio.ui.inspector_dock import InspectorDock
    from tests import mediagen
    from tests.media.test_render_plan import clip_for, clip_map, timeline
    from tests.server.conftest import ServerProcess

    tone = clip_for(mediagen.make_audio(tmp_path / "tone.wav", 1), licence="CC0-1.0")
    project = tmp_path / "p.studio"
    save_project_file(project, "p-1", "Tone", timeline([("A1", [dict(clip=tone, start=0, duration=1)])]),
                      clip_map(tone))
    unsigned = export_timeline(project, tmp_path / "tone.flac", exported=datetime(2026, 1, 1, tzinfo=UTC))
    catalog = ClipCatalog()
    dock = InspectorDock(catalog)
    qtbot.addWidget(dock)
    piece = clip_for(unsigned.path)
    dock.show_clip(piece)
    assert dock.signature.text() == "Signature: checking…"
    qtbot.waitUntil(lambda: dock.signature.state != "", timeout=30000)
    assert dock.signature.state == "unsigned" and "Unsigned" in dock.signature.text()

    server = ServerProcess(tmp_path / "server").start()
    try:
        sync_service.signup(server.url, "inspector", "correct horse battery")
        signed = export_timeline(project, tmp_path / "tone.mp3", exported=datetime(2026, 1, 1, tzinfo=UTC))
        dock.show_clip(clip_for(signed.path))
        qtbot.waitUntil(lambda: dock.signature.state != "", timeout=30000)
        assert dock.signature.state == "trusted", dock.signature.text()
        assert "signed by inspector" in dock.signature.text()
        assert "revocation" not in dock.signature.text()  # checked against the server's fresh list

        from studio.services.signing import revoke_certificate, verify_credits

        revoked = revoke_certificate(verify_credits(signed.path).serial)
        dock.show_clip(clip_for(signed.path))
        qtbot.waitUntil(lambda: dock.signature.state != "", timeout=30000)
        assert dock.signature.state == "revoked", dock.signature.text()
        assert "revoked" in dock.signature.text() and "signed by inspector" in dock.signature.text()
        assert revoked["serial"] and "revoked on 20" in dock.signature.text()
    finally:
        server.stop()


def test_the_dialog_says_when_an_export_is_unsigned(qtbot, document, tmp_path: Path) -> None:
    from studio.ui.catalog import ClipCatalog
    from studio.ui.export_dialog import ExportDialog
    from tests import mediagen
    from tests.media.test_render_plan import clip_for

    tone = clip_for(mediagen.make_audio(tmp_path / "tone.wav", 1), licence="CC0-1.0")
    catalog = ClipCatalog()
    catalog.add([tone])
    a1 = document.timeline.ordered_tracks("audio")[0].id
    assert document.edit("Place", lambda tx: gestures.place_clip(tx, tone, a1, Fraction(0)))
    dialog = ExportDialog(document, catalog)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentText("flac")
    dialog.output.setText(str(tmp_path / "out" / "tone.flac"))
    assert "Piece licence: CC0-1.0" in dialog.licences.verdict.text()
    with qtbot.waitSignal(dialog.exported, timeout=60000):
        dialog.start()
    assert "Unsigned credits (not logged in" in dialog.status.text()
    assert dialog.block is not None and dialog.block["work"]["licence"] == "CC0-1.0"
