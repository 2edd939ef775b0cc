"""Stakeholders of a partner: a table with role, influence and stance; add, edit, remove."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from models.tables import Side, Stance
from services import journal
from ui.context import AppContext
from ui.icons import STANCE_COLOURS
from ui.record_table import RecordTableModel, record_view, selected_record
from ui.small_dialogs import save_cancel


class StakeholderDialog(QDialog):
    def __init__(self, stakeholder=None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Edit stakeholder" if stakeholder else "New stakeholder")
        form = QFormLayout(self)
        self.name = QLineEdit(getattr(stakeholder, "name", ""))
        self.role = QLineEdit(getattr(stakeholder, "role", ""))
        self.influence = QSpinBox(minimum=1, maximum=5, value=getattr(stakeholder, "influence", 3))
        self.stance = QComboBox()
        for s in Stance:
            self.stance.addItem(s.value.capitalize(), s.value)
        self.stance.setCurrentIndex(self.stance.findData(
            getattr(stakeholder, "stance", Stance.neutral).value))
        self.internal = QCheckBox("On our side (internal)")
        self.internal.setChecked(getattr(stakeholder, "side", Side.partner) == Side.internal)
        self.active = QCheckBox("Still in the role")
        self.active.setChecked(getattr(stakeholder, "active", True))
        self.notes = QPlainTextEdit(getattr(stakeholder, "notes", ""))
        self.notes.setMaximumHeight(90)
        for label, widget in (("Name", self.name), ("Role", self.role),
                              ("Influence (1-5)", self.influence), ("Stance", self.stance),
                              ("", self.internal), ("", self.active), ("Notes", self.notes)):
            form.addRow(label, widget)
        form.addRow(save_cancel(self))

    def values(self) -> dict:
        return {"name": self.name.text(), "role": self.role.text(),
                "influence": self.influence.value(), "stance": self.stance.currentData(),
                "side": "internal" if self.internal.isChecked() else "partner",
                "active": self.active.isChecked(), "notes": self.notes.toPlainText()}


def _style(person, role):
    if role == Qt.ItemDataRole.ForegroundRole and not person.active:
        return QColor("#9e9e9e")
    if role == Qt.ItemDataRole.DecorationRole:
        return QColor(STANCE_COLOURS[person.stance.value])
    return None


class StakeholdersPanel(QWidget):
    changed = Signal()
    loaded = Signal(list)

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.partner_id: int | None = None
        self.model = RecordTableModel([
            ("Name", lambda s: s.name + ("" if s.active else " (left)")),
            ("Side", lambda s: "ours" if s.side == Side.internal else "theirs"),
            ("Role", lambda s: s.role),
            ("Influence", lambda s: "★" * s.influence),
            ("Stance", lambda s: s.stance.value),
        ], _style, self)
        self.view = record_view(self.model, "Stakeholders")
        self.view.doubleClicked.connect(self.edit)
        self.add_button = QPushButton("Add…")
        self.edit_button = QPushButton("Edit…")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit)
        self.remove_button.clicked.connect(self.remove)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.view)

    def load(self, partner_id: int | None) -> None:
        self.partner_id = partner_id
        if partner_id is None:
            self.model.set_records([])
            return
        self.ctx.db(journal.list_stakeholders, partner_id=partner_id, on_done=self._loaded)

    def _loaded(self, people) -> None:
        self.model.set_records(people)
        self.loaded.emit(people)

    def _after_write(self, *_):
        self.load(self.partner_id)
        self.changed.emit()

    def _open(self, dialog, on_accept) -> None:
        dialog.accepted.connect(lambda: on_accept(dialog.values()))
        dialog.open()
        self.dialog = dialog

    def add(self) -> None:
        if self.partner_id is None:
            return
        self._open(StakeholderDialog(parent=self), lambda values: self.ctx.db(
            journal.create_stakeholder, write=True, on_done=self._after_write,
            stakeholder_in=values | {"partner_id": self.partner_id}))

    def edit(self, *_) -> None:
        person = selected_record(self.view)
        if person is None:
            return
        self._open(StakeholderDialog(person, parent=self), lambda values: self.ctx.db(
            journal.update_stakeholder, write=True, on_done=self._after_write,
            stakeholder_id=person.id, stakeholder_in=values))

    def remove(self) -> None:
        person = selected_record(self.view)
        if person is None:
            return
        answer = QMessageBox.question(self, "Remove stakeholder",
                                      f"Remove {person.name}? Their trust readings go too; the "
                                      "entries they attended stay.")
        if answer == QMessageBox.StandardButton.Yes:
            self.ctx.db(journal.delete_stakeholder, write=True, on_done=self._after_write,
                        stakeholder_id=person.id)
