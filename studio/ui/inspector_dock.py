"""The inspector: the selected clip's credits, licence, lineage and probe data, or the selected item's
fields (gain, fades, mute, title text), editable where the user may edit.

Item edits go through the project like any other edit (one undo step each); clip credit edits are saved
to the library on the import pool and the catalog reloads.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

from studio.core.clips import Clip
from studio.core.timecode import format_clock, parse_time
from studio.core.timeline import Item
from studio.ui import tasks
from studio.ui.catalog import ClipCatalog
from studio.ui.untrusted import PlainLabel

if TYPE_CHECKING:
    from PySide6.QtWidgets import (
        QDoubleSpinBox,
        QTreeWidget,
        QTreeWidgetItem,
    )


def _probe_tree(tree: QTreeWidget, data: Any, parent: QTreeWidgetItem | None = None) -> None:
    from PySide6.QtWidgets import QTreeWidgetItem

    entries = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, value in entries:
        node = QTreeWidgetItem([str(key), "" if isinstance(value, (dict, list)) else str(value)])
        if parent is None:
            tree.addTopLevelItem(node)
        else:
            parent.addChild(node)
        if isinstance(value, (dict, list)):
            _probe_tree(tree, value, node)


class InspectorDock(QScrollArea):
    """Shows "Nothing selected" until the first selection, which builds its sections (item fields,
    credits, lineage and media): nothing is selected when the window starts, so its start pays for
    two labels."""

    item_edited = Signal(str, str, dict)  # item id, undo label, field changes
    clip_saved = Signal(str)
    status_posted = Signal(str)

    def __init__(self, catalog: ClipCatalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)  # never cut off when narrow
        self.clip: Clip | None = None
        self.item: Item | None = None
        body = QWidget()
        self.layout_ = QVBoxLayout(body)
        self.heading = PlainLabel("Nothing selected")
        self.heading.setObjectName("heading")
        self.heading.setWordWrap(True)
        self.subtitle = PlainLabel("Select a clip in the library or an item on the timeline.")
        self.subtitle.setObjectName("muted")
        self.subtitle.setWordWrap(True)
        self.layout_.addWidget(self.heading)
        self.layout_.addWidget(self.subtitle)
        self.layout_.addStretch(1)
        self.setWidget(body)
        self.sections_built = False
        self.show_nothing()

    def build_sections(self) -> None:
        """The boxes a selection shows, made once, below the heading (before the stretch)."""
        if self.sections_built:
            return
        self.sections_built = True
        self._build_item_fields()
        self._build_credits()
        self._build_lineage_and_media()

    def _add_section(self, box: QWidget) -> None:
        self.layout_.insertWidget(self.layout_.count() - 1, box)  # above the stretch

    def _build_item_fields(self) -> None:
        """What a timeline item's own fields can change: gain, fades, mute and a title's text."""
        from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QLineEdit

        self.item_box = QGroupBox("On the timeline")
        form = self.item_form = QFormLayout(self.item_box)
        self.gain = QDoubleSpinBox()
        self.gain.setRange(-60, 24)
        self.gain.setSuffix(" dB")
        self.gain.setSingleStep(0.5)
        self.fade_in = QDoubleSpinBox()
        self.fade_out = QDoubleSpinBox()
        for spin in (self.fade_in, self.fade_out):
            spin.setRange(0, 3600)
            spin.setSuffix(" s")
            spin.setSingleStep(0.25)
        self.muted = QCheckBox("Muted")
        self.text = QLineEdit()
        self.placement = QLabel()
        self.placement.setWordWrap(True)
        form.addRow("Placement", self.placement)
        form.addRow("Gain", self.gain)
        form.addRow("Fade in", self.fade_in)
        form.addRow("Fade out", self.fade_out)
        form.addRow("", self.muted)
        form.addRow("Title text", self.text)
        self.gain.editingFinished.connect(lambda: self._edit("Set gain", gain_db=round(self.gain.value(), 2)))
        self.fade_in.editingFinished.connect(
            lambda: self._edit("Set fade in", fade_in=self._time(self.fade_in))
        )
        self.fade_out.editingFinished.connect(
            lambda: self._edit("Set fade out", fade_out=self._time(self.fade_out))
        )
        self.muted.toggled.connect(lambda on: self._edit("Mute" if on else "Unmute", muted=on))
        self.text.editingFinished.connect(lambda: self._edit("Edit title", text=self.text.text()))
        self._add_section(self.item_box)

    def _build_credits(self) -> None:
        """A clip's people, licence and signature, saved together."""
        from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QPushButton

        from studio.ui.credits_editor import CreditsEditor
        from studio.ui.licence_choices import LICENCES
        from studio.ui.signature_badge import SignatureBadge

        self.credits_box = QGroupBox("Credits")
        credits_layout = QVBoxLayout(self.credits_box)
        self.people = CreditsEditor()
        self.licence = QComboBox()
        self.licence.setEditable(True)
        self.licence.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.licence.setMinimumContentsLength(12)
        self.licence.addItems(["", *LICENCES])
        self.save = QPushButton("Save credits")
        self.save.clicked.connect(self._on_save_clicked)
        credits_layout.addWidget(self.people)
        licence_form = QFormLayout()
        licence_form.addRow("Licence", self.licence)
        self.signature = SignatureBadge()
        licence_form.addRow("Signature", self.signature)
        credits_layout.addLayout(licence_form)
        credits_layout.addWidget(self.save)
        self._add_section(self.credits_box)

    def _build_lineage_and_media(self) -> None:
        """What a clip remixes and is remixed by, and what probing its media found."""
        from PySide6.QtWidgets import QFormLayout, QGroupBox, QTreeWidget

        self.lineage_box = QGroupBox("Lineage")
        lineage_layout = QFormLayout(self.lineage_box)
        self.remixes = PlainLabel()
        self.remixed_by = PlainLabel()
        for label in (self.remixes, self.remixed_by):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lineage_layout.addRow("Remixes", self.remixes)
        lineage_layout.addRow("Remixed by", self.remixed_by)
        self._add_section(self.lineage_box)
        self.probe_box = QGroupBox("Media")
        probe_layout = QVBoxLayout(self.probe_box)
        self.probe = QTreeWidget()
        self.probe.setHeaderLabels(["Property", "Value"])
        self.probe.setMinimumHeight(140)
        probe_layout.addWidget(self.probe)
        self._add_section(self.probe_box)

    def _time(self, spin: QDoubleSpinBox) -> Fraction:
        return parse_time(f"{spin.value():.3f}")

    def show_nothing(self) -> None:
        self.clip = None
        self.item = None
        self.heading.setText("Nothing selected")
        self.subtitle.setText("Select a clip in the library or an item on the timeline.")
        if self.sections_built:
            for box in (self.item_box, self.credits_box, self.lineage_box, self.probe_box):
                box.setVisible(False)

    def show_item(self, item: Item, clip: Clip | None) -> None:
        self.build_sections()
        self.item = item
        self.item_box.setVisible(True)
        widgets = (self.gain, self.fade_in, self.fade_out, self.muted, self.text)
        for widget in widgets:
            widget.blockSignals(True)
        self.gain.setValue(item.gain_db)
        self.fade_in.setValue(float(item.fade_in))
        self.fade_out.setValue(float(item.fade_out))
        self.muted.setChecked(item.muted)
        self.text.setText(item.text)
        self.item_form.setRowVisible(self.text, item.kind == "title")
        # Gain, fades and mute are the sound's: a title or a still has none.
        silent = item.kind == "title" or (clip is not None and clip.kind == "image")
        for row in (self.gain, self.fade_in, self.fade_out, self.muted):
            self.item_form.setRowVisible(row, not silent)
        for widget in widgets:
            widget.blockSignals(False)
        span = f"{format_clock(item.start)} → {format_clock(item.end)}"
        self.placement.setText(f"{span}  (media from {format_clock(item.source_in)})")
        self.verticalScrollBar().setValue(0)
        if clip is not None:
            self._fill_clip(clip)
        else:
            self.clip = None
            self.heading.setText(item.text or "Title" if item.kind == "title" else "Offline media")
            self.subtitle.setText("Title card" if item.kind == "title" else "The clip is not in the library")
            for box in (self.credits_box, self.lineage_box, self.probe_box):
                box.setVisible(False)

    def show_clip(self, clip: Clip) -> None:
        self.build_sections()
        self.item = None
        self.item_box.setVisible(False)
        self.verticalScrollBar().setValue(0)
        self._fill_clip(clip)

    def _fill_clip(self, clip: Clip) -> None:
        self.clip = clip
        self.heading.setText(clip.title)
        length = format_clock(clip.duration) if clip.duration is not None else "still image"
        self.subtitle.setText(f"{clip.kind} · {length} · {clip.id[:12]}")
        self.people.set_credits(clip.credits)
        self.licence.setCurrentText(clip.licence)
        self.signature.show_clip(clip)
        others = self.catalog.clips

        def titles(ids: list[str]) -> str:
            return ", ".join(others[i].title if i in others else i[:12] for i in ids) or "—"

        self.remixes.setText(titles(list(clip.lineage)))
        self.remixed_by.setText(titles([c.id for c in others.values() if clip.id in c.lineage]))
        self.probe.clear()
        _probe_tree(self.probe, clip.probe or {})
        self.probe.expandAll()
        for box in (self.credits_box, self.lineage_box, self.probe_box):
            box.setVisible(True)

    def _edit(self, label: str, **changes: Any) -> None:
        if self.item is not None:
            self.item_edited.emit(self.item.id, label, changes)

    def edited_clip(self) -> Clip | None:
        if self.clip is None:
            return None
        return replace(
            self.clip, credits=tuple(self.people.credits()), licence=self.licence.currentText().strip()
        )

    def _on_save_clicked(self) -> None:
        clip = self.edited_clip()
        if clip is None:
            return

        def save(_ctx: tasks.TaskContext) -> str:
            from studio.services.library import save_credits
            from studio.services.projects import open_store

            with open_store() as store:
                save_credits(store, clip)
            return clip.id

        tasks.submit(
            "import",
            save,
            name="save credits",
            on_done=self.clip_saved.emit,
            on_failed=lambda exc: self.status_posted.emit(f"Credits not saved: {exc}"),
            owner=self,
        )
