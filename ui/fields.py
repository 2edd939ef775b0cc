"""Two small inputs of the entry editor: a Markdown text with an Edit / Preview toggle, and a
whole-number scale slider (difficulty 0-5, a trust reading's parts 1-10)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
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
