"""Showing text that came from other people (titles, names, server messages, file names) in Qt widgets.

QLabel, tooltips and message boxes guess whether a string is rich text: a title such as `<b>x</b>` or
`<img src=...>` would be rendered (or fetched) instead of shown. Labels that show such text are
`PlainLabel`s (plain text, always); tooltips and message boxes, which have no plain mode, get `escaped()`
rich text that displays the characters literally. Both neutralise control characters and bidirectional
overrides (`studio.core.display.shown`), so a name cannot hide or reverse the text around it; line breaks
are kept.
"""

from __future__ import annotations

import html

from PySide6 import QtCore
from PySide6.QtWidgets import QLabel, QWidget

from studio.core.display import shown


def lines_shown(text: object) -> str:
    """`text` with its line breaks kept and every other control or bidirectional character made visible."""
    return "\n".join(shown(line) for line in str(text).replace("\r\n", "\n").split("\n"))


def escaped(text: object) -> str:
    """Rich text that shows `text` literally, for tooltips and message boxes (which have no plain mode)."""
    body = html.escape(lines_shown(text), quote=False).replace("\n", "<br>")
    return f"<qt>{body}</qt>"


class PlainLabel(QLabel):
    """A QLabel that never interprets its text as rich text and shows control characters as escapes."""

    def __init__(self, text: object = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # QtCore.Qt looked up here, not at import: its enums cost the window's start time (main_window.py).
        self.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.setText(text)

    def setText(self, text: object) -> None:
        super().setText(lines_shown(text))
