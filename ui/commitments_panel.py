"""Commitments of a partner, ours and theirs: overdue ones stand out; mark kept or broken."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from models.tables import CommitmentStatus
from services import commitments
from ui.context import AppContext
from ui.record_table import RecordTableModel, record_view, selected_record
from ui.small_dialogs import save_cancel


class CommitmentDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New commitment")
        form = QFormLayout(self)
        self.text = QLineEdit(placeholderText="What was promised")
        self.owed_by = QComboBox()
        self.owed_by.addItem("Us", "us")
        self.owed_by.addItem("Them", "them")
        self.due = QDateEdit(QDate.currentDate().addDays(14), calendarPopup=True)
        form.addRow("Promise", self.text)
        form.addRow("Owed by", self.owed_by)
        form.addRow("Due", self.due)
        form.addRow(save_cancel(self))

    def values(self) -> dict:
        return {"text": self.text.text(), "owed_by": self.owed_by.currentData(),
                "due": self.due.date().toPython()}


def _style(c, role):
    overdue = commitments.is_overdue(c)
    if role == Qt.ItemDataRole.ForegroundRole:
        if overdue:
            return QColor("#c62828")
        if c.status != CommitmentStatus.open:
            return QColor("#757575")
    if role == Qt.ItemDataRole.FontRole and overdue:
        font = QFont()
        font.setBold(True)
        return font
    if role == Qt.ItemDataRole.ToolTipRole and overdue:
        return f"Overdue by {(date.today() - c.due).days} days"
    return None


class CommitmentsPanel(QWidget):
    changed = Signal()

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.partner_id: int | None = None
        self.model = RecordTableModel([
            ("Owed by", lambda c: "us" if c.owed_by.value == "us" else "them"),
            ("Due", lambda c: (c.due.isoformat() if c.due else "—")
             + ("  overdue" if commitments.is_overdue(c) else "")),
            ("Status", lambda c: c.status.value),
            ("Promise", lambda c: c.text),
        ], _style, self)
        self.view = record_view(self.model, "Commitments")
        layout = QVBoxLayout(self)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add…")
        self.kept_button = QPushButton("Mark kept")
        self.broken_button = QPushButton("Mark broken")
        self.add_button.clicked.connect(self.add)
        self.kept_button.clicked.connect(lambda: self.mark(CommitmentStatus.kept))
        self.broken_button.clicked.connect(lambda: self.mark(CommitmentStatus.broken))
        for b in (self.add_button, self.kept_button, self.broken_button):
            buttons.addWidget(b)
        buttons.addStretch()
        layout.addLayout(buttons)
        layout.addWidget(self.view)

    def load(self, partner_id: int | None) -> None:
        self.partner_id = partner_id
        if partner_id is None:
            self.model.set_records([])
            return
        self.ctx.db(commitments.list_commitments, partner_id=partner_id,
                    on_done=self._show)

    def _show(self, rows) -> None:
        # overdue first, then open by due date, then the settled ones
        rows = sorted(rows, key=lambda c: (not commitments.is_overdue(c),
                                           c.status != CommitmentStatus.open,
                                           c.due or date.max))
        self.model.set_records(rows)

    def _after_write(self, *_):
        self.load(self.partner_id)
        self.changed.emit()

    def add(self) -> None:
        if self.partner_id is None:
            return
        dialog = CommitmentDialog(self)
        dialog.accepted.connect(lambda: self.ctx.db(
            commitments.add_commitment, write=True, on_done=self._after_write,
            commitment_in=dialog.values() | {"partner_id": self.partner_id}))
        dialog.open()
        self.dialog = dialog

    def mark(self, status: CommitmentStatus) -> None:
        commitment = selected_record(self.view)
        if commitment is not None:
            self.ctx.db(commitments.set_status, write=True, on_done=self._after_write,
                        commitment_id=commitment.id, status=status)
