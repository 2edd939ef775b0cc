"""Small inputs of the entry editor: a Markdown text with an Edit / Preview toggle, a
whole-number scale slider (difficulty 0-5, a trust reading's parts 1-10), and the trust
reading's four sliders."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)


def scale_slider(low: int, high: int, value: int, name: str) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setAccessibleName(name)
    slider.setRange(low, high)
    slider.setValue(value)
    slider.setPageStep(1)
    return slider


TRUST_PARTS = ("credibility", "reliability", "intimacy", "self_orientation")


def trust_sliders(box: QWidget, on_change) -> tuple[dict[str, QSlider], QLabel]:
    """The four parts of a trust reading (1-10, each with its value) and the index's label,
    laid out in `box`; `on_change` runs when any part moves."""
    form = QFormLayout(box)
    sliders = {}
    for part in TRUST_PARTS:
        name = part.replace("_", "-").capitalize()
        slider = scale_slider(1, 10, 5, name + ", 1 to 10")
        value = QLabel("5")
        slider.valueChanged.connect(lambda v, label=value: label.setNum(v))
        slider.valueChanged.connect(on_change)
        row = QHBoxLayout()
        row.addWidget(slider, 1)
        row.addWidget(value)
        form.addRow(name, row)
        sliders[part] = slider
    index = QLabel()
    form.addRow("Trust index (C + R + I) / S", index)
    return sliders, index


class MarkdownField(QWidget):
    """A Markdown text with an Edit / Preview toggle."""

    changed = Signal()

    def __init__(self, placeholder: str, parent=None, name: str = ""):
        super().__init__(parent)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText(placeholder)
        self.editor.setAccessibleName(name)
        self.editor.setTabChangesFocus(True)
        self.preview = QTextBrowser()
        self.preview.setOpenExternalLinks(False)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.editor)
        self.stack.addWidget(self.preview)
        self.toggle = QPushButton("Preview")
        self.toggle.setCheckable(True)
        self.toggle.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.toggle.toggled.connect(self._toggled)
        self.editor.textChanged.connect(self.changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle, alignment=Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.stack)

    def _toggled(self, on: bool) -> None:
        if on:
            self.preview.setMarkdown(self.editor.toPlainText())
        self.stack.setCurrentIndex(1 if on else 0)
        self.toggle.setText("Edit" if on else "Preview")

    def text(self) -> str:
        return self.editor.toPlainText()

    def set_text(self, text: str) -> None:
        self.toggle.setChecked(False)
        self.editor.setPlainText(text)
