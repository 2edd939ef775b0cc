"""'Reflect on a difficult meeting' (Ctrl+Shift+N): a guided template that becomes an entry."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSlider,
    QVBoxLayout,
)

from services import reflection
from ui.context import AppContext
from ui.errors import report

QUESTIONS = [
    ("happened", "What happened?", "Facts first: who said what, what was decided."),
    ("felt", "How did I feel?", "Private. Name it: angry, embarrassed, relieved…"),
    ("they_need", "What may they need?", "Their pressures, their boss, their numbers."),
    ("next_steps", "What will I do next?", "Private. The smallest next step that rebuilds trust."),
]


class ReflectDialog(QDialog):
    recorded = Signal(int, int)  # partner id, interaction id

    def __init__(self, ctx: AppContext, partners: list, partner_id: int | None = None,
                 parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Reflect on a difficult meeting")
        layout = QVBoxLayout(self)
        intro = QLabel("Take five minutes while it is fresh. How you felt and what you will do "
                       "next stay private.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.partner = QComboBox()
        for p in partners:
            self.partner.addItem(p.name, p.id)
        if partner_id is not None:
            self.partner.setCurrentIndex(max(0, self.partner.findData(partner_id)))
        self.title = QLineEdit(placeholderText="e.g. Steering committee: listing slipped")
        self.when = QDateTimeEdit(QDateTime(datetime.now().replace(second=0, microsecond=0)),
                                  calendarPopup=True)
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.difficulty = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=5, value=4)
        form.addRow("Partner", self.partner)
        form.addRow("Meeting", self.title)
        form.addRow("When", self.when)
        form.addRow("How difficult (0-5)", self.difficulty)
        self.answers = {}
        for key, question, hint in QUESTIONS:
            box = QPlainTextEdit(placeholderText=hint)
            box.setTabChangesFocus(True)
            box.setMinimumHeight(60)
            form.addRow(question, box)
            self.answers[key] = box
        self.ours = QPlainTextEdit(placeholderText="One per line")
        self.theirs = QPlainTextEdit(placeholderText="One per line")
        for box in (self.ours, self.theirs):
            box.setTabChangesFocus(True)
            box.setMaximumHeight(60)
        form.addRow("We committed to", self.ours)
        form.addRow("They committed to", self.theirs)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c62828;")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(620, 720)

    def reflection(self) -> reflection.Reflection:
        return reflection.Reflection(
            partner_id=self.partner.currentData(), title=self.title.text(),
            occurred_at=self.when.dateTime().toPython(), difficulty=self.difficulty.value(),
            ours=self.ours.toPlainText().splitlines(),
            theirs=self.theirs.toPlainText().splitlines(),
            **{key: box.toPlainText() for key, box in self.answers.items()})

    def save(self) -> None:
        if self.partner.currentData() is None:
            self.error.setText("Add a partner first.")
            return
        self.save_button.setEnabled(False)
        self.ctx.db(reflection.record_reflection, write=True, reflection=self.reflection(),
                    on_done=self._saved, on_error=self._failed)

    def _saved(self, item) -> None:
        self.recorded.emit(item.partner_id, item.id)
        self.accept()

    def _failed(self, err) -> None:
        self.save_button.setEnabled(True)
        report(err, self, self.error.setText)
