"""The entry view and editor: one interaction, with its people, tags, difficulty, Markdown notes
(edit / preview), the private reflection and a trust reading with its live index.

Typing is never lost: after 2 s without typing, and when asked (close, lock), the content is
saved as an encrypted draft; saving the entry drops the draft.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from models.enums import InteractionKind
from services import journal, voice
from services.journal import drafts, entry
from ui.context import AppContext
from ui.dates import datetime_edit
from ui.errors import report
from ui.fields import TRUST_PARTS, MarkdownField, scale_slider, trust_sliders
from ui.icons import icon_label, lock_icon
from ui.suggestions import attach_to_editor
from ui.voice_widget import VoiceCapture

AUTOSAVE_MS = 2000


class EntryEditor(QWidget):
    saved = Signal(int)          # the interaction's id
    opened = Signal(object)      # the interaction's id, or None for a new entry
    deleted = Signal(int)
    restore = Signal(int, object, dict)  # partner, interaction (or None), the draft's content

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.partner_id: int | None = None
        self.interaction_id: int | None = None
        self.new_key: str | None = None  # a new entry's own draft key
        self.base: dict | None = None    # the open entry as loaded (entry.form_data)
        self.dirty = False
        self._loading = False
        self.autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self.autosave.timeout.connect(self.save_draft)
        self._build()
        self.clear()
        ctx.notices.changed.connect(self._arrived)

    # --- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.heading = QLabel("<b>No entry open</b>")
        self.title = QLineEdit(placeholderText="What was it? e.g. Steering committee")
        self.when = datetime_edit(QDateTime.currentDateTime(), "When")
        self.kind = QComboBox()
        for k in InteractionKind:
            self.kind.addItem(k.value.capitalize(), k.value)
        self.participants = QListWidget()
        self.participants.setMaximumHeight(110)
        self.tags = QLineEdit(placeholderText="tags, separated by commas")
        self.difficulty = scale_slider(0, 5, 0, "Difficulty, 0 to 5")
        self.difficulty_label = QLabel()
        self.notes = MarkdownField("Notes (Markdown): what was said, decided, asked",
                                   name="Notes")
        self.reflection = MarkdownField("Only for you: what you felt, what you suspect, what "
                                        "you would do differently", name="Private reflection")
        self.reflection.setObjectName("privateReflection")  # tinted: resources/confidant.qss
        private = icon_label(lock_icon(), "Private reflection — never exported unless you ask")
        private.setObjectName("privateLabel")

        self.trust_box = QGroupBox("Record a trust reading for this partner")
        self.trust_box.setCheckable(True)
        self.trust_box.setChecked(False)
        self.trust, self.trust_index = trust_sliders(self.trust_box, self._update_index)
        self._update_index()

        self.save_button = QPushButton("Save entry")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self.delete)
        self.message = QLabel()

        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("When", self.when)
        form.addRow("Kind", self.kind)
        form.addRow("Participants", self.participants)
        form.addRow("Tags", self.tags)
        diff = QHBoxLayout()
        diff.addWidget(self.difficulty, 1)
        diff.addWidget(self.difficulty_label)
        form.addRow("Difficulty", diff)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        self.voice = VoiceCapture(self.ctx, [("Notes", self.notes.editor),  # issue 15
                                             ("Private reflection", self.reflection.editor)],
                                  lambda: self.partner_id)
        self.voice.heard.connect(self._tick_heard)  # issue 20: names in a memo tick people
        layout.addWidget(self.voice)
        layout.addWidget(QLabel("Notes"))
        layout.addWidget(self.notes, 2)
        layout.addWidget(private)
        layout.addWidget(self.reflection, 1)
        self.suggestions = attach_to_editor(self)  # issue 23: promises, people, signs
        layout.addWidget(self.suggestions)
        layout.addWidget(self.trust_box)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.save_button)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.scroll = scroll
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        buttons.setContentsMargins(9, 0, 9, 6)  # issue 20: Save stays in view, under the scroll
        outer.addLayout(buttons)

        self.difficulty.valueChanged.connect(
            lambda v: self.difficulty_label.setText(f"{v}/5"))
        self.difficulty_label.setText("0/5")
        for signal in (self.title.textChanged, self.tags.textChanged, self.notes.changed,
                       self.reflection.changed, self.difficulty.valueChanged,
                       self.kind.currentIndexChanged, self.when.dateTimeChanged,
                       self.participants.itemChanged, self.trust_box.toggled):
            signal.connect(self._touched)
        for slider in self.trust.values():
            slider.valueChanged.connect(self._touched)
        # a tab order that follows the form
        order = [self.title, self.when, self.kind, self.participants, self.tags, self.difficulty,
                 self.notes.editor, self.reflection.editor, self.trust_box, self.save_button]
        for first, second in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def _tick_heard(self, text: str) -> None:
        """A memo (or its fixed names) names a listed person in full: tick them."""
        rows = [self.participants.item(i) for i in range(self.participants.count())]
        named = set(voice.names_in(text, [r.data(Qt.ItemDataRole.UserRole + 1) or ""
                                          for r in rows]))
        for row in rows:
            if row.data(Qt.ItemDataRole.UserRole + 1) in named:
                row.setCheckState(Qt.CheckState.Checked)

    def _update_index(self) -> None:
        c, r, i, s = (self.trust[p].value() for p in TRUST_PARTS)
        self.trust_index.setText(f"<b>{(c + r + i) / s:.2f}</b>")

    def _touched(self, *_) -> None:
        if self._loading or self.partner_id is None:
            return
        self.dirty = True
        self.message.setText("Unsaved changes")
        self.autosave.start()

    # --- open --------------------------------------------------------------------------------
    def new_entry(self, partner_id: int, content: dict | None = None) -> None:
        self.voice.clear_message()  # the last entry's (no microphone) is not this one's
        self.ctx.db(entry.load_entry, partner_id=partner_id,
                    on_done=lambda data: self._show(data, content))

    def open_entry(self, interaction_id: int, content: dict | None = None) -> None:
        self.voice.clear_message()
        self.ctx.db(entry.load_entry, interaction_id=interaction_id,
                    on_done=lambda data: self._show(data, content))

    def _show(self, data: entry.EntryData, draft: dict | None = None) -> None:
        self._loading = True
        self.autosave.stop()
        if data.partner_id != self.partner_id or (data.interaction.id if data.interaction
                                                   else None) != self.interaction_id:
            self.voice.reset()  # another entry: the last memo is not this one's
        self.partner_id = data.partner_id
        item = data.interaction
        self.interaction_id = item.id if item else None
        # a new entry's own draft key (a restored draft keeps its own)
        self.new_key = None if item else (draft or {}).get("draft_key") or \
            drafts.new_entry_key()
        self.heading.setText(f"<b>{'Entry #' + str(item.id) if item else 'New entry'}</b>")
        self.title.setText(item.title if item else "")
        self.when.setDateTime(QDateTime(item.occurred_at if item else datetime.now()))
        self.kind.setCurrentIndex(self.kind.findData(item.kind.value if item else "meeting"))
        self.participants.clear()
        for person in data.stakeholders:
            side = " (ours)" if person.side == "internal" else ""
            row = QListWidgetItem(f"{person.name}{side} — {person.role}".rstrip(" —"))
            row.setData(Qt.ItemDataRole.UserRole, person.id)
            row.setData(Qt.ItemDataRole.UserRole + 1, person.name)
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Checked if person.id in data.participant_ids
                              else Qt.CheckState.Unchecked)
            self.participants.addItem(row)
        self.tags.setText(", ".join(data.tags))
        self.difficulty.setValue(item.difficulty if item else 0)
        self.notes.set_text(item.notes if item else "")
        self.reflection.set_text(item.reflection if item else "")
        self.trust_box.setChecked(data.reading is not None)  # ticked: this entry has its reading
        for part in TRUST_PARTS:
            self.trust[part].setValue(getattr(data.reading, part) if data.reading else 5)
        # what the form showed: a save writes only what the user changed from it
        self.base = entry.form_data(self.content()) if item else None
        if draft:
            self._apply(draft)
        self._loading = False
        self.dirty = bool(draft)
        self.message.setText("Restored from an unsaved draft" if draft else "")
        self.setEnabled(True)
        self.delete_button.setEnabled(self.interaction_id is not None)
        self.opened.emit(self.interaction_id)
        if not item or draft:
            self.title.setFocus()

    # --- drafts ------------------------------------------------------------------------------
    def offer_drafts(self, found: list) -> None:
        """At start: offer each unsaved draft back, newest first, until one is restored (the
        rest wait for the next start); one declined is dropped."""
        for n, draft in enumerate(found):
            content = drafts.load_draft_content(draft)
            more = len(found) - n - 1
            answer = QMessageBox.question(
                self, "Restore unsaved entry",
                f"Confidant found an entry you had not saved ('"
                f"{content.get('title') or 'untitled'}', {draft.updated_at:%Y-%m-%d %H:%M})"
                + (f"; {more} more after it" if more else "") + ". Restore it?")
            if answer == QMessageBox.StandardButton.Yes:  # the window opens the partner, then
                content.setdefault("draft_key", draft.key)  # the entry, focused
                self.restore.emit(content["partner_id"], content.get("interaction_id"), content)
                return
            self.ctx.db(drafts.discard_draft, write=True, key=draft.key)

    def content(self) -> dict:
        return {
            "partner_id": self.partner_id, "interaction_id": self.interaction_id,
            "title": self.title.text(), "when": self.when.dateTime().toPython().isoformat(),
            "kind": self.kind.currentData(), "tags": self.tags.text(),
            "difficulty": self.difficulty.value(), "notes": self.notes.text(),
            "reflection": self.reflection.text(),
            "participant_ids": [self.participants.item(i).data(Qt.ItemDataRole.UserRole)
                                for i in range(self.participants.count())
                                if self.participants.item(i).checkState() == Qt.CheckState.Checked],
            "trust": ({p: s.value() for p, s in self.trust.items()}
                      if self.trust_box.isChecked() else None),
            "draft_key": self.draft_key(),
        }

    def draft_key(self) -> str:
        return drafts.draft_key(self.interaction_id, self.new_key)

    def release(self, proceed) -> None:
        """Leave this entry for another, never discarding typed text without asking: nothing
        typed, go on; else Save (then go on, once saved), Discard, or Cancel (stay)."""
        if not self.dirty or self.partner_id is None:
            proceed()
            return
        answer = QMessageBox.question(
            self, "Unsaved entry",
            f"Save '{self.title.text().strip() or 'the untitled entry'}' before you go on?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            self.save(then=proceed)
        elif answer == QMessageBox.StandardButton.Discard:
            self.autosave.stop()
            self.ctx.db(drafts.discard_draft, write=True, key=self.draft_key())
            self.dirty = False
            proceed()

    def _apply(self, draft: dict) -> None:
        self.title.setText(draft.get("title", ""))
        if draft.get("when"):
            self.when.setDateTime(QDateTime(datetime.fromisoformat(draft["when"])))
        self.kind.setCurrentIndex(max(0, self.kind.findData(draft.get("kind", "meeting"))))
        self.tags.setText(draft.get("tags", ""))
        self.difficulty.setValue(int(draft.get("difficulty", 0)))
        self.notes.set_text(draft.get("notes", ""))
        self.reflection.set_text(draft.get("reflection", ""))
        chosen = set(draft.get("participant_ids", []))
        for i in range(self.participants.count()):
            row = self.participants.item(i)
            row.setCheckState(Qt.CheckState.Checked if row.data(Qt.ItemDataRole.UserRole)
                              in chosen else Qt.CheckState.Unchecked)
        if draft.get("trust"):
            self.trust_box.setChecked(True)
            for part, value in draft["trust"].items():
                self.trust[part].setValue(int(value))

    def save_draft(self):
        """Save the unsaved content as an encrypted draft; returns the task (or None)."""
        self.autosave.stop()
        if not self.dirty or self.partner_id is None or self.ctx.vault is None:
            return None
        task = self.ctx.db(drafts.save_draft, write=True,
                           key=self.draft_key(), content=self.content(),
                           on_done=lambda _: self.message.setText("Draft saved"))
        return task

    # --- save --------------------------------------------------------------------------------
    def save(self, then=None, wrap=None) -> None:
        """Save the entry; `then()` runs once it is saved (not if the save fails); `wrap`
        adds a step to the same use case (accepted suggestions)."""
        if self.partner_id is None:
            return
        self.autosave.stop()
        c = self.content()
        self.save_button.setEnabled(False)
        save, memo = self.voice.saving(entry.save_entry)  # with the memo, if it is kept
        save = wrap(save) if wrap else save
        self.ctx.db(save, write=True, interaction_id=self.interaction_id,
                    data=entry.form_data(c), base=self.base, reading=c["trust"],
                    draft=self.draft_key(), on_error=self._failed,
                    on_done=lambda item: (self._saved(item), then and then()), **memo)

    def _arrived(self, changes) -> None:
        """Another device's changes (sync): an open entry not being typed in shows them; one
        being typed in keeps the typing, and its save keeps both versions of a text."""
        if not getattr(changes.initiator, "remote", False) or self.interaction_id is None:
            return
        if self.dirty:
            self.message.setText("Changed elsewhere too: saving keeps both")
            return
        self.ctx.db(entry.load_entry, interaction_id=self.interaction_id, on_done=self._show,
                    on_error=lambda _err: self.clear())   # deleted there

    def _saved(self, item) -> None:
        self.base = entry.form_data(self.content())
        self.save_button.setEnabled(True)
        self.voice.saved()
        self.dirty = False
        self.interaction_id = item.id
        self.heading.setText(f"<b>Entry #{item.id}</b>")
        self.message.setText("Saved")
        self.saved.emit(item.id)

    def _failed(self, err: BaseException) -> None:
        self.save_button.setEnabled(True)
        report(err, self, self.message.setText)

    def delete(self) -> None:
        ident = self.interaction_id
        if ident is None:
            return
        answer = QMessageBox.question(
            self, "Delete entry", f"Delete '{self.title.text()}' with its participants, tags "
            "and its link to trust readings and commitments (they stay)? This cannot be undone "
            "(a backup can).")
        if answer == QMessageBox.StandardButton.Yes:
            self.ctx.db(journal.delete_interaction, write=True, interaction_id=ident,
                        on_done=lambda _: (self.clear(), self.deleted.emit(ident)))

    def clear(self) -> None:
        """No entry open: every field empty (nothing of another entry shows through), today's
        date ready for the next one."""
        self.autosave.stop()
        self.voice.reset()
        self.suggestions.clear()
        self._loading = True
        self.partner_id = self.interaction_id = self.new_key = self.base = None
        self.dirty = False
        self.heading.setText("<b>No entry open</b>")
        for field in (self.title, self.tags):
            field.clear()
        self.notes.set_text("")
        self.reflection.set_text("")
        self.participants.clear()
        self.kind.setCurrentIndex(max(0, self.kind.findData("meeting")))
        self.difficulty.setValue(0)
        self.when.setDateTime(QDateTime.currentDateTime())
        self.trust_box.setChecked(False)
        for slider in self.trust.values():
            slider.setValue(5)
        self.message.clear()
        self._loading = False
        self.setEnabled(False)
