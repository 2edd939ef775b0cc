"""A partner's health: the trust trend (whole partner or one person), the stakeholder map, and
the commitments board (ours and theirs side by side, overdue first)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from models.tables import CommitmentStatus, OwedBy
from services import commitments, dashboard, journal, since, trust
from ui.checkup_dialog import checkup_button
from ui.context import AppContext
from ui.stakeholder_map import StakeholderMap
from ui.trust_chart import TrustChart


def reliability_text(r: dashboard.Reliability) -> str:
    rate = "no promise settled yet" if r.rate is None else f"{r.rate:.0%} kept"
    late = f", {r.average_days_late:.0f} days late on average" if r.average_days_late else ""
    return f"{rate} ({r.kept} kept, {r.broken} broken), {r.open} open, {r.overdue} overdue{late}"


class CommitmentsBoard(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        grid = QGridLayout(self)
        self.summary = {}
        self.lists = {}
        for column, (side, title) in enumerate(((OwedBy.us, "Ours"), (OwedBy.them, "Theirs"))):
            grid.addWidget(QLabel(f"<b>{title}</b>"), 0, column)
            self.summary[side] = QLabel()
            self.summary[side].setWordWrap(True)
            grid.addWidget(self.summary[side], 1, column)
            self.lists[side] = QListWidget()
            grid.addWidget(self.lists[side], 2, column)

    def fill(self, promises: list, sides: dict) -> None:
        today = date.today()
        for side, widget in self.lists.items():
            widget.clear()
            self.summary[side].setText(reliability_text(sides[side]))
            rows = sorted((c for c in promises if c.owed_by == side),
                          key=lambda c: (not commitments.is_overdue(c, today),
                                         c.status != CommitmentStatus.open, c.due or date.max))
            for c in rows:
                due = f" — due {c.due}" if c.due else ""
                item = QListWidgetItem(f"[{c.status.value}] {c.text}{due}")
                if commitments.is_overdue(c, today):
                    item.setForeground(QColor("#c62828"))
                    item.setText(f"OVERDUE {(today - c.due).days} d — {c.text}")
                elif c.status != CommitmentStatus.open:
                    item.setForeground(QColor("#757575"))
                item.setToolTip(f"{c.text}{due} ({c.status.value})")
                widget.addItem(item)


class PartnerHealth(QWidget):
    open_entry = Signal(int)
    changed = Signal()

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.partner_id: int | None = None
        self.partner_name = ""
        self.who = QComboBox()
        self.who.currentIndexChanged.connect(self._load_series)
        self.chart = TrustChart()
        self.chart.interaction_clicked.connect(self.open_entry)
        self.map = StakeholderMap()
        self.map.stance_changed.connect(self._stance_changed)
        self.board = CommitmentsBoard()
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Trust trend</b> for"))
        top.addWidget(self.who, 1)
        top.addWidget(checkup_button(self))  # issue 14: the health-check dialog
        chart_box = QWidget()
        cl = QVBoxLayout(chart_box)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addLayout(top)
        cl.addWidget(self.chart)
        lower = QSplitter()
        lower.addWidget(self.map)
        lower.addWidget(self.board)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(chart_box)
        split.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.addWidget(split)

    def load(self, partner_id: int | None, name: str = "") -> None:
        self.partner_id, self.partner_name = partner_id, name
        if partner_id is None:
            self.chart.set_series([])
            self.map.set_people([])
            return
        self.ctx.db(journal.list_stakeholders, partner_id=partner_id, on_done=self._people)
        self.ctx.db(commitments.list_commitments, partner_id=partner_id, on_done=self._promises)

    def _people(self, people) -> None:
        self.map.set_people(people)
        self.ctx.db(since.lines_for_partner, partner_id=self.partner_id,  # issue 14: hover
                    on_done=lambda lines: setattr(self.map, "since_lines", lines))
        keep = self.who.currentData()
        self.who.blockSignals(True)
        self.who.clear()
        self.who.addItem(f"{self.partner_name} (the partner as a whole)", None)
        for p in people:
            self.who.addItem(p.name, p.id)
        self.who.setCurrentIndex(max(0, self.who.findData(keep)))
        self.who.blockSignals(False)
        self._load_series()

    def _load_series(self, *_) -> None:
        if self.partner_id is None:
            return
        person = self.who.currentData()
        title = self.who.currentText()
        self.ctx.db(trust.trust_series, partner_id=self.partner_id, stakeholder_id=person,
                    on_done=lambda points: self.chart.set_series(points, title))

    def _promises(self, rows) -> None:
        self.board.fill(rows, dashboard.reliability(rows, date.today()))

    def _stance_changed(self, stakeholder_id: int, stance: str) -> None:
        self.ctx.db(journal.update_stakeholder, write=True, stakeholder_id=stakeholder_id,
                    stakeholder_in={"stance": stance},
                    on_done=lambda _: (self.load(self.partner_id, self.partner_name),
                                       self.changed.emit()))
