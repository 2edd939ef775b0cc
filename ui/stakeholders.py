"""Stakeholders of a partner: a table with role, influence and stance; add, edit, remove."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
)

from models.enums import Side, Stance
from services import journal
from ui import theme
from ui.context import AppContext
from ui.record_table import RecordPanel, selected_record
from ui.since_view import show_since
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
        # issue 14: the e-mail calendar imports match, and a keep-in-touch cadence of their own
        self.email = QLineEdit(getattr(stakeholder, "email", ""))
        self.ideal, self.most = (QSpinBox(minimum=0, maximum=3650, value=getattr(
            stakeholder, attr, None) or 0) for attr in ("touch_ideal_days", "touch_max_days"))
        for box in (self.ideal, self.most):
            box.setSpecialValueText("by influence")
            box.setSuffix(" days")
        for label, widget in (("Name", self.name), ("Role", self.role),
                              ("Influence (1-5)", self.influence), ("Stance", self.stance),
                              ("", self.internal), ("", self.active), ("Notes", self.notes),
                              ("E-mail", self.email), ("Keep in touch every", self.ideal),
                              ("At most every", self.most)):
            form.addRow(label, widget)
        form.addRow(save_cancel(self))

    def values(self) -> dict:
        return {"name": self.name.text(), "role": self.role.text(),
                "influence": self.influence.value(), "stance": self.stance.currentData(),
                "side": "internal" if self.internal.isChecked() else "partner",
                "active": self.active.isChecked(), "notes": self.notes.toPlainText(),
                "email": self.email.text().strip(),
                "touch_ideal_days": self.ideal.value() or None,
                "touch_max_days": self.most.value() or None}


def _style(person, role):
    if role == Qt.ItemDataRole.ForegroundRole and not person.active:
        return theme.colour("inactive")
    if role == Qt.ItemDataRole.DecorationRole:
        return theme.stance_colour(person.stance.value)
    return None


class StakeholdersPanel(RecordPanel):
    KINDS = ("stakeholder", "stance_change")

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(ctx, [
            ("Name", lambda s: s.name + ("" if s.active else " (left)")),
            ("Side", lambda s: "ours" if s.side == Side.internal else "theirs"),
            ("Role", lambda s: s.role),
            ("Influence", lambda s: "★" * s.influence),
            ("Stance", lambda s: s.stance.value),
        ], _style, "Stakeholders", [("Add…", self.add), ("Edit…", self.edit),
                                    ("Remove", self.remove),
                                    ("Since we last spoke…", lambda: show_since(self))],
                         parent)
        self.view.doubleClicked.connect(self.edit)

    def fetch(self, partner_id: int):
        return journal.list_stakeholders, {"partner_id": partner_id}

    def add(self) -> None:
        if self.partner_id is None:
            return
        self.open_form(StakeholderDialog(parent=self), lambda values: self.write(
            journal.create_stakeholder, stakeholder_in=values | {"partner_id": self.partner_id}))

    def edit(self, *_) -> None:
        person = selected_record(self.view)
        if person is None:
            return
        self.open_form(StakeholderDialog(person, parent=self), lambda values: self.write(
            journal.update_stakeholder, stakeholder_id=person.id, stakeholder_in=values))

    def remove(self) -> None:
        person = selected_record(self.view)
        if person is None:
            return
        answer = QMessageBox.question(self, "Remove stakeholder",
                                      f"Remove {person.name}? Their trust readings go too; the "
                                      "entries they attended stay.")
        if answer == QMessageBox.StandardButton.Yes:
            self.write(journal.delete_stakeholder, stakeholder_id=person.id)
