"""The timeline editor driven with the mouse and keys, checked against the project's model and journal."""

from __future__ import annotations

from fractions import Fraction

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsScene

from studio.ui.timeline.panel import TimelinePanel
from tests.ui.conftest import fake_sha

pytestmark = pytest.mark.qt


@pytest.fixture
def panel(qtbot, document, clips):
    p = TimelinePanel(document, clips.get)
    qtbot.addWidget(p)
    p.resize(1200, 360)
    p.show()
    qtbot.waitExposed(p)
    return p


def _item_center(panel, item_id: str) -> QPoint:
    drawn = panel.scene.items_by_id[item_id]
    rect = drawn.sceneBoundingRect()
    return panel.view.mapFromScene(rect.center())


def _drag(qtbot, widget, start: QPoint, end: QPoint, steps: int = 6) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    for n in range(1, steps + 1):
        qtbot.mouseMove(widget, start + (end - start) * (n / steps))
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)


def _video_track(panel, n: int = 0) -> str:
    return panel.timeline.ordered_tracks("video")[n].id


def test_drag_item_moves_it_by_whole_frames_and_undo_restores(qtbot, panel):
    (item_id,) = panel.place_clips([fake_sha(1)], _video_track(panel), Fraction(1))
    panel.view.snapping = False
    start = _item_center(panel, item_id)
    px = panel.scale.px_per_second
    _drag(qtbot, panel.view.viewport(), start, start + QPoint(int(2 * px), 0))
    # The clip's sound, placed with it on an audio track, moves along.
    assert {panel.timeline.items[i].start for i in panel.last_placed} == {Fraction(3)}
    assert len(panel.last_placed) == 2
    assert panel.document.undo_label == "Move 2 clips"
    panel.document.undo()
    assert panel.timeline.items[item_id].start == Fraction(1)
    # The drawn item follows the model, not the gesture.
    assert panel.scene.items_by_id[item_id].pos().x() == pytest.approx(px)


def test_drag_onto_the_track_above_changes_track(qtbot, panel):
    v1, v2 = _video_track(panel, 0), _video_track(panel, 1)
    (item_id,) = panel.place_clips([fake_sha(1)], v1, Fraction(0))
    start = _item_center(panel, item_id)
    row_above = panel.scene.row_for_track(v2)
    end = QPoint(start.x(), panel.view.mapFromScene(0, row_above.top + row_above.height / 2).y())
    _drag(qtbot, panel.view.viewport(), start, end)
    assert panel.timeline.items[item_id].track == v2


def test_move_onto_another_item_is_rejected_and_drawn_back(qtbot, panel):
    v1 = _video_track(panel)
    _first, second = panel.place_clips([fake_sha(1), fake_sha(4)], v1, Fraction(0))
    messages = []
    panel.status_posted.connect(messages.append)
    panel.view.snapping = False
    start = _item_center(panel, second)
    _drag(qtbot, panel.view.viewport(), start, start - QPoint(int(4 * panel.scale.px_per_second), 0))
    assert panel.timeline.items[second].start == Fraction(8)
    assert messages and "would overlap" in messages[-1]
    assert panel.scene.items_by_id[second].pos().x() == pytest.approx(8 * panel.scale.px_per_second)


def test_trim_both_edges_with_the_mouse(qtbot, panel):
    (item_id,) = panel.place_clips([fake_sha(1)], _video_track(panel), Fraction(2))
    panel.view.snapping = False
    px = panel.scale.px_per_second
    rect = panel.scene.items_by_id[item_id].sceneBoundingRect()
    y = int(rect.center().y())
    left = panel.view.mapFromScene(rect.left() + 2, y)
    _drag(qtbot, panel.view.viewport(), left, left + QPoint(int(px), 0))
    item = panel.timeline.items[item_id]
    assert (item.start, item.source_in, item.duration) == (Fraction(3), Fraction(1), Fraction(7))
    rect = panel.scene.items_by_id[item_id].sceneBoundingRect()
    right = panel.view.mapFromScene(rect.right() - 2, y)
    _drag(qtbot, panel.view.viewport(), right, right - QPoint(int(2 * px), 0))
    item = panel.timeline.items[item_id]
    assert (item.start, item.duration) == (Fraction(3), Fraction(5))
    assert panel.document.undo_label == "Trim end"


def test_trim_cannot_reveal_more_than_the_media(qtbot, panel):
    (item_id,) = panel.place_clips([fake_sha(4)], _video_track(panel), Fraction(0))
    rect = panel.scene.items_by_id[item_id].sceneBoundingRect()
    right = panel.view.mapFromScene(rect.right() - 2, rect.center().y())
    _drag(qtbot, panel.view.viewport(), right, right + QPoint(int(3 * panel.scale.px_per_second), 0))
    assert panel.timeline.items[item_id].duration == Fraction(5)


def test_trimming_a_picture_trims_its_linked_sound_too(qtbot, panel):
    (item_id,) = panel.place_clips([fake_sha(1)], _video_track(panel), Fraction(0))
    panel.view.snapping = False
    rect = panel.scene.items_by_id[item_id].sceneBoundingRect()
    right = panel.view.mapFromScene(rect.right() - 2, rect.center().y())
    _drag(qtbot, panel.view.viewport(), right, right - QPoint(int(3 * panel.scale.px_per_second), 0))
    assert sorted((panel.timeline.items[i].end, panel.timeline.tracks[panel.timeline.items[i].track].kind)
                  for i in panel.last_placed) == [(5, "audio"), (5, "video")]  # fmt: skip
    panel.document.undo()
    assert {panel.timeline.items[i].end for i in panel.last_placed} == {8}


def test_a_title_start_can_be_dragged_left(qtbot, panel):
    panel.set_playhead(Fraction(4))
    panel.add_title("Opening")
    (title,) = [i for i in panel.timeline.items.values() if i.kind == "title"]
    panel.view.snapping = False
    rect = panel.scene.items_by_id[title.id].sceneBoundingRect()
    left = panel.view.mapFromScene(rect.left() + 2, rect.center().y())
    _drag(qtbot, panel.view.viewport(), left, left - QPoint(int(2 * panel.scale.px_per_second), 0))
    item = panel.timeline.items[title.id]
    assert (item.start, item.end) == (Fraction(2), title.end)


def test_a_still_image_stretches_at_both_edges_in_one_undo_step_each(qtbot, panel):
    (still,) = panel.place_clips([fake_sha(3)], _video_track(panel), Fraction(3))
    panel.view.snapping = False
    px = panel.scale.px_per_second
    rect = panel.scene.items_by_id[still].sceneBoundingRect()
    y = rect.center().y()
    left = panel.view.mapFromScene(rect.left() + 2, y)
    _drag(qtbot, panel.view.viewport(), left, left - QPoint(int(2 * px), 0))
    item = panel.timeline.items[still]
    assert (item.start, item.end, item.source_in) == (Fraction(1), Fraction(8), 0)
    right = panel.view.mapFromScene(panel.scene.items_by_id[still].sceneBoundingRect().right() - 2, y)
    _drag(qtbot, panel.view.viewport(), right, right + QPoint(int(4 * px), 0))
    assert (panel.timeline.items[still].start, panel.timeline.items[still].end) == (Fraction(1), Fraction(12))
    panel.document.undo()
    panel.document.undo()
    assert (panel.timeline.items[still].start, panel.timeline.items[still].end) == (Fraction(3), Fraction(8))


def test_split_pair_gives_the_right_parts_a_link_of_their_own(qtbot, panel):
    (item_id,) = panel.place_clips([fake_sha(1)], _video_track(panel), Fraction(0))
    panel.set_playhead(Fraction(3))
    panel.select([item_id], linked=True)
    panel.split_at_playhead()
    right_picture = next(
        i
        for i in panel.timeline.items.values()
        if i.start == 3 and panel.timeline.tracks[i.track].kind == "video"
    )
    panel.scene.clearSelection()
    qtbot.mouseClick(
        panel.view.viewport(), Qt.MouseButton.LeftButton, pos=_item_center(panel, right_picture.id)
    )
    selected = [panel.timeline.items[i] for i in panel.selected_ids()]
    assert sorted((i.start, panel.timeline.tracks[i.track].kind) for i in selected) == [
        (3, "audio"),
        (3, "video"),
    ]


def test_pasting_a_linked_pair_links_the_copies_to_each_other(qtbot, panel):
    (item_id,) = panel.place_clips([fake_sha(1)], _video_track(panel), Fraction(0))
    panel.set_item_fields(item_id, "Fade", fade_in=Fraction(1))
    panel.select([item_id], linked=True)
    panel.copy_selected()
    panel.set_playhead(Fraction(10))
    panel.paste()
    copies = [i for i in panel.timeline.items.values() if i.id not in panel.last_placed]
    assert sorted((c.start, c.fade_in) for c in copies) == [(10, 0), (10, 1)]
    assert panel.document.undo_label == "Paste"
    links = {c.metadata["studio.ui"]["link"] for c in copies}
    originals = {panel.timeline.items[i].metadata["studio.ui"]["link"] for i in panel.last_placed}
    assert len(links) == 1 and links != originals


def test_snapping_pulls_a_dragged_edge_onto_a_neighbour(qtbot, panel):
    v1, v2 = _video_track(panel, 0), _video_track(panel, 1)
    panel.place_clips([fake_sha(1)], v1, Fraction(0))
    (b,) = panel.place_clips([fake_sha(4)], v2, Fraction(10))
    px = panel.scale.px_per_second
    start = _item_center(panel, b)
    # End 4 px short of item a's end (8 s): snapping closes the gap.
    target_start_x = 8 * px + 4
    _drag(qtbot, panel.view.viewport(), start, start - QPoint(int(10 * px - target_start_x), 0))
    assert panel.timeline.items[b].start == Fraction(8)


def test_split_at_playhead_then_undo_and_redo(qtbot, panel):
    (item_id,) = panel.place_clips([fake_sha(1)], _video_track(panel), Fraction(0))
    panel.set_playhead(Fraction(3))
    panel.select([item_id], linked=True)
    panel.split_at_playhead()
    for track in panel.timeline.tracks:
        parts = panel.timeline.items_on(track)
        if parts:
            assert [(p.start, p.duration, p.source_in) for p in parts] == [(0, 3, 0), (3, 5, 3)]
    assert len(panel.timeline.items) == 4
    assert panel.document.undo_label == "Split"
    panel.document.undo()
    assert len(panel.timeline.items) == 2
    assert panel.timeline.items[item_id].duration == 8
    panel.document.redo()
    assert len(panel.timeline.items) == 4
    assert len(panel.scene.items_by_id) == 4


def test_delete_and_ripple_delete(qtbot, panel):
    v1 = _video_track(panel)
    a, b, c = panel.place_clips([fake_sha(1), fake_sha(4), fake_sha(1)], v1, Fraction(0))
    panel.select([b])
    panel.delete_selected(ripple=True)
    assert b not in panel.timeline.items
    assert panel.timeline.items[c].start == Fraction(8)
    panel.select([a])
    panel.delete_selected()
    assert a not in panel.timeline.items and panel.timeline.items[c].start == Fraction(8)


def test_copy_paste_places_copies_at_the_playhead(qtbot, panel):
    (item_id,) = panel.place_clips([fake_sha(4)], _video_track(panel), Fraction(0))
    panel.select([item_id])
    assert panel.copy_selected() == 1
    panel.set_playhead(Fraction(20))
    panel.paste()
    copies = [i for i in panel.timeline.items.values() if i.id not in panel.last_placed]
    assert [(c.start, c.duration, c.clip) for c in copies] == [(20, 5, fake_sha(4))]


def test_rubber_band_selects_several_items(qtbot, panel):
    v1 = _video_track(panel)
    ids = panel.place_clips([fake_sha(1), fake_sha(4)], v1, Fraction(1))
    row = panel.scene.row_for_track(v1)
    start = panel.view.mapFromScene(2, row.top - 1 if row.top else 1)
    end = panel.view.mapFromScene(16 * panel.scale.px_per_second, row.bottom - 4)
    panel.scene.clearSelection()
    _drag(qtbot, panel.view.viewport(), QPoint(start.x(), max(1, start.y())), end)
    assert sorted(panel.selected_ids()) == sorted(ids)


def test_track_header_toggles_mute_and_lock_and_locked_tracks_refuse_edits(qtbot, panel):
    v1 = _video_track(panel)
    (item_id,) = panel.place_clips([fake_sha(1)], v1, Fraction(0))
    qtbot.mouseClick(
        panel.headers, Qt.MouseButton.LeftButton, pos=panel.headers.button_rect(v1, "mute").center()
    )
    assert panel.timeline.tracks[v1].muted
    qtbot.mouseClick(
        panel.headers, Qt.MouseButton.LeftButton, pos=panel.headers.button_rect(v1, "lock").center()
    )
    assert panel.timeline.tracks[v1].locked
    messages = []
    panel.status_posted.connect(messages.append)
    panel.select([item_id])
    panel.delete_selected()
    assert item_id in panel.timeline.items
    assert "locked" in messages[-1]


def test_add_track_title_and_zoom_to_fit(qtbot, panel):
    panel.add_track("audio")
    assert [t.name for t in panel.timeline.ordered_tracks("audio")] == ["A1", "A2", "A3"]
    panel.set_playhead(Fraction(2))
    panel.add_title("Opening")
    (title,) = [i for i in panel.timeline.items.values() if i.kind == "title"]
    assert title.text == "Opening" and title.start == 2
    panel.place_clips([fake_sha(1)] * 5, _video_track(panel), Fraction(0))
    panel.zoom_fit()
    end_x = panel.scale.x(panel.timeline.duration)
    assert end_x <= panel.view.viewport().width()
    assert end_x >= panel.view.viewport().width() * 0.8


def test_drop_places_audio_clips_on_audio_tracks(qtbot, panel):
    placed = panel.place_clips([fake_sha(2)], _video_track(panel), Fraction(0))
    item = panel.timeline.items[placed[0]]
    assert panel.timeline.tracks[item.track].kind == "audio"
    (still,) = panel.place_clips([fake_sha(3)], _video_track(panel), Fraction(0))
    assert panel.timeline.items[still].duration == 5


def test_many_setpos_and_setpen_calls_do_not_crash(qapp):
    """PySide6 6.12.0 on CPython 3.11 aborted after thousands of these (none_dealloc); 6.11.3 runs clean."""
    scene = QGraphicsScene()
    items = [QGraphicsRectItem(0, 0, 10, 10) for _ in range(200)]
    for item in items:
        scene.addItem(item)
    for n in range(30_000):
        item = items[n % 200]
        item.setPos(n % 997, n % 101)
        item.setPen(QPen(QColor(n % 255, 0, 0)))
    # The last item was last moved at n = 29,999 (29,999 % 200 == 199).
    assert (items[-1].pos().x(), items[-1].pos().y()) == (29_999 % 997, 29_999 % 101)
    assert len(scene.items()) == 200
