"""Commitments of a partner, ours and theirs: overdue ones stand out; mark kept or broken."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QLineEdit,
    QMessageBox,
)

from models.enums import CommitmentStatus
from services.journal import commitments
from ui import theme
from ui.context import AppContext
from ui.dates import date_edit
from ui.record_table import RecordPanel, selected_record
from ui.small_dialogs import save_cancel


class CommitmentDialog(QDialog):
    """A new promise, or an existing one to edit (its text, due date and who owes it)."""

    def __init__(self, parent=None, commitment=None):
        super().__init__(parent)
        self.setWindowTitle("Edit commitment" if commitment else "New commitment")
        form = QFormLayout(self)
        self.text = QLineEdit(placeholderText="What was promised")
        self.text.setAccessibleName("Promise")
        self.owed_by = QComboBox()
        self.owed_by.setAccessibleName("Owed by")
        self.owed_by.addItem("Us", "us")
        self.owed_by.addItem("Them", "them")
        self.has_due = QCheckBox("Due by")
        self.has_due.setChecked(True)
        self.due = date_edit(QDate.currentDate().addDays(14), "Due date")
        self.has_due.toggled.connect(self.due.setEnabled)
        if commitment is not None:
            self.text.setText(commitment.text)
            self.owed_by.setCurrentIndex(self.owed_by.findData(commitment.owed_by.value))
            self.has_due.setChecked(commitment.due is not None)
            if commitment.due:
                self.due.setDate(QDate(commitment.due))
        form.addRow("Promise", self.text)
        form.addRow("Owed by", self.owed_by)
        form.addRow(self.has_due, self.due)
        form.addRow(save_cancel(self))
        self.setMinimumWidth(460)  # a promise reads whole

    def values(self) -> dict:
        return {"text": self.text.text(), "owed_by": self.owed_by.currentData(),
                "due": self.due.date().toPython() if self.has_due.isChecked() else None}


def _style(c, role):
    overdue = commitments.is_overdue(c)
    if role == Qt.ItemDataRole.ForegroundRole:
        if overdue:
            return theme.colour("overdue")
        if c.status != CommitmentStatus.open:
            return theme.colour("settled")
    if role == Qt.ItemDataRole.FontRole and overdue:
        font = QFont()
        font.setBold(True)
        return font
    if role == Qt.ItemDataRole.ToolTipRole and overdue:
        return f"Overdue by {(date.today() - c.due).days} days"
    return None


class CommitmentsPanel(RecordPanel):
    KINDS = ("commitment", "theme")  # colours are set as rows are filled

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(ctx, [
            ("Owed by", lambda c: "us" if c.owed_by.value == "us" else "them"),
            ("Due", lambda c: (c.due.isoformat() if c.due else "—")
             + ("  overdue" if commitments.is_overdue(c) else "")),
            ("Status", lambda c: c.status.value),
            ("Promise", lambda c: c.text),
        ], _style, "Commitments", [
            ("Add…", self.add), ("Edit…", self.edit),
            ("Mark kept", lambda: self.mark(CommitmentStatus.kept)),
            ("Mark broken", lambda: self.mark(CommitmentStatus.broken)),
            ("Drop", lambda: self.mark(CommitmentStatus.dropped))], parent)
        self.buttons["Drop"].setToolTip("No longer expected by either side: off the board")
        self.view.doubleClicked.connect(self.edit)

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

    def edit(self, *_) -> None:
        commitment = selected_record(self.view)
        if commitment is not None:
            self.open_form(CommitmentDialog(self, commitment), lambda values: self.write(
                commitments.update_commitment, commitment_id=commitment.id,
                commitment_in=values))

    def mark(self, status: CommitmentStatus) -> None:
        commitment = selected_record(self.view)
        if commitment is None:
            return
        if status == CommitmentStatus.dropped and QMessageBox.question(
                self, "Drop the promise",
                f"Drop '{commitment.text}'? It leaves the board and counts as neither kept nor "
                "broken. You can set it open again later.") != QMessageBox.StandardButton.Yes:
            return
        self.write(commitments.set_status, commitment_id=commitment.id, status=status)
