"""The window's one message line: one line (elided, the whole text in its tooltip), a close
button, replaced by the next message, and cleared when its cause is gone."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton


class MessageBar(QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.cause: str | None = None
        self.full_text = ""
        self.label = QLabel()
        self.label.setObjectName("messageText")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setAccessibleName("Dismiss the message")
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(lambda: self.clear())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 2, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Message")
        self.hide()

    def show_message(self, text: str, cause: str | None = None) -> None:
        """Show `text` (its first line), replacing any message before it. `cause` names what
        the message is about ('locked', 'sample'...), so `clear(cause)` removes it once gone."""
        self.full_text = " ".join(text.split())
        self.cause = cause
        self.setToolTip(text)
        self.label.setAccessibleDescription(text)
        self._elide()
        self.show()

    def clear(self, cause: str | None = None) -> None:
        """Hide the message; with a cause, only if the message is about that cause."""
        if cause is not None and cause != self.cause:
            return
        self.full_text, self.cause = "", None
        self.label.clear()
        self.hide()

    def text(self) -> str:
        return self.full_text

    def _elide(self) -> None:
        width = max(self.label.width(), 200)
        self.label.setText(self.label.fontMetrics().elidedText(
            self.full_text, Qt.TextElideMode.ElideRight, width))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._elide()
