"""A read-only table over a list of records, with columns given as (title, getter), and the
panel that shows one partner's records with its buttons."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRect, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.notices import affects

RecordRole = Qt.ItemDataRole.UserRole + 1


class RecordTableModel(QAbstractTableModel):
    def __init__(self, columns: list[tuple[str, Callable]], style: Callable | None = None,
                 parent=None):
        super().__init__(parent)
        self.columns, self.style, self.records = columns, style, []

    def set_records(self, records: list) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][0]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        record = self.records[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(self.columns[index.column()][1](record))
        if role == RecordRole:
            return record
        if role == Qt.ItemDataRole.DecorationRole and index.column() != 0:
            return None  # a row's icon or colour square once, in its first cell
        if self.style is not None:
            return self.style(record, role)
        return None


def record_view(model: RecordTableModel, name: str) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


WIDEST = 260  # pixels: a column wider than this cuts its text (issue 20)


def fit_columns(view: QTableView, widest: int = WIDEST) -> None:
    """Each column as wide as its header and cells, up to `widest`; the last one stretches.
    (Not fitted, every column was 100 px: a role cut short beside a wide stance, issue 20.)"""
    header = view.horizontalHeader()
    stretch = header.stretchLastSection()
    header.setStretchLastSection(False)  # a stretched section keeps its old size as its least
    view.resizeColumnsToContents()
    for column in range(view.model().columnCount()):
        view.setColumnWidth(column, min(view.columnWidth(column), widest))
    header.setStretchLastSection(stretch)
    if not view.isVisible():
        return
    over = header.length() - view.viewport().width()
    if over > 0:  # too wide for the pane: the widest column gives way and wraps
        column = max(range(header.count()), key=view.columnWidth)
        width = max(view.columnWidth(column) - over, 120)
        view.setColumnWidth(column, width)
        metrics, model = view.fontMetrics(), view.model()
        least = view.verticalHeader().defaultSectionSize()
        for row in range(model.rowCount()):  # the rows whose cell wraps grow to show it
            text = str(model.index(row, column).data() or "")
            lines = metrics.boundingRect(QRect(0, 0, width - 12, 10_000),
                                         Qt.TextFlag.TextWordWrap, text)
            view.setRowHeight(row, max(least, lines.height() + 12))


def selected_record(view: QTableView):
    rows = view.selectionModel().selectedRows() if view.selectionModel() else []
    return rows[0].data(RecordRole) if rows else None


class RecordPanel(QWidget):
    """A partner's records as a table under a row of buttons. It follows the partner chosen
    and reloads when a notice says rows of its `KINDS` changed for that partner, whoever
    wrote them.

    Subclasses give the columns, the buttons, `KINDS` and `fetch` (the service that lists the
    records)."""

    KINDS: tuple[str, ...] = ()
    loaded = Signal(list)

    def __init__(self, ctx, columns, style, name: str, buttons: list[tuple[str, Callable]],
                 parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.partner_id: int | None = None
        ctx.notices.changed.connect(self._changes)
        ctx.notices.partner_chosen.connect(self._partner_chosen)
        self.model = RecordTableModel(columns, style, self)
        self.view = record_view(self.model, name)
        row = QHBoxLayout()
        self.buttons = {}
        for label, slot in buttons:
            button = QPushButton(label)
            button.clicked.connect(slot)
            row.addWidget(button)
            self.buttons[label] = button
        row.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.view)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API): fitted to the width it shows at
        super().showEvent(event)
        fit_columns(self.view)

    def fetch(self, partner_id: int):  # the service call that lists the records
        raise NotImplementedError

    def arrange(self, records: list) -> list:
        return records

    def load(self, partner_id: int | None) -> None:
        self.partner_id = partner_id
        if partner_id is None:
            self.model.set_records([])
            return
        service, kwargs = self.fetch(partner_id)
        self.ctx.db(service, **kwargs, on_done=self._loaded)

    def _loaded(self, records) -> None:
        self.model.set_records(self.arrange(records))
        fit_columns(self.view)
        self.loaded.emit(records)

    def _partner_chosen(self, partner_id: int | None, _name: str) -> None:
        self.load(partner_id)

    def _changes(self, changes) -> None:
        hit = affects(self.ctx, changes, self.partner_id, self.KINDS)
        if hit is None:
            self.load(None)
        elif hit:
            self.load(self.partner_id)

    def write(self, service, **kwargs) -> None:
        """A write through the task helper; its notice reloads every view that shows it."""
        self.ctx.db(service, write=True, **kwargs)

    def open_form(self, dialog, on_accept) -> None:
        """A form that does not block; on_accept(values) runs when it is saved."""
        dialog.accepted.connect(lambda: on_accept(dialog.values()))
        dialog.open()
        self.dialog = dialog
