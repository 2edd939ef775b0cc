"""Locking: the lock screen that hides the journal, and the idle watcher."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.context import AppContext
from ui.icons import lock_icon
from ui.vault_dialogs import UnlockForm

INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                QEvent.Type.Wheel}


class LockScreen(QWidget):
    unlocked = Signal()

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch()
        self.picture = QLabel()
        self.picture.setPixmap(lock_icon(48).pixmap(48, 48))
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setAccessibleName("Locked")
        title = QLabel("<h2>Confidant is locked</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.picture)
        layout.addWidget(title)
        self.form = UnlockForm(ctx, self.unlocked.emit, self)
        self.form.setMaximumWidth(420)
        layout.addWidget(self.form, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch()


class IdleWatcher(QObject):
    """Emits `idle` once the user has not touched the app for `minutes` (0: never)."""

    idle = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.minutes = 0
        self.last_input = time.monotonic()
        self.timer = QTimer(self, interval=15_000)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if event.type() in INPUT_EVENTS:
            self.last_input = time.monotonic()
        return False

    def check(self) -> None:
        if self.minutes and time.monotonic() - self.last_input >= self.minutes * 60:
            self.last_input = time.monotonic()
            self.idle.emit()
