"""Commitments of a partner, ours and theirs: overdue ones stand out; mark kept or broken."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QLineEdit,
)

from models.tables import CommitmentStatus
from services import commitments
from ui.context import AppContext
from ui.record_table import RecordPanel, selected_record
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


class CommitmentsPanel(RecordPanel):
    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(ctx, [
            ("Owed by", lambda c: "us" if c.owed_by.value == "us" else "them"),
            ("Due", lambda c: (c.due.isoformat() if c.due else "—")
             + ("  overdue" if commitments.is_overdue(c) else "")),
            ("Status", lambda c: c.status.value),
            ("Promise", lambda c: c.text),
        ], _style, "Commitments", [
            ("Add…", self.add), ("Mark kept", lambda: self.mark(CommitmentStatus.kept)),
            ("Mark broken", lambda: self.mark(CommitmentStatus.broken))], parent)

    def fetch(self, partner_id: int):
        return commitments.list_commitments, {"partner_id": partner_id}

    def arrange(self, rows: list) -> list:
        """Overdue first, then open by due date, then the settled ones."""
        return sorted(rows, key=lambda c: (not commitments.is_overdue(c),
                                           c.status != CommitmentStatus.open,
                                           c.due or date.max))

    def add(self) -> None:
        if self.partner_id is None:
            return
        self.open_form(CommitmentDialog(self), lambda values: self.write(
            commitments.add_commitment, commitment_in=values | {"partner_id": self.partner_id}))

    def mark(self, status: CommitmentStatus) -> None:
        commitment = selected_record(self.view)
        if commitment is not None:
            self.write(commitments.set_status, commitment_id=commitment.id, status=status)
