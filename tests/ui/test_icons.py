"""Icons are drawn at the resolution of the device they are painted on, whatever the painter's own scale."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.qt


def _image(ratio: float, side: int):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    image = QImage(round(side * ratio), round(side * ratio), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(Qt.GlobalColor.transparent)
    return image


@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_the_device_ratio_is_read_from_the_painter(qapp, ratio):
    from PySide6.QtGui import QPainter

    from studio.ui.icons import device_pixel_ratio

    image = _image(ratio, 16)
    painter = QPainter(image)
    try:
        assert device_pixel_ratio(painter) == pytest.approx(ratio)
        painter.scale(3, 3)  # a zoomed view: its own scale is not the screen's
        painter.rotate(30)
        assert device_pixel_ratio(painter) == pytest.approx(ratio)
    finally:
        painter.end()


def test_an_icon_on_a_2x_screen_is_drawn_at_device_resolution(qapp):
    """The icon painted at 16 logical pixels on a 2x device equals the SVG rendered straight at 32 device
    pixels by Qt's own SVG renderer, not a 16-pixel drawing scaled up."""
    from PySide6.QtCore import QByteArray, QRect
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgRenderer

    from studio.ui.icons import icon
    from studio.ui.theme import colors, resources_dir

    painted = _image(2.0, 16)
    painter = QPainter(painted)
    icon("search").paint(painter, QRect(0, 0, 16, 16))
    painter.end()

    svg = (resources_dir() / "icons" / "search.svg").read_bytes()
    svg = svg.replace(b"currentColor", colors().text.encode("ascii"))
    expected = _image(1.0, 32)
    painter = QPainter(expected)
    QSvgRenderer(QByteArray(svg)).render(painter)
    painter.end()

    low = _image(1.0, 16)
    painter = QPainter(low)
    QSvgRenderer(QByteArray(svg)).render(painter)
    painter.end()
    upscaled = low.scaled(32, 32)

    drawn = painted.copy()
    drawn.setDevicePixelRatio(1.0)
    assert drawn.size() == expected.size()
    assert drawn == expected
    assert upscaled != expected  # the check can tell the two apart
