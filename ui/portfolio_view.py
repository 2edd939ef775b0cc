"""The app's home: every partner with trust, both sides' reliability, last contact and alerts;
sortable; click a partner (or an alert) to go there."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QSplitter, QVBoxLayout, QWidget

from ui import losing_touch, theme
from ui.record_table import RecordRole, RecordTableModel, record_view

SortRole = Qt.ItemDataRole.UserRole + 5


def _pct(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def _change(row) -> str:
    if row.trust_change is None:
        return "—"
    arrow = "▲" if row.trust_change > 0.05 else "▼" if row.trust_change < -0.05 else "▬"
    return f"{arrow} {row.trust_change:+.2f}"


def _governance(due) -> str:
    """On two lines, so the column fits beside the others at 1280 (issue 20): the meeting,
    then when (the full sentence is the cell's tooltip)."""
    if due is None:
        return "—"
    when = f"{due.overdue_days} d overdue ({due.due})" if due.overdue_days else f"due {due.due}"
    return f"{due.label}\n{when}"


COLUMNS = [
    ("Partner", lambda r: r.name, lambda r: r.name.lower()),
    ("Kind", lambda r: r.kind, lambda r: r.kind.lower()),
    ("Trust\nindex", lambda r: "—" if r.trust_index is None else f"{r.trust_index:.2f}",
     lambda r: -1 if r.trust_index is None else r.trust_index),
    ("Change", _change, lambda r: 0 if r.trust_change is None else r.trust_change),
    ("Our\nreliability", lambda r: f"{_pct(r.ours.rate)}, {r.ours.overdue} overdue",
     lambda r: -1 if r.ours.rate is None else r.ours.rate),
    ("Their\nreliability", lambda r: f"{_pct(r.theirs.rate)}, {r.theirs.overdue} overdue",
     lambda r: -1 if r.theirs.rate is None else r.theirs.rate),
    ("Last\ncontact", lambda r: "never" if r.last_contact is None else
     f"{r.last_contact:%Y-%m-%d}\n{(date.today() - r.last_contact.date()).days} d ago",
     lambda r: "" if r.last_contact is None else r.last_contact.isoformat()),
    ("Alerts", lambda r: str(len(r.alerts)), lambda r: len(r.alerts)),
    # issue 14: the lifecycle stage and the next governance meeting (overdue first)
    ("Stage", lambda r: r.stage or "—", lambda r: r.stage or ""),
    ("Next\ngovernance", lambda r: _governance(r.next_governance),
     lambda r: r.next_governance.due.isoformat() if r.next_governance else "9999"),
]


COLUMN_MAX = 170  # pixels: ten columns fit beside the partner list at 1280
# issue 20: two-line headers and cells, and kinds cut at 120 (whole in their tooltip), so the
# last column, "Next governance", is not squeezed out of view at 1280x800
NARROW = {"Kind": 120}


class PortfolioModel(RecordTableModel):
    def __init__(self, parent=None):
        super().__init__([(title, show) for title, show, _ in COLUMNS], None, parent)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if index.isValid() and role == Qt.ItemDataRole.ToolTipRole:  # whole on hover
            row = self.records[index.row()]
            if COLUMNS[index.column()][0] == "Next\ngovernance" and row.next_governance:
                return row.next_governance.text
            return super().data(index)
        if index.isValid() and role == SortRole:
            return COLUMNS[index.column()][2](self.records[index.row()])
        if index.isValid() and role == Qt.ItemDataRole.ForegroundRole:
            row = self.records[index.row()]
            column = COLUMNS[index.column()][0]
            if column == "Change" and row.trust_change is not None and row.trust_change < -0.05:
                return theme.colour("overdue")
            if column == "Alerts" and row.alerts:
                return theme.colour("overdue")
        return super().data(index, role)


class PortfolioView(QWidget):
    open_partner = Signal(int)
    open_entry = Signal(int, int)   # partner id, interaction id

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = PortfolioModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SortRole)
        self.table = record_view(self.proxy, "Portfolio")
        lines = self.table.fontMetrics().lineSpacing()  # the two-line cells show whole
        self.table.verticalHeader().setDefaultSectionSize(2 * lines + 10)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)  # weakest trust first
        self.table.activated.connect(self._partner_row)
        self.table.doubleClicked.connect(self._partner_row)
        self.alerts = QListWidget()
        self.alerts.setAccessibleName("Alerts")
        self.alerts.itemActivated.connect(self._alert)
        self.alerts.itemDoubleClicked.connect(self._alert)
        self.heading = QLabel("<h3>Portfolio</h3>")
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.heading)
        tl.addWidget(self.table)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(QLabel("<b>Drift alerts</b> (double-click to open what they rest on)"))
        bl.addWidget(self.alerts)
        self.touch = losing_touch.attach(self, bl)  # issue 14: people past their cadence
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        layout = QVBoxLayout(self)
        layout.addWidget(split)

    def show_rows(self, rows: list) -> None:
        """The portfolio rows (services.dashboard.portfolio), as the main window loads them."""
        self.model.set_records(rows)
        self.table.resizeColumnsToContents()  # a row per partner: cheap
        for column in range(self.model.columnCount()):  # long kinds elide: all columns show
            most = NARROW.get(COLUMNS[column][0], COLUMN_MAX)
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), most))
        self.heading.setText(f"<h3>Portfolio — {len(rows)} partners, "
                             f"{sum(len(r.alerts) for r in rows)} open alerts</h3>")
        self.touch.show_rows(rows)
        self.alerts.clear()
        for alert in sorted((a for r in rows for a in r.alerts), key=lambda a: a.when,
                            reverse=True):
            cites = " ".join(f"#{i}" for i in alert.cites)
            item = QListWidgetItem(f"{alert.when:%Y-%m-%d}  {alert.partner}: {alert.text}"
                                   + (f"  ({cites})" if cites else ""))
            item.setData(Qt.ItemDataRole.UserRole, alert)
            self.alerts.addItem(item)

    def _partner_row(self, index) -> None:
        row = self.proxy.mapToSource(index).row()
        self.open_partner.emit(self.model.records[row].partner_id)

    def _alert(self, item) -> None:
        alert = item.data(Qt.ItemDataRole.UserRole)
        if alert.cites:
            self.open_entry.emit(alert.partner_id, alert.cites[0])
        else:
            self.open_partner.emit(alert.partner_id)

    def row_record(self, proxy_row: int):
        return self.proxy.index(proxy_row, 0).data(RecordRole)
