"""What an empty journal shows: a welcome, 'Add a partner…' and 'Load the sample journal'.

Until the partners have loaded it says only "Opening your journal…", with no buttons: the
window is on screen before the first query returns, and "Your journal is empty" with live
buttons was a false statement for that half second (issue 20, item 4)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class EmptyState(QWidget):
    add_partner = Signal()
    load_sample = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch()
        self.opening = QLabel("Opening your journal…")
        self.opening.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.opening.setEnabled(False)  # neutral, as the start-up frame says it
        layout.addWidget(self.opening)
        self.hello = QLabel("<h2>Your journal is empty</h2>Add the first partner you work with, "
                            "or explore Confidant with a realistic sample journal.")
        self.hello.setWordWrap(True)
        self.hello.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.hello)
        self.partner_button = QPushButton("Add a partner…")
        self.partner_button.clicked.connect(self.add_partner)
        self.sample_button = QPushButton("Load the sample journal")
        self.sample_button.clicked.connect(self.load_sample)
        for b in (self.partner_button, self.sample_button):
            layout.addWidget(b, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch()
        self.loaded = False
        self._show(False)

    def show_choices(self) -> None:
        """The partners have loaded: if this page shows now, the journal really is empty."""
        if not self.loaded:
            self.loaded = True
            self._show(True)

    def _show(self, loaded: bool) -> None:
        self.opening.setVisible(not loaded)
        for widget in (self.hello, self.partner_button, self.sample_button):
            widget.setVisible(loaded)
