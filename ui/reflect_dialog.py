"""'Reflect on a difficult meeting' (Ctrl+Shift+N): a guided template that becomes an entry."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDate, QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from services import journal
from services.journal import reflection, suggest
from ui.context import AppContext
from ui.dates import date_edit, datetime_edit
from ui.errors import report
from ui.suggestions import attach_to_reflection
from ui.voice_widget import VoiceCapture

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
        self.when = datetime_edit(QDateTime(datetime.now().replace(second=0, microsecond=0)),
                                  "When")
        self.difficulty = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=5, value=4)
        form.addRow("Partner", self.partner)
        form.addRow("Meeting", self.title)
        form.addRow("When", self.when)
        form.addRow("How difficult (0-5)", self.difficulty)
        self.participants = QListWidget()
        self.participants.setAccessibleName("Who was in the meeting")
        self.participants.setMaximumHeight(96)
        form.addRow("Who was there", self.participants)
        self.partner.currentIndexChanged.connect(self._load_people)
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
        self.ours_due = self._due_edit("When ours fall due")
        self.theirs_due = self._due_edit("When theirs fall due")
        form.addRow("We committed to", self.ours)
        form.addRow("… due by", self.ours_due)
        form.addRow("They committed to", self.theirs)
        form.addRow("… due by", self.theirs_due)
        # issue 20: the questions scroll, so the dialog and its Save fit an 800 px screen
        body = QWidget()
        body.setLayout(form)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setWidget(body)
        self.scroll.setMinimumHeight(200)
        layout.addWidget(self.scroll, 1)
        self.suggestions = attach_to_reflection(self)  # issue 23: promises, people, signs
        layout.addWidget(self.suggestions)
        self.voice = VoiceCapture(ctx, [  # issue 15: a memo into the facts or the feelings
            ("What happened?", self.answers["happened"]),
            ("How did I feel? (private)", self.answers["felt"])], self.partner.currentData)
        layout.insertWidget(1, self.voice)
        self.error = QLabel()
        self.error.setObjectName("errorText")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        self.resize(620, min(760, screen.height() - 60))  # room for the title bar
        self._load_people()

    @staticmethod
    def _due_edit(name: str) -> QDateEdit:
        return date_edit(QDate.currentDate().addDays(14), name)

    def _load_people(self, *_) -> None:
        self.participants.clear()
        partner_id = self.partner.currentData()
        if partner_id is not None and self.ctx.vault is not None:
            self.ctx.db(journal.list_stakeholders, partner_id=partner_id,
                        on_done=lambda people: self._people(partner_id, people),
                        on_error=lambda err: report(err, self, self.error.setText))

    def _people(self, partner_id: int, people: list) -> None:
        if partner_id != self.partner.currentData():
            return  # the user chose another partner meanwhile
        self.participants.clear()
        for person in people:
            if not person.active:
                continue
            row = QListWidgetItem(f"{person.name} — {person.role}".rstrip(" —"))
            row.setData(Qt.ItemDataRole.UserRole, person.id)
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Unchecked)
            self.participants.addItem(row)

    def participant_ids(self) -> list[int]:
        return [self.participants.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.participants.count())
                if self.participants.item(i).checkState() == Qt.CheckState.Checked]

    def reflection(self) -> reflection.Reflection:
        return reflection.Reflection(
            partner_id=self.partner.currentData(), title=self.title.text(),
            occurred_at=self.when.dateTime().toPython(), difficulty=self.difficulty.value(),
            ours=self.ours.toPlainText().splitlines(),
            theirs=self.theirs.toPlainText().splitlines(),
            ours_due=self.ours_due.date().toPython(),
            theirs_due=self.theirs_due.date().toPython(),
            participant_ids=self.participant_ids(),
            **{key: box.toPlainText() for key, box in self.answers.items()})

    def save(self) -> None:
        if self.partner.currentData() is None:
            self.error.setText("Add a partner first.")
            return
        self.save_button.setEnabled(False)
        save, memo = self.voice.saving(reflection.record_reflection)
        if self.accepted_suggestions:  # issue 23: accepted suggestions, in the same use case
            save = suggest.accepting(save, self.accepted_suggestions)
        self.ctx.db(save, write=True, reflection=self.reflection(),
                    on_done=self._saved, on_error=self._failed, **memo)

    def _saved(self, item) -> None:
        self.voice.saved()
        self.recorded.emit(item.partner_id, item.id)
        self.accept()

    def _failed(self, err) -> None:
        self.save_button.setEnabled(True)
        report(err, self, self.error.setText)

    def done(self, result: int) -> None:
        self.voice.reset()  # a memo still transcribing stops; an unsaved one is dropped
        super().done(result)
