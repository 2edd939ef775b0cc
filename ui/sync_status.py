"""What sync shows: the line in the main window's status bar after each round ("Sync: all
sent · 2 conflicts to review"), hidden while sync is off, a click opening Settings → Sync; and,
for the Sync dialog, the other devices and the conflicts to review."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from services.sync.service import ConflictCopy, Device, Status

MAX_CHARS = 90
NOUNS = {"interaction": "Entry", "partner": "Partner", "stakeholder": "Person",
         "commitment": "Commitment", "trust_reading": "Trust reading",
         "health_check": "Health check"}
FIELDS = {"notes": "notes", "reflection": "private reflection", "summary": "summary",
          "text": "text", "note": "note"}


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def summary(status: Status | None, error: str = "") -> str:
    """The status line's text; empty when sync is off (nothing is shown)."""
    if status is None or not status.on:
        return ""
    if status.blocked:
        return f"Sync stopped: {status.blocked}"
    if error:
        return f"Sync: {error}"
    parts = [f"{plural(status.pending, 'change')} to send" if status.pending else "all sent"]
    if status.waiting:
        parts.append(f"{plural(status.waiting, 'row')} waiting for another device")
    if status.conflicts:
        parts.append(f"{plural(status.conflicts, 'conflict')} to review")
    if len(status.devices) <= 1:
        parts.append("no other device yet")
    return "Sync: " + " · ".join(parts)


class SyncStatus(QPushButton):
    """A flat button in the status bar: the line, its whole text in the tooltip."""

    open_sync = Signal()

    def __init__(self, scheduler, parent=None):
        super().__init__(parent)
        self.setObjectName("syncStatus")
        self.setFlat(True)
        self.setAccessibleName("Sync status")
        self.scheduler = scheduler
        self.clicked.connect(self.open_sync.emit)
        scheduler.status_changed.connect(self.redraw)
        scheduler.failed.connect(self.redraw)
        self.full_text = ""
        self.hide()

    def redraw(self, *_) -> None:
        text = summary(self.scheduler.status, self.scheduler.last_error)
        self.full_text = text
        shown = text if len(text) <= MAX_CHARS else text[:MAX_CHARS - 1] + "…"
        self.setText(shown.replace("&", "&&"))
        self.setToolTip(f"{text}\nClick for Settings → Sync." if text else "")
        self.setVisible(bool(text))


def wrapped(text: str, rich: bool = False) -> QLabel:
    """A label that wraps; plain text unless asked (a message may quote a path with '<')."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    return label


class ConflictList(QScrollArea):
    """Each field in conflict: the text shown now and every other version, each with
    'Keep this one'."""

    def __init__(self, keep, parent=None):
        super().__init__(parent)
        self.keep = keep          # keep(conflict, text)
        self.buttons: list[QPushButton] = []
        self.boxes: list[QPlainTextEdit] = []    # each version's text, beside its button
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.show_conflicts([])

    def show_conflicts(self, conflicts: list[ConflictCopy]) -> None:
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(0, 0, 0, 0)
        self.buttons, self.boxes = [], []
        if not conflicts:
            layout.addWidget(QLabel("No conflicts: every device's text agrees."))
        for n, conflict in enumerate(conflicts):
            if n:
                line = QFrame()
                line.setFrameShape(QFrame.Shape.HLine)
                layout.addWidget(line)
            noun = NOUNS.get(conflict.table, conflict.table.replace("_", " ").capitalize())
            field = FIELDS.get(conflict.field, conflict.field.replace("_", " "))
            title = wrapped(f"<b>{noun} “{html.escape(str(conflict.label))}”</b> · {field}, "
                            "changed on two devices without seeing each other", rich=True)
            layout.addWidget(title)
            versions = [("Shown now", conflict.current)]
            versions += [("Other version", text) for text in conflict.others.values()]
            for caption, text in versions:
                layout.addLayout(self._version(conflict, caption, text))
        layout.addStretch()
        self.setWidget(inner)
        self.viewport().setAutoFillBackground(False)   # the dialog's own background
        inner.setAutoFillBackground(False)

    def _version(self, conflict, caption: str, text) -> QHBoxLayout:
        row = QHBoxLayout()
        box = QPlainTextEdit(str(text or ""))
        box.setReadOnly(True)
        box.setAccessibleName(caption)
        box.setMaximumHeight(72)
        button = QPushButton("Keep this one")
        button.setAccessibleName(f"Keep this one: {caption.lower()}")
        button.clicked.connect(lambda _=False, c=conflict, t=text: self.keep(c, t))
        self.buttons.append(button)
        self.boxes.append(box)
        side = QVBoxLayout()
        side.addWidget(QLabel(caption))
        side.addWidget(button)
        side.addStretch()
        row.addLayout(side)
        row.addWidget(box, 1)
        return row


class DevicesTable(QTableWidget):
    """The other devices: name, when its last file was written, how many were applied here."""

    def __init__(self, parent=None):
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(["Other device", "Last seen", "Applied here"])
        self.verticalHeader().hide()
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setWordWrap(False)
        self.setAccessibleName("Other devices")

    def show_devices(self, others: list[Device]) -> None:
        self.setRowCount(len(others))
        for row, device in enumerate(others):
            name = (device.name or device.device[:8]) + (" (left)" if device.left else "")
            seen = device.last_seen.replace("T", " ")[:16] or "—"   # known by a snapshot
            applied = plural(device.applied, "segment") + (
                f", waiting for no. {device.waiting_for}" if device.waiting_for else "")
            for column, text in enumerate((name, seen, applied)):
                self.setItem(row, column, QTableWidgetItem(text))
        if not others:
            self.setRowCount(1)
            self.setItem(0, 0, QTableWidgetItem("None yet: join from another device"))
        self.setFixedHeight(self.horizontalHeader().sizeHint().height()
                            + self.rowHeight(0) * min(self.rowCount(), 4) + 4)
