"""Global search (Ctrl+F): results with highlighted snippets as you type; Enter opens one."""

from __future__ import annotations

import html

from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPalette, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QVBoxLayout,
)

from services.memory import recall
from ui import theme
from ui.context import AppContext

HitRole = Qt.ItemDataRole.UserRole + 1
DEBOUNCE_MS = 150
MARK = ("\x02", "\x03")


def find(*, session, query: str, data_dir, holder):
    """Words first, then entries related by meaning (the model loaded once, on this worker)."""
    embedder = holder.available(data_dir)
    return recall.find(session=session, query=query, embedder=embedder, limit=50, mark=MARK,
                       unavailable=holder.error if embedder is None else "")


def hit_html(hit) -> str:
    mark = theme.colour("highlight_mark").name()
    snippet = html.escape(hit.snippet).replace(MARK[0], f"<b style='background:{mark}'>")
    snippet = snippet.replace(MARK[1], "</b>")
    if getattr(hit, "how", "words") == "meaning":   # a recall.Found; words hits as before
        snippet = f"<i>related:</i> “{snippet}”"
    meta = f"{hit.partner} · {hit.occurred_at:%Y-%m-%d} · {hit.kind}"
    return (f"<b>{html.escape(hit.title)}</b><br>"  # the grey facts on a line of their own
            f"<span style='color:gray'>{html.escape(meta)}</span><br>{snippet}")


class HitModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.hits: list[recall.Found] = []

    def set_hits(self, hits) -> None:
        self.beginResetModel()
        self.hits = hits
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        hit = self.hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return hit_html(hit)
        if role == HitRole:
            return hit
        return None


class RichTextDelegate(QStyledItemDelegate):
    def _document(self, option, index) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        text = index.data()
        if option.state & QStyle.StateFlag.State_Selected:  # the grey facts stay readable
            colour = option.palette.color(QPalette.ColorRole.HighlightedText).name()
            text = text.replace("color:gray", f"color:{colour}")
        doc.setHtml(text)
        doc.setTextWidth(max(200, option.rect.width() - 12))
        return doc

    def paint(self, painter, option, index) -> None:
        self.initStyleOption(option, index)
        option.text = ""
        option.widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter,
                                          option.widget)
        painter.save()
        painter.translate(option.rect.left() + 6, option.rect.top() + 3)
        self._document(option, index).drawContents(painter)
        painter.restore()

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        doc = self._document(option, index)
        return QSize(int(doc.idealWidth()), int(doc.size().height()) + 6)


class SearchDialog(QDialog):
    open_entry = Signal(int, int)  # partner id, interaction id

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Search the journal")
        self.query = QLineEdit(placeholderText="Search titles, notes, reflections and people…")
        self.query.setAccessibleName("Search the journal")
        self.query.setClearButtonEnabled(True)
        self.model = HitModel(self)
        self.results = QListView()
        self.results.setAccessibleName("Search results")
        self.results.setModel(self.model)
        self.results.setItemDelegate(RichTextDelegate(self.results))
        self.results.setWordWrap(True)
        self.results.activated.connect(self._activate)
        self.count = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.count)
        layout.addWidget(self.results)
        self.timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.timer.timeout.connect(self.run_search)
        self.query.textChanged.connect(lambda _: self.timer.start())
        self.query.returnPressed.connect(self._open_first)
        self._generation = 0
        self._open_when_ready = False
        self.resize(640, 480)

    def run_search(self) -> None:
        self._generation += 1
        generation, text = self._generation, self.query.text()
        if not text.strip():
            self.model.set_hits([])
            self.count.setText("")
            return
        self.ctx.db(find, query=text, data_dir=self.ctx.data_dir, holder=self.ctx.meaning,
                    on_done=lambda found: self._show(generation, found.hits, found.note))

    def _show(self, generation: int, hits, note: str = "") -> None:
        if generation != self._generation:
            return  # the user typed on
        self.model.set_hits(hits)
        words = sum(h.how == "words" for h in hits)
        meaning = len(hits) - words
        self.count.setText((f"{len(hits)} entr{'y' if len(hits) == 1 else 'ies'}"
                            + (f": {words} by their words, {meaning} related by meaning"
                               if meaning else "") if hits else "No entries match.")
                           + (f" ({note})" if note else ""))
        if hits:
            self.results.setCurrentIndex(self.model.index(0))
            if self._open_when_ready:
                self._activate(self.model.index(0))
        self._open_when_ready = False

    def _open_first(self) -> None:
        if self.timer.isActive():  # Enter before the debounce ran: search now, then open
            self.timer.stop()
            self._open_when_ready = True
            self.run_search()
            return
        index = self.results.currentIndex()
        if index.isValid():
            self._activate(index)

    def _activate(self, index) -> None:
        hit = index.data(HitRole)
        self.open_entry.emit(hit.partner_id, hit.id)
        self.accept()
