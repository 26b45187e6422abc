"""The library dock: local clips and the shared library, searchable and filterable, dragged to the timeline.

Rows show a poster (made in the background), duration, contributors, licence and whether the media is
here, on the server, or on its way. Dragging rows carries their clip ids to the timeline; dropping files
from a file manager opens the import dialog. The Shared tab asks the server (through the sync
controller, a moment after typing stops) and shows its answer; Pull brings the selected clips here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from studio.core.clips import Clip
from studio.core.display import shown
from studio.core.timecode import format_clock
from studio.ui.catalog import ClipCatalog
from studio.ui.icons import icon
from studio.ui.media_cache import MediaCache
from studio.ui.theme import colors
from studio.ui.timeline.view import CLIPS_MIME
from studio.ui.untrusted import PlainLabel, escaped

CLIP_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2
CLAIM_ROLE = Qt.ItemDataRole.UserRole + 3
ROW_HEIGHT = 58
SEARCH_DELAY_MS = 300
_ANY = "Any"
_STATE_ICONS = {
    "remote": "pull",
    "pulling": "pull",
    "uploading": "publish",
    "published": "cloud-ok",
    "queued": "cloud-sync",
}
_STATE_TEXT = {
    "local": "",
    "remote": "not pulled",
    "pulling": "pulling…",
    "uploading": "uploading…",
    "published": "published",
    "queued": "publishes at the next sync",
}


def contributors_text(clip: Clip) -> str:
    return ", ".join(c.name for c in clip.credits) or "no credits"


class LibraryModel(QAbstractListModel):
    """The local clips, or (shared) the last search of the shared library."""

    def __init__(self, catalog: ClipCatalog) -> None:
        super().__init__()
        self.catalog = catalog
        self.shared = False
        self.rows: list[Clip] = []
        self.claims: list[str | None] = []  # per row: the claim id of a shared row, None for a local one
        catalog.changed.connect(self._on_catalog_changed)
        catalog.shared_changed.connect(self._on_catalog_changed)
        self._on_catalog_changed()

    def show_shared(self, shared: bool) -> None:
        if shared != self.shared:
            self.shared = shared
            self._on_catalog_changed()

    def _on_catalog_changed(self) -> None:
        self.beginResetModel()
        keyed: dict[str, Clip] = self.catalog.shared if self.shared else self.catalog.clips
        order = sorted(keyed.items(), key=lambda kv: (kv[1].title.lower(), kv[1].id, kv[1].owner, kv[0]))
        self.rows = [clip for _key, clip in order]
        self.claims = [key if self.shared else None for key, _clip in order]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if not index.isValid():
            return None
        clip = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return shown(clip.title)
        if role == CLIP_ROLE:
            return clip
        if role == STATE_ROLE:
            return self.catalog.states.get(clip.id, "local")
        if role == CLAIM_ROLE:
            return self.claims[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [clip.title, contributors_text(clip), clip.licence or "no licence"]
            if self.claims[index.row()] is not None:
                lines.append(f"published by {clip.owner or 'unknown'}")
            return escaped("\n".join(lines))  # a tooltip guesses rich text
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return [CLIPS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        mime = QMimeData()
        ids = [self.rows[i.row()].id for i in indexes if i.isValid()]
        mime.setData(CLIPS_MIME, json.dumps(ids).encode("utf-8"))
        return mime


class LibraryFilter(QSortFilterProxyModel):
    """Search text (title, contributors, tags) and the kind/tag/contributor/licence filters."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.kind = _ANY
        self.tag = _ANY
        self.contributor = _ANY
        self.licence = _ANY
        self.match_text = True  # off for the shared library: the server matched the words already

    def set_filters(
        self,
        *,
        text: str | None = None,
        kind: str | None = None,
        tag: str | None = None,
        contributor: str | None = None,
        licence: str | None = None,
        match_text: bool | None = None,
    ) -> None:
        """Change the given filters (None leaves one as it is) and filter the rows again once."""
        self.beginFilterChange()
        self.text = self.text if text is None else text
        self.kind = self.kind if kind is None else kind
        self.tag = self.tag if tag is None else tag
        self.contributor = self.contributor if contributor is None else contributor
        self.licence = self.licence if licence is None else licence
        self.match_text = self.match_text if match_text is None else match_text
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        clip: Clip = self.sourceModel().index(row, 0, parent).data(CLIP_ROLE)
        if self.kind != _ANY and clip.kind != self.kind:
            return False
        if self.licence != _ANY and clip.licence != self.licence:
            return False
        if self.tag != _ANY and self.tag not in clip.tags:
            return False
        if self.contributor != _ANY and self.contributor not in {c.name for c in clip.credits}:
            return False
        if self.text and self.match_text:
            haystack = " ".join(
                [clip.title, contributors_text(clip), " ".join(clip.tags), clip.licence]
            ).lower()
            return all(word in haystack for word in self.text.lower().split())
        return True


class LibraryDelegate(QStyledItemDelegate):
    """Poster, title, duration, contributors and licence, and the pull/publish state."""

    def __init__(self, media: MediaCache | None) -> None:
        super().__init__()
        self.media = media

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(240, ROW_HEIGHT)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        palette = colors()
        clip: Clip = index.data(CLIP_ROLE)
        state: str = index.data(STATE_ROLE)
        rect = option.rect.adjusted(3, 2, -3, -2)
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            accent = QColor(palette.accent)
            painter.fillRect(rect, accent.darker(220) if palette.name == "dark" else accent.lighter(175))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, QColor(palette.track_alt_bg))
        poster_rect = QRect(rect.left() + 4, rect.top() + 4, 80, rect.height() - 8)
        pixmap = self.media.poster(clip.id) if self.media is not None and clip.has_video else None
        if pixmap is not None and not pixmap.isNull():
            scaled = pixmap.scaled(poster_rect.size(), Qt.AspectRatioMode.KeepAspectRatioByExpanding)
            painter.drawPixmap(poster_rect, scaled, QRect(0, 0, poster_rect.width(), poster_rect.height()))
        else:
            kind_color = palette.audio_clip if clip.kind == "audio" else palette.video_clip
            painter.fillRect(poster_rect, QColor(kind_color).darker(130))
            kind_icon = {"audio": "audio", "image": "image", "title": "title"}.get(clip.kind, "video")
            icon(kind_icon, "#ffffff").paint(painter, poster_rect.adjusted(28, 11, -28, -11))
        x = poster_rect.right() + 10
        title_font = QFont(option.font)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(QColor(palette.text))
        width = rect.right() - x - 26
        title = painter.fontMetrics().elidedText(clip.title, Qt.TextElideMode.ElideRight, width)
        painter.drawText(QRect(x, rect.top() + 4, width, 18), Qt.AlignmentFlag.AlignVCenter, title)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
        painter.setFont(small)
        painter.setPen(QColor(palette.muted))
        duration = format_clock(clip.duration)[:-4] if clip.duration is not None else "still"
        line2 = f"{duration}  ·  {clip.kind}"
        if index.data(CLAIM_ROLE) is not None:
            line2 += f"  ·  by {clip.owner or 'unknown'}"  # whose claim about the file this row is
        if _STATE_TEXT.get(state):
            line2 += f"  ·  {_STATE_TEXT[state]}"
        painter.drawText(QRect(x, rect.top() + 21, width, 16), Qt.AlignmentFlag.AlignVCenter, line2)
        line3 = f"{contributors_text(clip)}  ·  {clip.licence or 'no licence'}"
        line3 = painter.fontMetrics().elidedText(line3, Qt.TextElideMode.ElideRight, width)
        painter.drawText(QRect(x, rect.top() + 36, width, 16), Qt.AlignmentFlag.AlignVCenter, line3)
        if state in _STATE_ICONS:
            icon(_STATE_ICONS[state], palette.accent).paint(
                painter, QRect(rect.right() - 22, rect.top() + 6, 16, 16)
            )
        painter.restore()


class LibraryDock(QWidget):
    import_requested = Signal(list)  # file paths (empty: ask with a file dialog)
    clip_selected = Signal(str)
    pull_requested = Signal(list)
    publish_requested = Signal(list)
    shared_search_requested = Signal(str)  # the words to search the shared library for

    def __init__(self, catalog: ClipCatalog, media: MediaCache | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self.online = False
        self.searching = False
        self.setAcceptDrops(True)
        self._build_search()
        self._build_list(catalog, media)
        self._build_buttons()
        self._lay_out()
        self._connect(catalog, media)
        self.set_online(False)
        self._on_catalog_changed()

    def _build_search(self) -> None:
        """The Local/Shared tabs, the search field and the four labelled filters."""
        self.tabs = QTabBar()
        self.tabs.addTab("Local")
        self.tabs.addTab("Shared")
        self.tabs.setExpanding(False)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search…")
        self.search.setToolTip("Search titles, people and tags")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.kind = QComboBox()
        self.tag = QComboBox()
        self.contributor = QComboBox()
        self.licence = QComboBox()
        self.any_text = {
            self.kind: "Any kind",
            self.tag: "Any tag",
            self.contributor: "Anyone",
            self.licence: "Any licence",
        }
        for combo, tip in (
            (self.kind, "Kind"),
            (self.tag, "Tag"),
            (self.contributor, "Contributor"),
            (self.licence, "Licence"),
        ):
            combo.setToolTip(f"Filter by {tip.lower()}")
            combo.setAccessibleName(f"{tip} filter")
            combo.addItem(self.any_text[combo])
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
            combo.currentTextChanged.connect(self._on_filters_changed)
        self.kind.addItems(["video", "audio", "image"])

    def _build_list(self, catalog: ClipCatalog, media: MediaCache | None) -> None:
        """The clip list (drag source) and the hint shown while the library is empty."""
        self.model = LibraryModel(catalog)
        self.proxy = LibraryFilter()
        self.proxy.setSourceModel(self.model)
        self.list = QListView()
        self.list.setModel(self.proxy)
        self.list.setItemDelegate(LibraryDelegate(media))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setDragEnabled(True)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.list.setUniformItemSizes(True)
        self.list.setMouseTracking(True)
        self.list.selectionModel().currentChanged.connect(self._on_current_changed)
        self.empty = PlainLabel("Drop media files here or use Import… to add clips with their credits.")
        self.empty.setWordWrap(True)
        self.empty.setObjectName("muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def _build_buttons(self) -> None:
        self.import_button = QPushButton(icon("import"), "Import…")
        self.import_button.clicked.connect(lambda: self.import_requested.emit([]))
        self.pull_button = QPushButton(icon("pull"), "Pull")
        self.pull_button.clicked.connect(lambda: self.pull_requested.emit(self.selected_refs()))
        self.publish_button = QPushButton(icon("publish"), "Publish")
        self.publish_button.clicked.connect(lambda: self.publish_requested.emit(self.selected_ids()))

    def _lay_out(self) -> None:
        search_row = QHBoxLayout()
        search_row.addWidget(self.tabs)
        search_row.addWidget(self.search, 1)
        filters = QHBoxLayout()
        for combo in (self.kind, self.tag, self.contributor, self.licence):
            filters.addWidget(combo, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        buttons.addWidget(self.pull_button)
        buttons.addWidget(self.publish_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(search_row)
        layout.addLayout(filters)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)

    def _connect(self, catalog: ClipCatalog, media: MediaCache | None) -> None:
        """Searching as words are typed (shared search after a pause), and following the catalog."""
        self.search.textChanged.connect(self._on_filters_changed)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self._on_search_timer)
        self.search.textChanged.connect(lambda _t: self.search_timer.start() if self.shared else None)
        self.list.selectionModel().selectionChanged.connect(lambda *_: self._sync_buttons())
        catalog.changed.connect(self._on_catalog_changed)
        catalog.shared_changed.connect(self._on_filters_changed)
        if media is not None:
            media.media_ready.connect(lambda _id: self.list.viewport().update())

    @property
    def shared(self) -> bool:
        return self.tabs.currentIndex() == 1

    def set_online(self, online: bool) -> None:
        self.online = online
        tip = "" if online else "Connect to a server (Sync ▸ Connect…) to pull and publish"
        self.pull_button.setToolTip(tip)
        self.publish_button.setToolTip(tip)
        self._sync_buttons()
        if online and self.shared:
            self.search_timer.start()
        self._on_filters_changed()

    def _sync_buttons(self) -> None:
        states = [self.catalog.states.get(i, "local") for i in self.selected_ids()]
        self.pull_button.setVisible(self.shared)
        self.publish_button.setVisible(not self.shared)
        self.import_button.setVisible(not self.shared)
        self.pull_button.setEnabled(self.online and "remote" in states)
        self.publish_button.setEnabled(self.online and "local" in states)

    def selected_ids(self) -> list[str]:
        return [i.data(CLIP_ROLE).id for i in self.list.selectionModel().selectedIndexes()]

    def selected_refs(self) -> list[str]:
        """What a pull of the selection names: a shared row's claim id (several publishers may claim one
        file), a local row's clip id."""
        return [
            i.data(CLAIM_ROLE) or i.data(CLIP_ROLE).id for i in self.list.selectionModel().selectedIndexes()
        ]

    def visible_titles(self) -> list[str]:
        return [self.proxy.index(r, 0).data() for r in range(self.proxy.rowCount())]

    def select_titles(self, titles: list[str]) -> None:
        """Select the visible rows with these titles (as a person would with Ctrl+click)."""
        selection = self.list.selectionModel()
        selection.clearSelection()
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data() in titles:
                selection.select(index, QItemSelectionModel.SelectionFlag.Select)

    def _on_tab_changed(self, index: int) -> None:
        self.model.show_shared(self.shared)
        self.proxy.set_filters(match_text=not self.shared)
        self._sync_buttons()
        if self.shared and self.online:
            self.search_timer.start(0)
        self._on_filters_changed()

    def _on_search_timer(self) -> None:
        if self.shared and self.online:
            self.searching = True
            self.shared_search_requested.emit(self.search.text().strip())
            self._on_filters_changed()

    def show_search_result(self) -> None:
        self.searching = False
        self._on_filters_changed()

    def show_search_failed(self, message: str) -> None:
        self.searching = False
        self.empty.setText(f"The shared library could not be searched: {message}")
        self.empty.setVisible(self.shared)

    def _on_catalog_changed(self) -> None:
        clips = list(self.catalog.clips.values())
        for combo, values in (
            (self.tag, sorted({t for c in clips for t in c.tags})),
            (self.contributor, sorted({p.name for c in clips for p in c.credits})),
            (self.licence, sorted({c.licence for c in clips if c.licence})),
        ):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(self.any_text[combo])
            combo.addItems(values)
            combo.setCurrentText(current if current in values else self.any_text[combo])
            combo.blockSignals(False)
        self._on_filters_changed()

    def _on_filters_changed(self, *_: object) -> None:
        def chosen(combo: QComboBox) -> str:
            return _ANY if combo.currentIndex() <= 0 else combo.currentText()

        self.proxy.set_filters(
            text=self.search.text().strip(),
            kind=chosen(self.kind),
            tag=chosen(self.tag),
            contributor=chosen(self.contributor),
            licence=chosen(self.licence),
        )
        rows = self.proxy.rowCount()
        if not self.shared:
            self.empty.setText("Drop media files here or use Import… to add clips with their credits.")
        elif not self.online:
            self.empty.setText(
                "The shared library appears here once you connect to a server (Sync ▸ Connect…)."
            )
        elif self.searching:
            self.empty.setText("Searching the shared library…")
        else:
            self.empty.setText(
                "No shared clips match." if self.search.text().strip() else "No shared clips yet."
            )
        self.empty.setVisible(rows == 0 or (self.shared and self.searching))
        self._sync_buttons()

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.clip_selected.emit(current.data(CLIP_ROLE).id)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [str(Path(u.toLocalFile())) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.import_requested.emit(paths)
            event.acceptProposedAction()
