"""The advisor panel beside the entry: choose the question, Ask, watch the advice being written,
Stop; the playbook's angles as cards; citations that open their entry; saved advice history.

The model runs on the task helper's 'slow' worker; tokens arrive by signal."""

from __future__ import annotations

import html
import json

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from services import advisor
from services.advisor import CITE
from ui.context import AppContext

KINDS = [("trust", "Rebuild trust after this entry"),
         ("politics", "Navigate politics with…"),
         ("strategy", "Align our strategies"),
         ("prepare", "Prepare for the next meeting"),
         ("free", "A free question…")]
CATEGORY_COLOURS = {"trust": "#1565c0", "politics": "#6a1b9a", "strategy": "#2e7d32"}


def advice_html(text: str) -> str:
    """Plain advice text with [#id] turned into links that open the entry."""
    escaped = html.escape(text)
    linked = CITE.sub(lambda m: f'<a href="entry:{m.group(1)}">[#{m.group(1)}]</a>', escaped)
    return "<p>" + linked.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"


class AngleCard(QFrame):
    cite_clicked = Signal(int)

    def __init__(self, angle, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        colour = CATEGORY_COLOURS.get(angle.category, "#546e7a")
        self.setStyleSheet(f"AngleCard {{ border-left: 4px solid {colour}; }}")
        cites = " ".join(f'<a href="entry:{i}">[#{i}]</a>' for i in angle.cites)
        label = QLabel(f"<b>{html.escape(angle.title)}</b><br>{html.escape(angle.why)} {cites}"
                       f"<br><i>First step:</i> {html.escape(angle.first_step)}")
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        label.linkActivated.connect(lambda link: self.cite_clicked.emit(int(link.split(":")[1])))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(label)
        self.label = label


class AdvisorPanel(QWidget):
    open_entry = Signal(int)        # an interaction id
    status = Signal(str)

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.partner_id: int | None = None
        self.interaction_id: int | None = None
        self.task = None
        self._text = ""
        self._build()
        self.set_partner(None)

    def _build(self) -> None:
        self.kind = QComboBox()
        for key, text in KINDS:
            self.kind.addItem(text, key)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.person = QComboBox()
        self.question = QLineEdit(placeholderText="Ask anything about this alliance")
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

        self.cards = QWidget()
        self.cards_layout = QVBoxLayout(self.cards)
        self.cards_layout.addStretch()
        cards_scroll = QScrollArea()
        cards_scroll.setWidgetResizable(True)
        cards_scroll.setWidget(self.cards)
        self.advice = QTextBrowser()
        self.advice.setOpenLinks(False)
        self.advice.anchorClicked.connect(self._link)
        self.advice.setPlaceholderText("The local model's advice appears here as it is written.")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.history = QListWidget()
        self.history.setMaximumHeight(110)
        self.history.itemClicked.connect(self._show_saved)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(cards_scroll)
        split.addWidget(self.advice)
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

    def _kind_changed(self, *_) -> None:
        kind = self.kind.currentData()
        self.person.setVisible(kind == "politics")
        self.question.setVisible(kind == "free")

    # --- context -----------------------------------------------------------------------------
    def set_partner(self, partner_id: int | None) -> None:
        if partner_id != self.partner_id:
            self.stop()
            self._clear_cards()
            self.advice.clear()
            self.note.clear()
            self.person.clear()
        self.partner_id = partner_id
        self.ask_button.setEnabled(partner_id is not None and self.task is None)
        self.refresh_history()

    def set_people(self, stakeholders: list) -> None:
        """The people a politics question can be about (arrives after the partner)."""
        self.person.clear()
        for p in stakeholders:
            self.person.addItem(p.name, p.id)

    def refresh_history(self) -> None:
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
        self.advice.setHtml(advice_html(a.text))
        self._clear_cards()
        for angle in json.loads(a.angles_json):
            self._add_card(advisor.playbook.Angle(**angle))
        self.note.setText(f"Saved {a.created_at:%Y-%m-%d %H:%M}, written by {a.model}.")

    # --- ask / stream / stop -----------------------------------------------------------------
    def request(self) -> advisor.AdviceRequest:
        kind = self.kind.currentData()
        return advisor.AdviceRequest(
            partner_id=self.partner_id, kind=kind,
            question=self.question.text().strip() if kind == "free" else None,
            interaction_id=self.interaction_id,
            stakeholder_id=self.person.currentData() if kind == "politics" else None)

    def ask(self) -> None:
        if self.partner_id is None or self.task is not None:
            return
        request = self.request()
        if request.kind == "free" and not request.question:
            self.note.setText("Type your question first.")
            return
        vault, holder, values = self.ctx.vault, self.ctx.llm, dict(self.ctx.settings)
        data_dir = self.ctx.data_dir

        def job(task):
            def model_source():
                task.progress.emit(("status", "Loading the model…"))
                model = holder.for_settings(values, data_dir)
                task.progress.emit(("status", f"{model.name} is writing…"))
                return model

            with vault.session() as session:
                return advisor.advise(
                    session=session, request=request, model_source=model_source,
                    on_angles=lambda angles: task.progress.emit(("angles", angles)),
                    on_token=lambda piece: task.progress.emit(("token", piece)),
                    should_stop=lambda: task.cancelled,
                    no_contact_days=int(values["no_contact_days"]))

        self._text = ""
        self.advice.clear()
        self.note.setText("Reading the journal…")
        self.ask_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.task = self.ctx.tasks.run(job, pool="slow", on_progress=self._progress,
                                       on_done=self._done, on_error=self._failed)

    def _progress(self, event) -> None:
        what, value = event
        if what == "angles":
            self._clear_cards()
            for angle in value:
                self._add_card(angle)
            if not value:
                self.note.setText("No alarms: the journal's signals for this partner are calm.")
        elif what == "token":
            self._text += value
            self.advice.setHtml(advice_html(self._text))
            self.advice.verticalScrollBar().setValue(self.advice.verticalScrollBar().maximum())
        elif what == "status":
            self.note.setText(value)

    def _finish(self) -> None:
        self.task = None
        self.ask_button.setEnabled(self.partner_id is not None)
        self.stop_button.setEnabled(False)

    def _done(self, result) -> None:
        self._finish()
        if result.text:
            self._text = result.text
            self.advice.setHtml(advice_html(result.text))
            rate = sum(g.completion_tokens for g in result.generations) / max(
                sum(g.seconds for g in result.generations), 1e-9)
            self.note.setText(("Stopped. " if result.stopped else "")
                              + f"Written by {result.model}; saved with "
                              f"{len(result.cited)} citation(s).")
            self.status.emit(f"{result.model} · {rate:.0f} tokens/s")
            self.refresh_history()
        else:
            self.note.setText(result.no_model_reason or "No advice was written.")

    def _failed(self, err) -> None:
        self._finish()
        self.note.setText("")
        self.ctx.tasks.error.emit(err)

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    # --- cards and links ---------------------------------------------------------------------
    def _clear_cards(self) -> None:
        while self.cards_layout.count() > 1:
            widget = self.cards_layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()

    def _add_card(self, angle) -> None:
        card = AngleCard(angle)
        card.cite_clicked.connect(self.open_entry)
        self.cards_layout.insertWidget(self.cards_layout.count() - 1, card)

    def _link(self, url: QUrl) -> None:
        if url.scheme() == "entry":
            self.open_entry.emit(int(url.path()))

    def angle_cards(self) -> list[AngleCard]:
        return [self.cards_layout.itemAt(i).widget() for i in range(self.cards_layout.count())
                if isinstance(self.cards_layout.itemAt(i).widget(), AngleCard)]
