"""Icons from resources/icons drawn in the theme's colours, and the app icon.

An icon is drawn when first painted, at the size painted, and kept: a window with a hundred icons in
menus and toolbars pays nothing at startup for the ones nobody has looked at yet. (This module is
imported after the window's first paint; the skeleton needs no icon.)
"""

from __future__ import annotations

import math
from functools import cache

from PySide6.QtCore import QByteArray, QRect, QSize
from PySide6.QtGui import QIcon, QIconEngine, QPainter, QPixmap

from studio.ui.theme import colors, resources_dir


class SvgIconEngine(QIconEngine):
    """Draws an SVG at the size asked for, on first use, and keeps each drawing. `currentColor` in the
    SVG becomes `color`, or, with none given, the theme's text colour at the time of painting (muted
    when disabled), so icons follow a change of theme on their next paint."""

    def __init__(self, svg: bytes, color: str | None = None) -> None:
        super().__init__()
        self._svg = svg
        self._color = color
        self._drawn: dict[tuple[int, int, str], QPixmap] = {}

    def _colour(self, mode: QIcon.Mode) -> str:
        if mode == QIcon.Mode.Disabled:
            return colors().muted
        return self._color or colors().text

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        colour = self._colour(mode)
        key = (size.width(), size.height(), colour)
        found = self._drawn.get(key)
        if found is None:
            found = _render(self._svg.replace(b"currentColor", colour.encode("ascii")), size)
            self._drawn[key] = found
        return found

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        ratio = device_pixel_ratio(painter)
        size = QSize(round(rect.width() * ratio), round(rect.height() * ratio))
        painter.drawPixmap(rect, self.pixmap(size, mode, state))

    def clone(self) -> QIconEngine:
        return SvgIconEngine(self._svg, self._color)


def device_pixel_ratio(painter: QPainter) -> float:
    """The device pixels per logical pixel the painter draws at: its device transform over its world
    transform, which leaves the scale of the screen. (Asking `painter.device()` makes PySide look the
    device's class up among every paint device it knows, about 50 enum types made on the first call,
    some 10 ms on the first paint of the built window.)"""
    device, world = painter.deviceTransform(), painter.worldTransform()
    world_scale = math.hypot(world.m11(), world.m12())
    if world_scale == 0:
        return 1.0
    return max(1.0, math.hypot(device.m11(), device.m12()) / world_scale)


@cache
def icon(name: str, color: str | None = None) -> QIcon:
    """An icon from resources/icons/<name>.svg in the theme's text colour (following the theme), or in
    `color`."""
    return QIcon(SvgIconEngine((resources_dir() / "icons" / f"{name}.svg").read_bytes(), color))


@cache
def app_icon() -> QIcon:
    return QIcon(SvgIconEngine((resources_dir() / "app-icon.svg").read_bytes()))


def _render(svg: bytes, size: QSize) -> QPixmap:
    from PySide6.QtCore import Qt
    from PySide6.QtSvg import QSvgRenderer

    pixmap = QPixmap(size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    QSvgRenderer(QByteArray(svg)).render(painter)
    painter.end()
    return pixmap
