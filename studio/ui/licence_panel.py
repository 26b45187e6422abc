"""The export dialog's licence check: what the sources' licences allow (or why the export is refused,
clip by clip), the attribution lines the export will write, the clips whose rights the user holds and
whether the piece is commercial work (set, and locked, by the project's space when its owner marked it for
commercial work). The check is the export's own (studio.services.licensing), so
what the panel says is what the export does; it is pure computation, cheap enough for the UI thread.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QGroupBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from studio.core.clips import Clip
from studio.core.licences import LicenceCheck, parse_licence
from studio.core.timeline import Timeline
from studio.services.licensing import check_timeline, preview_attribution, timeline_sources
from studio.ui.untrusted import PlainLabel, lines_shown


class LicencePanel(QGroupBox):
    changed = Signal()  # the user cleared a clip's rights or marked the piece commercial

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Licences and attribution", parent)
        self.verdict = PlainLabel()  # names clips and their titles
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.commercial = QCheckBox("Commercial work (refuse NonCommercial clips)")
        self.commercial.toggled.connect(lambda _on: self.changed.emit())
        self.space_rule = PlainLabel()  # says which space applied the commercial rule
        self.space_rule.setWordWrap(True)
        self.space_rule.setVisible(False)
        self.space_known = True  # False while the project's space is being looked up
        self.cleared_label = QLabel("I hold the rights to:")
        self.cleared = QListWidget()
        self.cleared.setMaximumHeight(80)
        self.cleared.itemChanged.connect(lambda _item: self.changed.emit())
        self.attribution = PlainLabel()
        self.attribution.setObjectName("muted")
        self.attribution.setWordWrap(True)
        self.attribution.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        for widget in (
            self.verdict,
            self.commercial,
            self.space_rule,
            self.cleared_label,
            self.cleared,
            self.attribution,
        ):
            layout.addWidget(widget)
        self.check: LicenceCheck | None = None

    @property
    def ok(self) -> bool:
        return self.space_known and self.check is not None and self.check.ok

    def apply_space_rule(self, space_name: str) -> None:
        """The project's space is marked for commercial work: the rule is on and cannot be turned off here
        (only an owner can unmark the space); "" once the lookup found no mark."""
        self.space_known = True
        if space_name:
            self.commercial.setChecked(True)
            self.commercial.setEnabled(False)
            self.space_rule.setText(
                f"Applied by the space “{space_name}”: its owner marked it for commercial work, "
                "so NonCommercial clips are refused."
            )
            self.space_rule.setVisible(True)
        self.changed.emit()

    def rights_cleared(self) -> list[str]:
        return [
            str(item.data(Qt.ItemDataRole.UserRole))
            for item in (self.cleared.item(i) for i in range(self.cleared.count()))
            if item is not None and item.checkState() == Qt.CheckState.Checked
        ]

    def refresh(self, timeline: Timeline, clips: Mapping[str, Clip], licence: str) -> LicenceCheck:
        """Run the check for `timeline` with the licence typed in the dialog ("" = the default)."""
        self._list_unlicensed(timeline, clips)
        check = check_timeline(
            timeline,
            clips,
            licence=licence.strip() or None,
            commercial=self.commercial.isChecked(),
            rights_cleared=self.rights_cleared(),
        )
        self.check = check
        if check.ok:
            text = f"✓ The sources allow this export. Piece licence: {check.licence}"
            if not licence.strip():
                text += " (the least permissive licence the sources allow)"
        else:
            text = "✗ Export refused by the sources' licences:\n" + check.message()
        if check.warnings:
            text += "\n" + "\n".join(f"⚠ {w}" for w in check.warnings)
        self.verdict.setText(text)
        lines = preview_attribution(timeline, clips)
        self.attribution.setText("Attribution:\n" + "\n".join(lines) if lines else "No source clips.")
        return check

    def _list_unlicensed(self, timeline: Timeline, clips: Mapping[str, Clip]) -> None:
        """Offer to clear the rights of the clips no licence rule covers (kept ticked across refreshes)."""
        ticked = set(self.rights_cleared())
        wanted = [s for s in timeline_sources(timeline, clips) if parse_licence(s.licence) is None]
        shown = [self.cleared.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.cleared.count())]
        if shown == [s.clip for s in wanted]:
            return
        self.cleared.blockSignals(True)
        self.cleared.clear()
        for source in wanted:
            name = source.title or source.clip[:12]
            item = QListWidgetItem(lines_shown(f"{name} ({source.licence or 'no licence'})"))
            item.setData(Qt.ItemDataRole.UserRole, source.clip)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if source.clip in ticked else Qt.CheckState.Unchecked)
            self.cleared.addItem(item)
        self.cleared.blockSignals(False)
        for widget in (self.cleared_label, self.cleared):
            widget.setVisible(bool(wanted))
