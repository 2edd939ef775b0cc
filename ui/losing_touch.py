"""The portfolio home's "losing touch" list (issue 14): the people past their ideal cadence,
the most overdue first; those past their maximum in bold, marked "past the maximum". Double-click opens the last
entry they attended (or their partner)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget


def touch_text(partner: str, t) -> str:
    days = "never met" if t.days is None else f"{t.days} days since the last contact"
    return f"{t.name} ({partner}): {days}; ideally every {t.ideal_days}, at most {t.max_days}"


class LosingTouch(QWidget):
    open_partner = Signal(int)
    open_entry = Signal(int, int)   # partner id, interaction id

    def __init__(self, parent=None):
        super().__init__(parent)
        self.heading = QLabel("<b>Losing touch</b>")
        self.list = QListWidget()
        self.list.setAccessibleName("Losing touch")
        self.list.itemActivated.connect(self._open)
        self.list.itemDoubleClicked.connect(self._open)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.list)

    def show_rows(self, rows: list) -> None:
        """From the portfolio rows (services.dashboard.PortfolioRow.losing_touch)."""
        self.list.clear()
        people = [(r.name, t) for r in rows for t in r.losing_touch]
        people.sort(key=lambda pt: (pt[1].days is None, -(pt[1].days or 0) / pt[1].ideal_days))
        for partner, t in people:
            item = QListWidgetItem(touch_text(partner, t)
                                   + (" — past the maximum" if t.past_max else ""))
            item.setData(Qt.ItemDataRole.UserRole, t)
            if t.past_max:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.list.addItem(item)
        self.heading.setText(f"<b>Losing touch</b> — {len(people)} "
                             f"{'person' if len(people) == 1 else 'people'} past their cadence "
                             "(double-click to open the last entry with them)")

    def _open(self, item) -> None:
        t = item.data(Qt.ItemDataRole.UserRole)
        if t.last_entry_id:
            self.open_entry.emit(t.partner_id, t.last_entry_id)
        else:
            self.open_partner.emit(t.partner_id)


def attach(view, layout) -> LosingTouch:
    """Put the list in the portfolio home's layout, wired to the home's own signals."""
    touch = LosingTouch()
    touch.open_entry.connect(view.open_entry)
    touch.open_partner.connect(view.open_partner)
    layout.addWidget(touch)
    return touch
