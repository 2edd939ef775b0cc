"""The timeline of a partner's interactions: a lazy model that loads pages as the view scrolls,
so 100,000 entries cost a few hundred rows in memory and never a widget per row."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from models.enums import InteractionKind
from services import journal
from ui import theme
from ui.context import AppContext
from ui.icons import kind_icon
from ui.notices import affects

PAGE = 200
COLUMNS = ("Date", "Kind", "Title", "Difficulty")
IdRole = Qt.ItemDataRole.UserRole + 1


class TimelineModel(QAbstractTableModel):
    loaded = Signal()  # a page arrived

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[journal.TimelineRow] = []
        self.filters: dict = {}
        self.exhausted = True
        self.loading = False
        self._generation = 0

    # --- loading -----------------------------------------------------------------------------
    def load(self, **filters) -> None:
        """Start over with these filters (partner_id, kind, tag)."""
        self._generation += 1
        self.beginResetModel()
        self.rows, self.filters = [], filters
        self.exhausted, self.loading = False, False
        self.endResetModel()
        self.fetchMore(QModelIndex())

    def clear(self) -> None:
        self._generation += 1
        self.beginResetModel()
        self.rows, self.filters, self.exhausted, self.loading = [], {}, True, False
        self.endResetModel()

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: N802 (Qt API)
        return not parent.isValid() and not self.exhausted and not self.loading

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: N802
        if not self.canFetchMore(parent) or self.ctx.vault is None or self.ctx.vault.is_locked:
            return
        self.loading = True
        after = (self.rows[-1].occurred_at, self.rows[-1].id) if self.rows else None
        generation = self._generation
        self.ctx.db(journal.timeline_page, after=after, limit=PAGE, **self.filters,
                    on_done=lambda page: self._arrived(generation, page))

    def _arrived(self, generation: int, page: list) -> None:
        if generation != self._generation:
            return  # filters changed meanwhile
        self.loading = False
        self.exhausted = len(page) < PAGE
        if page:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(page) - 1)
            self.rows.extend(page)
            self.endInsertRows()
        self.loaded.emit()

    # --- Qt model ----------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (f"{row.occurred_at:%Y-%m-%d %H:%M}", row.kind, row.title,
                    "●" * row.difficulty or "–")[column]
        if role == Qt.ItemDataRole.DecorationRole and column == 1:
            return kind_icon(row.kind)
        if role == Qt.ItemDataRole.ForegroundRole and column == 3 and row.difficulty >= 4:
            return theme.colour("overdue")
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return f"Difficulty {row.difficulty}/5"
        if role == IdRole:
            return row.id
        return None

    def row_of(self, interaction_id: int) -> int:
        return next((i for i, r in enumerate(self.rows) if r.id == interaction_id), -1)


class TimelineView(QTableView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setAccessibleName("Timeline")

    def setModel(self, model) -> None:  # noqa: N802
        super().setModel(model)
        # fixed widths from the font: measuring contents would walk every loaded row
        header, fm = self.horizontalHeader(), self.fontMetrics()
        for column, sample in ((0, "2026-11-28 14:30"), (1, "workshop"), (3, "Difficulty")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.setColumnWidth(column, fm.horizontalAdvance(sample) + 40)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)


class TimelinePage(QWidget):
    """The Timeline tab: filters by kind and tag, the lazy table, and 'New entry'."""

    entry_chosen = Signal(int)
    new_entry = Signal()
    KINDS = ("interaction", "interaction_participant", "interaction_tag")

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.partner_id: int | None = None
        self.model = TimelineModel(ctx, self)
        self.view = TimelineView()
        self.view.setModel(self.model)
        self.view.clicked.connect(lambda index: self.entry_chosen.emit(index.data(IdRole)))
        self.view.activated.connect(lambda index: self.entry_chosen.emit(index.data(IdRole)))
        self.kind_filter = QComboBox()
        self.kind_filter.addItem("All kinds", None)
        for k in InteractionKind:
            self.kind_filter.addItem(k.value.capitalize(), k.value)
        self.tag_filter = QLineEdit(placeholderText="tag")
        self.tag_filter.setClearButtonEnabled(True)
        self.tag_filter.setAccessibleName("Show only entries with this tag")
        self.kind_filter.setAccessibleName("Show only entries of this kind")
        self.kind_filter.currentIndexChanged.connect(self.reload)
        self.tag_filter.editingFinished.connect(self.reload)
        new_entry = QPushButton("New entry")
        new_entry.clicked.connect(self.new_entry)
        filters = QHBoxLayout()
        for w in (QLabel("Show"), self.kind_filter, self.tag_filter):
            filters.addWidget(w)
        filters.addStretch()
        filters.addWidget(new_entry)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.view)
        self.pending: int | None = None  # an entry to select once its page has arrived
        self.model.loaded.connect(self._select_pending)
        self.ctx = ctx
        ctx.notices.partner_chosen.connect(self._partner_chosen)
        ctx.notices.changed.connect(self._changes)

    def _partner_chosen(self, partner_id: int | None, _name: str) -> None:
        self.show_partner(partner_id)

    def _changes(self, changes) -> None:
        hit = affects(self.ctx, changes, self.partner_id, self.KINDS)
        if hit is None:
            self.show_partner(None)
        elif hit:
            self.reload()

    def select_entry(self, interaction_id: int) -> None:
        """Select and show an entry opened elsewhere (search, a citation, an alert), loading
        pages until it is there."""
        self.pending = interaction_id
        self._select_pending()

    def _select_pending(self) -> None:
        if self.pending is None:
            return
        row = next((n for n, r in enumerate(self.model.rows) if r.id == self.pending), None)
        if row is not None:
            self.pending = None
            index = self.model.index(row, 2)
            self.view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
            self.view.scrollTo(index)
        elif self.model.canFetchMore():
            self.model.fetchMore()
        elif self.model.exhausted:
            self.pending = None  # filtered out: nothing to select

    def show_partner(self, partner_id: int | None) -> None:
        self.partner_id = partner_id
        self.reload()

    def reload(self, *_) -> None:
        if self.partner_id is None:
            self.model.clear()
            return
        self.model.load(partner_id=self.partner_id, kind=self.kind_filter.currentData(),
                        tag=self.tag_filter.text().strip() or None)
