"""'Suggestions from your notes' (issue 23): promises, people and warning signs the notes propose,
each with the words it was read from, to accept, edit or dismiss. Computed in the background
(ctx.db, a read) after a pause in typing or on Suggest; nothing is written until Accept, which
the owner (the entry editor, the reflection dialog) applies in its one save use case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from services.advice import llm
from services.journal import suggest
from ui.errors import is_expected, log_unexpected, report, user_message

PAUSE_MS = 1200
KIND_TEXT = {"promise": {"us": "Promise (we owe)", "them": "Promise (they owe)"},
             "person": "Participant", "new_person": "New person", "sign": "Warning sign"}


def bigger_model(ctx):
    """The model in use when one is loaded and it is not the bundled 270M (which adds nothing
    here: bench/extract_bench.py); None otherwise (rules only)."""
    model = getattr(ctx.llm, "model", None)
    path = getattr(getattr(model, "settings", None), "path", None)
    if model is None or (path is not None and Path(path).name == llm.BUNDLED_NAME):
        return None
    return model


class SuggestionsBox(QGroupBox):
    """The list; `chosen` carries the accepted proposals, as edited."""

    chosen = Signal(list)

    def __init__(self, ctx, source: Callable[[], dict | None], parent=None):
        super().__init__("Suggestions from your notes", parent)
        self.setObjectName("suggestions")
        self.ctx, self.source = ctx, source
        self.proposals: list = []
        self.dismissed: set[tuple[str, str]] = set()
        self._asked = self._with_model = 0
        self.pause = QTimer(self, singleShot=True, interval=PAUSE_MS)
        self.pause.timeout.connect(self.refresh)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Kind", "Suggestion", "Due", "Your words"])
        self.table.setAccessibleName("Suggestions from your notes")
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMaximumHeight(150)
        self.suggest_button = QPushButton("Suggest")
        self.suggest_button.setToolTip("Read the notes again for promises, people and signs")
        self.suggest_button.clicked.connect(self.refresh)
        self.accept_button = QPushButton("Accept selected")
        self.accept_button.clicked.connect(self.accept)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setToolTip("Hide the ticked suggestions (all, if none is ticked)")
        self.dismiss_button.clicked.connect(self.dismiss)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        for button in (self.suggest_button, self.dismiss_button, self.accept_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(row)
        self._show([])

    # --- computing ---------------------------------------------------------------------------
    def schedule(self, *_) -> None:
        """After a pause in typing (never on every key)."""
        self.pause.start()

    def refresh(self) -> None:
        self.pause.stop()
        asked = self.source()
        if asked is None or self.ctx.vault is None:
            self._show([])
            return
        self._asked += 1
        ticket = self._asked
        self.ctx.db(suggest.propose, **asked, on_done=lambda found: self._delivered(ticket, found),
                    on_error=self._failed)
        model = bigger_model(self.ctx)
        if model is not None:   # then the rules' and the bigger model's, on the slow pool
            self.ctx.db(suggest.propose, **asked, model=model, slow=True,
                        on_done=lambda found: self._delivered(ticket, found, True),
                        on_error=self._model_failed)

    def _delivered(self, ticket: int, found: list, with_model: bool = False) -> None:
        """The latest request's list, to a live window; the rules' alone never replaces the
        list with the model's additions (the pools finish in any order)."""
        if ticket != self._asked or not shiboken6.isValid(self) or (
                not with_model and self._with_model == ticket):
            return
        self._with_model = ticket if with_model else self._with_model
        self._show(found)

    def _failed(self, err: BaseException) -> None:
        if shiboken6.isValid(self):
            report(err, self, self.message.setText)

    def _model_failed(self, err: BaseException) -> None:
        """The model's extra items are optional: a failure there is logged and named in one
        line, never a dialog over the user's typing; the rules' list stands."""
        if not shiboken6.isValid(self):
            return
        if user_message(err) is not None and not is_expected(err):
            log_unexpected(err)
        self.message.setText("The model's suggestions failed; the rules' list stands.")

    def clear(self) -> None:
        self.pause.stop()
        self._asked += 1
        self.dismissed.clear()
        self._show([])

    # --- showing -----------------------------------------------------------------------------
    def _show(self, found: list) -> None:
        self.proposals = [p for p in found if (p.kind, p.quote) not in self.dismissed]
        self.table.setRowCount(len(self.proposals))
        for n, p in enumerate(self.proposals):
            kind = KIND_TEXT[p.kind]
            kind = kind[p.fields["owed_by"]] if isinstance(kind, dict) else kind
            first = QTableWidgetItem(kind)
            first.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
                           | Qt.ItemFlag.ItemIsSelectable)
            first.setCheckState(Qt.CheckState.Unchecked)
            what = (p.fields["text"] if p.kind == "promise" else p.fields["name"]
                    if p.kind == "person" else suggest.describe(p))   # the kind says the rest
            due = p.fields.get("due")
            cells = [first, QTableWidgetItem(what),
                     QTableWidgetItem(due.isoformat() if isinstance(due, date) else ""),
                     QTableWidgetItem(f"“{p.quote}”")]
            for column, cell in enumerate(cells[1:], 1):
                editable = p.kind == "promise" and column in (1, 2)
                cell.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | (Qt.ItemFlag.ItemIsEditable if editable else
                                 Qt.ItemFlag.NoItemFlags))
            cells[3].setToolTip(p.quote[:500])
            cells[1].setToolTip(suggest.describe(p))
            for column, cell in enumerate(cells):
                self.table.setItem(n, column, cell)
        has = bool(self.proposals)
        self.accept_button.setEnabled(has)
        self.dismiss_button.setEnabled(has)
        self.message.setText("Tick what to keep; double-click a promise to edit it."
                             if has else "Nothing to suggest yet.")

    def ticked(self) -> list[int]:
        return [n for n in range(self.table.rowCount())
                if self.table.item(n, 0).checkState() == Qt.CheckState.Checked]

    # --- deciding ----------------------------------------------------------------------------
    def accept(self) -> None:
        rows = self.ticked()
        if not rows:
            self.message.setText("Tick the suggestions to accept first.")
            return
        chosen = []
        for n in rows:
            p = self.proposals[n]
            if p.kind == "promise":
                text = self.table.item(n, 1).text().strip()
                due_text = self.table.item(n, 2).text().strip()
                try:
                    due = date.fromisoformat(due_text) if due_text else None
                except ValueError:
                    self.message.setText(f"Row {n + 1}: write the due date as YYYY-MM-DD.")
                    return
                if not text:
                    self.message.setText(f"Row {n + 1}: the promise needs its words.")
                    return
                p = replace(p, fields=p.fields | {"text": text, "due": due})
            chosen.append(p)
        self.dismissed.update((p.kind, p.quote) for p in chosen)
        self.chosen.emit(chosen)
        self._show(self.proposals)

    def dismiss(self) -> None:
        rows = self.ticked() or range(len(self.proposals))
        self.dismissed.update((self.proposals[n].kind, self.proposals[n].quote) for n in rows)
        self._show(self.proposals)


def attach_to_editor(editor) -> SuggestionsBox:
    """The entry editor's box: it reads the notes and reflection as they are typed, and Accept
    saves the entry with the accepted suggestions, in one use case."""
    box = SuggestionsBox(editor.ctx, lambda: None if editor.partner_id is None else {
        "partner_id": editor.partner_id, "interaction_id": editor.interaction_id,
        "text": suggest.entry_text(editor.notes.text(), editor.reflection.text()),
        "when": editor.when.dateTime().toPython(),
        "participant_ids": editor.content()["participant_ids"]})

    def accepted(chosen: list) -> None:
        ids = {p.fields["stakeholder_id"] for p in chosen if p.kind == "person"}
        for i in range(editor.participants.count()):
            row = editor.participants.item(i)
            if row.data(Qt.ItemDataRole.UserRole) in ids:
                row.setCheckState(Qt.CheckState.Checked)
        new = any(p.kind == "new_person" for p in chosen)
        editor.save(wrap=lambda save: suggest.accepting(save, chosen),
                    then=(lambda: editor.open_entry(editor.interaction_id)) if new else None)

    box.chosen.connect(accepted)
    for field in (editor.notes, editor.reflection):
        field.changed.connect(lambda: editor._loading or box.schedule())
    editor.opened.connect(lambda _: (box.clear(), box.refresh()))
    return box


def attach_to_reflection(dialog) -> SuggestionsBox:
    """The reflection dialog's box: it reads the answers; what is accepted is recorded with the
    reflection when it is saved (one use case), the people ticked at once."""
    def source():
        partner_id = dialog.partner.currentData()
        if partner_id is None:
            return None
        return {"partner_id": partner_id, "when": dialog.when.dateTime().toPython(),
                "text": "\n\n".join(box.toPlainText() for box in dialog.answers.values()),
                "participant_ids": dialog.participant_ids()}

    box = SuggestionsBox(dialog.ctx, source)
    dialog.accepted_suggestions = []

    def accepted(chosen: list) -> None:
        ids = {p.fields["stakeholder_id"] for p in chosen if p.kind == "person"}
        for i in range(dialog.participants.count()):
            row = dialog.participants.item(i)
            if row.data(Qt.ItemDataRole.UserRole) in ids:
                row.setCheckState(Qt.CheckState.Checked)
        dialog.accepted_suggestions += [p for p in chosen if p.kind != "person"]
        held = len(dialog.accepted_suggestions)
        box.message.setText(f"{held} accepted: recorded with the reflection when you save."
                            if held else "Ticked in 'Who was there'.")

    box.chosen.connect(accepted)
    for answer in dialog.answers.values():
        answer.textChanged.connect(box.schedule)
    dialog.partner.currentIndexChanged.connect(lambda _: (
        box.clear(), dialog.accepted_suggestions.clear()))
    return box
