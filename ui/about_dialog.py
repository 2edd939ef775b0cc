"""Help -> About: the version (from pyproject.toml) and the licences of what is bundled."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout

from services import about


class AboutDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("About Confidant")
        layout = QVBoxLayout(self)
        self.heading = QLabel(
            f"<h2>Confidant {about.version()}</h2>A private journal and offline advisor for "
            "alliance professionals. Your journal stays on this machine, encrypted. Nothing is "
            "sent anywhere unless you add a model server; one on another computer is used only "
            "after you agreed to it by name, and receives only what <i>Show what will be "
            "sent</i> shows.")
        self.heading.setWordWrap(True)
        self.licences = QTextBrowser()
        self.licences.setMarkdown(about.licences_text())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(self.heading)
        layout.addWidget(self.licences)
        layout.addWidget(buttons)
        self.resize(640, 520)
