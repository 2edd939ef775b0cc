"""What an empty journal shows: a welcome, 'Add a partner…' and 'Load the sample journal'."""

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
        hello = QLabel("<h2>Your journal is empty</h2>Add the first partner you work with, or "
                       "explore Confidant with a realistic sample journal.")
        hello.setWordWrap(True)
        hello.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(hello)
        first_partner = QPushButton("Add a partner…")
        first_partner.clicked.connect(self.add_partner)
        self.sample_button = QPushButton("Load the sample journal")
        self.sample_button.clicked.connect(self.load_sample)
        for b in (first_partner, self.sample_button):
            layout.addWidget(b, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch()
