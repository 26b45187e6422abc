"""The export dialog's credits review follows the range to export: a marked range credits what plays in it."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from studio.core import gestures
from studio.core.clips import Credit
from tests.ui.conftest import fake_sha

pytestmark = pytest.mark.qt


def test_picking_the_marked_range_reviews_the_shares_of_that_range(qtbot, document, clips):
    from studio.ui.catalog import ClipCatalog
    from studio.ui.export_dialog import ExportDialog

    beach = replace(clips[fake_sha(1)], credits=(Credit("Ann"),))  # 0-8 s, picture and sound
    drums = replace(clips[fake_sha(2)], credits=(Credit("Bo"),))  # 8-14 s, sound only
    catalog = ClipCatalog()
    catalog.add([beach, drums])
    v1 = document.timeline.ordered_tracks("video")[0].id
    assert document.edit("Place", lambda tx: gestures.place_clip(tx, beach, v1, Fraction(0)))
    assert document.edit("Place", lambda tx: gestures.place_clip(tx, drums, v1, Fraction(8)))

    dialog = ExportDialog(document, catalog, mark_range=(Fraction(9), Fraction(12)))
    qtbot.addWidget(dialog)
    assert sorted(r.name for r in dialog.rows) == ["Ann", "Bo"]
    dialog.range.setCurrentIndex(1)
    assert [(r.name, r.share_bp) for r in dialog.rows] == [("Bo", 10000)]
    assert dialog.settings().span == (Fraction(9), Fraction(12))
    dialog.range.setCurrentIndex(0)
    assert sorted(r.name for r in dialog.rows) == ["Ann", "Bo"]
