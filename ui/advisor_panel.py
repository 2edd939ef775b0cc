"""The advisor panel beside the entry: choose the question, Ask, watch the advice being written,
Stop; the playbook's angles as cards (the few that answer the question, the rest one click
away); citations that open their entry; saved advice history. A small model's text is a draft:
labelled, folded, and kept out of the brief until the user keeps it.

The model runs on the task helper's 'slow' worker; tokens arrive by signal."""

from __future__ import annotations

import html
import json

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from models.enums import QuestionKind
from services.advice import advisor
from services.advice.advisor import CITE
from ui.angle_cards import AngleCard, AngleCards
from ui.context import AppContext
from ui.errors import report
from ui.notices import affects


def advice_html(text: str) -> str:
    """Plain advice text with [#id] turned into links that open the entry."""
    escaped = html.escape(text)
    linked = CITE.sub(lambda m: f'<a href="entry:{m.group(1)}">[#{m.group(1)}]</a>', escaped)
    return "<p>" + linked.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"


def advice_view_html(parts, angles, grey: str) -> str:
    """The checked advice: kept sentences under their angle (with its citations); each
    withheld sentence one grey line saying why; where nothing on an angle was kept, the
    angle's own first step stands in its place."""
    by_rule = {a.rule: a for a in angles}
    blocks = []
    for rule in dict.fromkeys(p.rule for p in parts):
        mine = [p for p in parts if p.rule == rule]
        kept = " ".join(p.text for p in mine if p.kept)
        angle = by_rule.get(rule)
        head = f"<b>{html.escape(angle.title)}</b>: " if angle else ""
        lines = []
        if kept:
            tail = " " + " ".join(f"[#{i}]" for i in angle.cites) if angle and angle.cites \
                else ""
            lines.append(head + advice_html(kept + tail)[3:-4])
        elif angle is not None and angle.first_step:
            lines.append(f"{head}<i>First step:</i> {html.escape(angle.first_step)}")
        lines += [f'<font color="{grey}">withheld: {html.escape(p.reason)}</font>'
                  for p in mine if not p.kept]
        blocks.append("<br>".join(lines))
    return "<p>" + "</p><p>".join(blocks) + "</p>"


class AdvisorPanel(QWidget):
    open_entry = Signal(int)        # an interaction id
    status = Signal(str)

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        ctx.notices.partner_chosen.connect(self._partner_chosen)
        ctx.notices.changed.connect(self._changes)
        self.partner_id: int | None = None
        self.interaction_id: int | None = None
        self.task = None
        self._text = ""
        self._parts: list[advisor.Part] = []
        self._angles: list = []
        self._draft = False
        self._advice_id: int | None = None     # the advice shown, once saved
        self._build()
        self.set_partner(None)

    def _build(self) -> None:
        self.kind = QComboBox()
        self.kind.setAccessibleName("What to ask about")
        for kind in QuestionKind:
            self.kind.addItem(kind.label, kind.value)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.person = QComboBox()
        self.person.setAccessibleName("The person")
        self.question = QLineEdit(placeholderText="Ask anything about this alliance")
        self.question.setAccessibleName("Your question")
        self.ask_button = QPushButton("Ask")
        self.ask_button.setDefault(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.ask_button.clicked.connect(self.ask)
        self.stop_button.clicked.connect(self.stop)
        self.question.returnPressed.connect(self.ask)
        row = QHBoxLayout()
        row.addWidget(self.kind, 1)
        row.addWidget(self.ask_button)
        row.addWidget(self.stop_button)

        self.cards = AngleCards()
        self.cards.cite_clicked.connect(self.open_entry)
        self.more_button = self.cards.more_button
        self.advice = QTextBrowser()
        self.advice.setAccessibleName("Written advice")
        self.advice.setOpenLinks(False)
        self.advice.anchorClicked.connect(self._link)
        self.advice.setPlaceholderText("The local model's advice appears here as it is written.")
        self.draft_toggle = QToolButton(checkable=True)
        self.draft_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.draft_toggle.setAccessibleName("Show the small model's draft")
        self.draft_toggle.toggled.connect(self._fold)
        self.keep_button = QPushButton("Keep for the brief")
        self.keep_button.setToolTip("You read the draft and stand by it: the brief may use it.")
        self.keep_button.clicked.connect(self.keep)
        draft_row = QHBoxLayout()
        draft_row.setContentsMargins(0, 0, 0, 0)
        draft_row.addWidget(self.draft_toggle, 1)
        draft_row.addWidget(self.keep_button)
        writing = self.writing = QWidget()
        writing_layout = QVBoxLayout(writing)
        writing_layout.setContentsMargins(0, 0, 0, 0)
        writing_layout.addLayout(draft_row)
        writing_layout.addWidget(self.advice, 1)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.history = QListWidget()
        self.history.setAccessibleName("Saved advice")
        self.history.setMaximumHeight(110)
        self.history.itemClicked.connect(self._show_saved)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.cards)
        split.addWidget(writing)
        split.setSizes([260, 260])
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.person)
        layout.addWidget(self.question)
        layout.addWidget(QLabel("<b>Angles</b> (playbook, instant)"))
        layout.addWidget(split, 1)
        layout.addWidget(self.note)
        layout.addWidget(QLabel("<b>Saved advice</b>"))
        layout.addWidget(self.history)
        self._kind_changed()
        self._set_draft(False)

    def _kind_changed(self, *_) -> None:
        kind = self.kind.currentData()
        self.person.setVisible(kind == "politics")
        self.question.setVisible(kind == "free")

    # --- context -----------------------------------------------------------------------------
    def set_partner(self, partner_id: int | None) -> None:
        if partner_id != self.partner_id:
            self.stop()
            self.cards.clear()
            self.advice.clear()
            self.note.clear()
            self.person.clear()
        self.partner_id = partner_id
        self.ask_button.setEnabled(partner_id is not None and self.task is None)
        self._load_history()

    def _partner_chosen(self, partner_id: int | None, _name: str) -> None:
        self.set_partner(partner_id)

    def _changes(self, changes) -> None:
        hit = affects(self.ctx, changes, self.partner_id, ("advice",))
        if hit is None:
            self.set_partner(None)
        elif hit:
            self._load_history()

    def set_people(self, stakeholders: list) -> None:
        """The people a politics question can be about (arrives after the partner)."""
        self.person.clear()
        for p in stakeholders:
            self.person.addItem(p.name, p.id)

    def _load_history(self) -> None:
        if self.partner_id is None:
            self.history.clear()
            return
        self.ctx.db(advisor.list_advice, partner_id=self.partner_id, on_done=self._history)

    def set_interaction(self, interaction_id: int | None) -> None:
        self.interaction_id = interaction_id

    def _history(self, saved) -> None:
        self.history.clear()
        for a in saved:
            item = QListWidgetItem(f"{a.created_at:%Y-%m-%d %H:%M} — {a.question}")
            item.setData(Qt.ItemDataRole.UserRole, a)
            self.history.addItem(item)

    def _show_saved(self, item) -> None:
        a = item.data(Qt.ItemDataRole.UserRole)
        self._text = a.text
        self.cards.clear()
        self._angles = [advisor.playbook.Angle(**angle) for angle in json.loads(a.angles_json)]
        self.cards.show_angles(self._angles)
        self._advice_id = a.id
        self._set_draft(a.draft)
        self._parts = [advisor.Part(**p) for p in json.loads(a.parts_json or "[]")]
        if self._parts:
            self._render()
        else:  # saved before sentences were checked one by one
            self.advice.setHtml(advice_html(a.text))
        self.note.setText(f"Saved {a.created_at:%Y-%m-%d %H:%M}, written by {a.model}"
                          + (", stopped before it finished." if a.stopped else "."))

    def _grey(self) -> str:
        return self.palette().color(QPalette.ColorRole.PlaceholderText).name()

    def _render(self) -> None:
        self.advice.setHtml(advice_view_html(self._parts, self._angles, self._grey()))
        self.advice.verticalScrollBar().setValue(self.advice.verticalScrollBar().maximum())

    # --- ask / stream / stop -----------------------------------------------------------------
    def request(self) -> advisor.AdviceRequest:
        kind = self.kind.currentData()
        return advisor.AdviceRequest(
            partner_id=self.partner_id, kind=kind,
            question=self.question.text().strip() if kind == "free" else None,
            interaction_id=self.interaction_id,
            stakeholder_id=self.person.currentData() if kind == "politics" else None,
            no_contact_days=self.ctx.settings.no_contact_days)

    def ask(self) -> None:
        if self.partner_id is None or self.task is not None:
            return
        request = self.request()
        if request.kind == "free" and not request.question:
            self.note.setText("Type your question first.")
            return
        holder, values, meaning = self.ctx.llm, self.ctx.settings, self.ctx.meaning
        data_dir = self.ctx.data_dir

        def job(*, session, task):
            def model_source():
                task.progress.emit(("status", "Loading the model…"))
                model = holder.for_settings(values, data_dir)
                task.progress.emit(("draft", advisor.is_draft(model)))
                task.progress.emit(("status", f"{model.name} is writing…"))
                return model

            return advisor.advise(   # read by meaning, when that model is there
                session=session, request=request, model_source=model_source,
                meaning=meaning.available(data_dir),
                listener=advisor.AdviceListener(
                    angles=lambda angles: task.progress.emit(("angles", angles)),
                    token=lambda piece: task.progress.emit(("token", piece)),
                    part=lambda part: task.progress.emit(("part", part)),
                    stopped=lambda: task.cancelled))

        self._text = ""
        self._parts = []
        self._advice_id = None
        self._set_draft(False)
        self.advice.clear()
        self.note.setText("Reading the journal…")
        self.ask_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.task = self.ctx.db(job, slow=True, on_progress=self._progress,
                                on_done=lambda result: self._written(request, result),
                                on_error=self._failed)

    def _progress(self, event) -> None:
        what, value = event
        if what == "angles":
            self._angles = list(value)
            self.cards.show_angles(self._angles)
            if not value:
                self.note.setText("No alarms: the journal's signals for this partner are calm.")
        elif what == "token":  # kept text only: a sentence appears once it passed the check
            self._text += value
        elif what == "part":
            self._parts.append(value)
            self._render()
        elif what == "status":
            self.note.setText(value)
        elif what == "draft":
            self._set_draft(value)

    def _finish(self) -> None:
        self.task = None
        self.ask_button.setEnabled(self.partner_id is not None)
        self.stop_button.setEnabled(False)

    def _written(self, request, result) -> None:
        """Advice with text is saved through the one write worker, then shown as saved."""
        if not result.text:
            return self._done(result)
        self.ctx.db(advisor.save_advice, request=request, result=result, write=True,
                    on_done=lambda advice: self._saved(advice, result), on_error=self._failed)

    def _saved(self, advice, result) -> None:
        self._advice_id = advice.id
        self._set_draft(result.draft)
        self._done(result)

    def _done(self, result) -> None:
        self._finish()
        withheld = sum(not p.kept for p in result.parts)
        held = f" {withheld} sentence(s) withheld by the check." if withheld else ""
        if result.text:
            self._text = result.text
            self._render()
            rate = result.timing.tokens_per_second
            draft = (" A draft: folded above, and left out of the brief until you keep it."
                     if result.draft else "")
            self.note.setText(("Stopped. " if result.stopped else "")
                              + f"Written by {result.model}; saved with "
                              f"{len(result.cited)} citation(s).{held}{draft}")
            self.status.emit(f"{result.model} · {rate:.0f} tokens/s")  # the save's notice
            # brings the history up to date
        elif result.parts:
            self._render()
            self.note.setText(("Stopped. " if result.stopped else "") + "The model's text was "
                              f"withheld: none of its {len(result.parts)} sentence(s) passed "
                              "the check; the angles' first steps stand. Nothing was saved.")
        else:
            self.note.setText(result.no_model_reason or "No advice was written.")

    def _failed(self, err) -> None:
        self._finish()
        self.note.setText("")
        report(err, self, self.note.setText)

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    # --- a small model's draft ---------------------------------------------------------------
    def _set_draft(self, draft: bool) -> None:
        """A draft is folded under one line saying what it is; other advice shows at once."""
        self._draft = bool(draft)
        self.draft_toggle.setVisible(self._draft)
        self.draft_toggle.setChecked(False)
        self.keep_button.setVisible(self._draft and self._advice_id is not None)
        self._fold(not self._draft)

    def _fold(self, shown: bool) -> None:
        """Folded, the draft is one line and the angles take the room; unfolded, it reads."""
        open_ = shown or not self._draft
        self.advice.setVisible(open_)
        self.writing.setMaximumHeight(16777215 if open_ else
                                      self.draft_toggle.sizeHint().height() + 4)
        self.draft_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else
                                       Qt.ArrowType.RightArrow)
        self.draft_toggle.setText(f"Draft, {advisor.DRAFT_LABEL}")
        self.draft_toggle.setToolTip("Hide the draft" if shown else "Read the draft")

    def keep(self) -> None:
        if self._advice_id is None:
            return

        def kept(_advice) -> None:
            self.keep_button.hide()
            self.note.setText("Kept: the brief may now include this advice.")
        self.ctx.db(advisor.keep_advice, advice_id=self._advice_id, write=True, on_done=kept,
                    on_error=self._failed)

    # --- links -------------------------------------------------------------------------------
    def _link(self, url: QUrl) -> None:
        if url.scheme() == "entry":
            self.open_entry.emit(int(url.path()))

    def angle_cards(self) -> list[AngleCard]:
        return self.cards.cards()
