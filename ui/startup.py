"""The start-up frame: painted within a few milliseconds of Qt, before the journal's modules
(SQLAlchemy, pydantic, the vault) load. It holds the saved geometry, says what is happening,
and parents the first-run and unlock dialogs; the main window then takes its place."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QMainWindow


def ui_settings(data_dir: Path) -> QSettings:
    """Window geometry and splitters (not private): an ini file in the data dir."""
    return QSettings(str(data_dir / "ui.ini"), QSettings.Format.IniFormat)


class StartupFrame(QMainWindow):
    def __init__(self, data_dir: Path):
        super().__init__()
        self.setWindowTitle("Confidant")
        label = QLabel("Opening your journal…")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setEnabled(False)
        self.setCentralWidget(label)
        geometry = ui_settings(data_dir).value("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
