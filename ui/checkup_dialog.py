"""The alliance health check (issue 14), opened from the partner's Health tab: score strategic
fit, operational execution and the relationship 1-5 with a line of evidence each, and the
partner's view as I read it; the radar previews both views as they are typed; the history
below shows the trend, with gaps and drops of 2 flagged."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from services.practice import checkups
from ui.context import AppContext
from ui.dates import date_format
from ui.errors import report
from ui.render.charts import ChartColors, paint_health_radar

LABELS = {"strategic": "Strategic fit", "operational": "Operational execution",
          "relational": "Relationship"}


class RadarView(QWidget):
    """The health-check radar on screen, in the palette's colours (light or dark)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ours: tuple | None = None
        self.theirs: tuple | None = None
        self.title = ""
        self.setMinimumSize(260, 240)
        self.setAccessibleName("Health check radar")

    def set_views(self, ours, theirs, title: str = "") -> None:
        self.ours, self.theirs, self.title = ours, theirs, title
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        palette = self.palette()
        colors = ChartColors.for_palette(palette)
        colors.text, colors.background = palette.color(QPalette.ColorRole.WindowText), None
        paint_health_radar(painter, QRectF(self.rect()).adjusted(6, 6, -6, -6), self.ours,
                           self.theirs, title=self.title, colors=colors)
        painter.end()


class CheckupDialog(QDialog):
    saved = Signal(int)   # the new health check's id

    def __init__(self, ctx: AppContext, partner_id: int, partner_name: str, parent=None):
        super().__init__(parent)
        self.ctx, self.partner_id = ctx, partner_id
        self.setWindowTitle(f"Health check — {partner_name}")
        grid = QGridLayout()
        for column, text in enumerate(("", "My view", "Theirs, as I read it", "Evidence")):
            grid.addWidget(QLabel(f"<b>{text}</b>"), 0, column)
        self.ours: dict[str, QSpinBox] = {}
        self.theirs: dict[str, QSpinBox] = {}
        self.evidence: dict[str, QLineEdit] = {}
        for row, axis in enumerate(checkups.AXES, 1):
            grid.addWidget(QLabel(LABELS[axis]), row, 0)
            mine = QSpinBox(minimum=1, maximum=5, value=3)
            their = QSpinBox(minimum=0, maximum=5, value=0)
            their.setSpecialValueText("—")   # 0: not scored
            line = QLineEdit()
            line.setPlaceholderText("One line of evidence")
            for box, who in ((mine, "my"), (their, "their")):
                box.setAccessibleName(f"{LABELS[axis]}, {who} view")
                box.valueChanged.connect(self._preview)
            line.setAccessibleName(f"{LABELS[axis]}, evidence")
            grid.addWidget(mine, row, 1)
            grid.addWidget(their, row, 2)
            grid.addWidget(line, row, 3)
            self.ours[axis], self.theirs[axis], self.evidence[axis] = mine, their, line
        self.note = QLineEdit()
        self.note.setPlaceholderText("A note (optional)")
        self.when = QDateEdit(QDate.currentDate())
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat(date_format())
        extra = QHBoxLayout()
        extra.addWidget(QLabel("Date"))
        extra.addWidget(self.when)
        extra.addWidget(self.note, 1)
        self.radar = RadarView()
        self.history = QTreeWidget()
        self.history.setAccessibleName("Health check history")
        self.history.setHeaderLabels(["Date", "Mine (S O R)", "Theirs", "Flags"])
        self.history.setRootIsDecorated(False)
        self.error = QLabel()
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        top = QHBoxLayout()
        left = QVBoxLayout()
        left.addLayout(grid)
        left.addLayout(extra)
        left.addWidget(QLabel("<b>History</b>"))
        left.addWidget(self.history, 1)
        top.addLayout(left, 3)
        top.addWidget(self.radar, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(900, 480)
        self._preview()
        ctx.db(checkups.history, partner_id=partner_id, on_done=self._history,
               on_error=self._failed)

    def values(self) -> dict:
        data = {"partner_id": self.partner_id, "note": self.note.text(),
                "taken_on": date.fromisoformat(self.when.date().toString("yyyy-MM-dd"))}
        for axis in checkups.AXES:
            data[axis] = self.ours[axis].value()
            data[f"their_{axis}"] = self.theirs[axis].value() or None
            data[f"{axis}_evidence"] = self.evidence[axis].text()
        return data

    def _preview(self, *_) -> None:
        self.radar.set_views(tuple(self.ours[a].value() for a in checkups.AXES),
                             tuple(self.theirs[a].value() or None for a in checkups.AXES),
                             "This check")

    def _history(self, checks: list) -> None:
        self.history.clear()
        for n, c in enumerate(checks):
            flags = [f"gap on {g.label}" for g in checkups.gaps(c)]
            if n:
                flags += [f"{d.label} fell {d.before}→{d.after}"
                          for d in checkups.drops(checks[n - 1], c)]
            theirs = " ".join("—" if v is None else str(v) for v in checkups.theirs(c))
            item = QTreeWidgetItem([f"{c.taken_on}", " ".join(map(str, checkups.ours(c))),
                                    theirs, "; ".join(flags)])
            item.setToolTip(3, "; ".join(flags) or "no gap or drop of 2")
            self.history.insertTopLevelItem(0, item)   # newest first

    def save(self) -> None:
        self.save_button.setEnabled(False)
        self.error.clear()
        self.ctx.db(checkups.add_checkup, write=True, checkup_in=self.values(),
                    on_done=self._saved, on_error=self._failed)

    def _saved(self, check) -> None:
        self.saved.emit(check.id)
        self.accept()

    def _failed(self, err) -> None:
        self.save_button.setEnabled(True)
        report(err, self, show=self.error.setText)


def checkup_button(health) -> QPushButton:
    """The Health tab's 'Health check…' button: opens the dialog for the partner shown and
    the notice of its write redraws whatever shows health checks."""
    button = QPushButton("Health check…")
    button.setToolTip("Score the alliance: strategic fit, operations, relationship (1-5)")

    def open_dialog() -> None:
        if health.partner_id is None:
            return
        dialog = CheckupDialog(health.ctx, health.partner_id, health.partner_name, health)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
    button.clicked.connect(open_dialog)
    health.checkup_dialog_button = button
    return button
