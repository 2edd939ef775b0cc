"""A partner's health: the trust trend (whole partner or one person), the stakeholder map, and
the commitments board (ours and theirs side by side, overdue first)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.enums import CommitmentStatus, OwedBy
from services import journal
from services.journal import commitments, trust
from services.practice import dashboard, since
from ui import theme
from ui.checkup_dialog import checkup_button
from ui.context import AppContext
from ui.notices import affects
from ui.stakeholder_map import StakeholderMap
from ui.trust_chart import TrustChart


def reliability_text(r: dashboard.Reliability) -> str:
    rate = "no promise settled yet" if r.rate is None else f"{r.rate:.0%} kept"
    late = f", {r.average_days_late:.0f} days late on average" if r.average_days_late else ""
    return f"{rate} ({r.kept} kept, {r.broken} broken), {r.open} open, {r.overdue} overdue{late}"


BOARD_COLUMNS = ("Promise", "Due", "Status")
WIDE = 860  # pixels: below it the map and the board stack


class CommitmentsBoard(QWidget):
    """Ours above theirs; a row per promise whose text wraps, with the due date and status in
    their own columns; overdue first; dropped promises are off the board."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = {}
        self.lists = {}
        for side, title in ((OwedBy.us, "Ours"), (OwedBy.them, "Theirs")):
            layout.addWidget(QLabel(f"<b>{title}</b>"))
            self.summary[side] = QLabel()
            self.summary[side].setWordWrap(True)
            layout.addWidget(self.summary[side])
            table = QTreeWidget()
            table.setAccessibleName(f"{title} commitments")
            table.setColumnCount(len(BOARD_COLUMNS))
            table.setHeaderLabels(BOARD_COLUMNS)
            table.setRootIsDecorated(False)
            table.setWordWrap(True)
            table.setUniformRowHeights(False)
            table.setAlternatingRowColors(True)
            header = table.header()
            header.setStretchLastSection(False)
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            for column in (1, 2):
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
            table.setMinimumHeight(72)
            self.lists[side] = table
            layout.addWidget(table, 1)

    def clear(self) -> None:
        for side, table in self.lists.items():
            table.clear()
            self.summary[side].clear()

    def fill(self, promises: list, sides: dict) -> None:
        today = date.today()
        for side, table in self.lists.items():
            table.clear()
            self.summary[side].setText(reliability_text(sides[side]))
            rows = sorted((c for c in promises
                           if c.owed_by == side and c.status != CommitmentStatus.dropped),
                          key=lambda c: (not commitments.is_overdue(c, today),
                                         c.status != CommitmentStatus.open, c.due or date.max))
            for c in rows:
                overdue = commitments.is_overdue(c, today)
                status = f"overdue {(today - c.due).days} d" if overdue else c.status.value
                item = QTreeWidgetItem([c.text, c.due.isoformat() if c.due else "—", status])
                item.setData(0, Qt.ItemDataRole.UserRole, c.id)
                for column in range(len(BOARD_COLUMNS)):
                    item.setToolTip(column, f"{c.text} ({status})")
                state = "overdue" if overdue else (
                    "settled" if c.status != CommitmentStatus.open else "")
                if state:
                    for column in range(len(BOARD_COLUMNS)):
                        item.setForeground(column, theme.colour(state))
                table.addTopLevelItem(item)


class PartnerHealth(QWidget):
    open_entry = Signal(int)
    KINDS = ("trust_reading", "stakeholder", "stance_change", "commitment", "interaction",
             "health_check", "theme")  # the theme: colours are set as the board is filled

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        ctx.notices.partner_chosen.connect(self.load)
        ctx.notices.changed.connect(self._changes)
        self.partner_id: int | None = None
        self.partner_name = ""
        self.who = QComboBox()
        self.who.currentIndexChanged.connect(self._load_series)
        self.chart = TrustChart()
        self.chart.interaction_clicked.connect(self.open_entry)
        self.map = StakeholderMap()
        self.map.stance_changed.connect(self._stance_changed)
        self.undo_stack = QUndoStack(self)
        self.undo_action = self.undo_stack.createUndoAction(self, "Undo stance change")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.undo_action)
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
        lower.setStretchFactor(0, 1)
        lower.setStretchFactor(1, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        for splitter in (lower, split):
            splitter.setHandleWidth(theme.SPLITTER_HANDLE)
            splitter.setChildrenCollapsible(False)
        self.splitters = (split, lower)
        self.lower = lower
        split.addWidget(chart_box)
        split.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.addWidget(split)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Narrow (the entry open beside it): the board goes under the map, so both read."""
        super().resizeEvent(event)
        wanted = Qt.Orientation.Vertical if self.width() < WIDE else Qt.Orientation.Horizontal
        if self.lower.orientation() != wanted:
            self.lower.setOrientation(wanted)

    def load(self, partner_id: int | None, name: str = "") -> None:
        if partner_id != self.partner_id:
            self.undo_stack.clear()  # undo belongs to the partner it was done on
        self.partner_id, self.partner_name = partner_id, name
        if partner_id is None:
            self.chart.set_series([])
            self.map.set_people([])
            self.board.clear()
            self.who.blockSignals(True)
            self.who.clear()
            self.who.blockSignals(False)
            return
        self.ctx.db(journal.list_stakeholders, partner_id=partner_id, on_done=self._people)
        self.ctx.db(commitments.list_commitments, partner_id=partner_id, on_done=self._promises)

    def _changes(self, changes) -> None:
        hit = affects(self.ctx, changes, self.partner_id, self.KINDS)
        if hit is None:
            self.load(None)
        elif hit:
            self.load(self.partner_id, self.partner_name)

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
        person = next((p for p in self.map.people if p.id == stakeholder_id), None)
        if person is not None:
            self.undo_stack.push(StanceCommand(self, person, person.stance.value, stance))

    def set_stance(self, stakeholder_id: int, stance: str) -> None:
        self.ctx.db(journal.update_stakeholder, write=True, stakeholder_id=stakeholder_id,
                    stakeholder_in={"stance": stance})  # its notice redraws the map

    def unset_stance(self, stakeholder_id: int, old: str, new: str) -> None:
        """Undo a drag: one use case puts the old stance back and deletes the change the drag
        recorded, so no second change (nor a false alert) is recorded."""
        self.ctx.db(journal.undo_stance_change, write=True, stakeholder_id=stakeholder_id,
                    old=old, new=new)


class StanceCommand(QUndoCommand):
    """A stance set by dragging on the map; Ctrl+Z sets the old one back."""

    def __init__(self, health: PartnerHealth, person, old: str, new: str):
        super().__init__(f"{person.name}: {old} to {new}")
        self.health, self.person_id, self.old, self.new = health, person.id, old, new

    def redo(self) -> None:
        self.health.set_stance(self.person_id, self.new)

    def undo(self) -> None:
        self.health.unset_stance(self.person_id, self.old, self.new)
