"""Small icons drawn with QPainter (crisp at any DPI), cached per kind and size."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap


@cache
def badge(letter: str, colour: str, size: int = 32) -> QIcon:
    pixmap = QPixmap(size * 2, size * 2)  # drawn at 2x: sharp on high-DPI screens
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(QRectF(1, 1, size - 2, size - 2))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(size * 0.5))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, letter)
    painter.end()
    return QIcon(pixmap)


def kind_icon(kind: str) -> QIcon:
    from ui.theme import KINDS

    letter, colour = KINDS.get(kind, KINDS["other"])
    return badge(letter, colour)


@cache
def app_icon() -> QIcon:
    from ui.theme import PAPER

    return badge("C", PAPER["index"], 64)


@cache
def lock_icon(size: int = 16) -> QIcon:
    """A padlock drawn with QPainter: no font needs U+1F512 for it to show."""
    from PySide6.QtGui import QPainterPath, QPen

    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    from ui.theme import COLOURS

    colour = QColor(COLOURS["private"][0])
    painter.setPen(QPen(colour, size / 9))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    shackle = QPainterPath()
    shackle.addRoundedRect(QRectF(size * 0.3, size * 0.1, size * 0.4, size * 0.55),
                           size * 0.2, size * 0.2)
    painter.drawPath(shackle)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(QRectF(size * 0.15, size * 0.42, size * 0.7, size * 0.5),
                            size * 0.08, size * 0.08)
    painter.setBrush(QColor("white"))
    painter.drawEllipse(QRectF(size * 0.44, size * 0.56, size * 0.12, size * 0.12))
    painter.end()
    return QIcon(pixmap)


def icon_label(icon: QIcon, text: str, size: int = 16):
    """An icon and its text side by side, as one widget (its accessible name is the text)."""
    from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    picture = QLabel()
    picture.setPixmap(icon.pixmap(size, size))
    picture.setObjectName("iconPicture")
    words = QLabel(text)
    words.setObjectName("iconText")
    layout.addWidget(picture)
    layout.addWidget(words, 1)
    box.setAccessibleName(text)
    box.text = words.text
    return box
