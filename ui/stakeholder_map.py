"""The stakeholder map: influence (vertical) against stance (horizontal), one labelled dot per
person; their people are filled circles, ours hollow squares. Drag a dot sideways to change the
person's stance."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QWidget

from models.enums import Side
from ui import theme
from ui.since_view import since_tip

STANCES = ["blocker", "skeptic", "neutral", "supporter", "champion"]  # left to right
DOT = 7.0


def short_name(name: str) -> str:
    """'Sofia Marín' -> 'Sofia M.' where the map is narrow (the full name is in the tooltip)."""
    words = name.split()
    return name if len(words) < 2 else f"{words[0]} {words[-1][0]}."


class StakeholderMap(QWidget):
    stance_changed = Signal(int, str)   # stakeholder id, new stance

    def __init__(self, parent=None):
        super().__init__(parent)
        self.people: list = []
        self.positions: dict[int, QPointF] = {}
        self.dragging: int | None = None
        self.drag_x = 0.0
        self.setMinimumSize(280, 170)
        self.setMouseTracking(True)
        self.setAccessibleName("Stakeholder map")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Ctrl+Z undoes the last drag

    def set_people(self, people: list) -> None:
        self.people = list(people)
        self.dragging = None
        self.update()

    # --- geometry ----------------------------------------------------------------------------
    def plot_area(self) -> QRectF:
        line = self.fontMetrics().height()
        return QRectF(self.rect()).adjusted(line * 2.2, line * 0.8, -line, -line * 2.2)

    def column_x(self, stance: str) -> float:
        area = self.plot_area()
        return area.left() + area.width() * (STANCES.index(stance) + 0.5) / len(STANCES)

    def row_y(self, influence: int) -> float:
        area = self.plot_area()
        return area.bottom() - area.height() * (influence - 0.5) / 5

    def stance_at(self, x: float) -> str:
        area = self.plot_area()
        column = int((x - area.left()) / area.width() * len(STANCES))
        return STANCES[min(max(column, 0), len(STANCES) - 1)]

    def layout_people(self) -> dict[int, QPointF]:
        cells: dict[tuple, list] = {}
        for person in self.people:
            cells.setdefault((person.stance.value, person.influence), []).append(person)
        positions = {}
        step = max(DOT * 2.6, self.fontMetrics().height() + 2)  # a label's height apart
        for (stance, influence), group in cells.items():
            for n, person in enumerate(group):  # stack people who share a cell
                offset = (n - (len(group) - 1) / 2) * step
                positions[person.id] = QPointF(self.column_x(stance),
                                               self.row_y(influence) + offset)
        return positions

    def label_rects(self) -> dict[int, QRectF]:
        """Where each name is written: beside its dot, inside its own column (elided to fit),
        nudged down until it overlaps no other label."""
        metrics = self.fontMetrics()
        line = metrics.height()
        column = self.plot_area().width() / len(STANCES)
        room = max(column - 2 * DOT - 8, 24)  # up to the next column's dots
        placed: list[QRectF] = []
        rects = {}
        for person in sorted(self.people, key=lambda p: (self.positions[p.id].y(), p.id)):
            center = self.positions[person.id]
            left_side = person.stance.value == STANCES[-1]
            width = min(metrics.horizontalAdvance(self.label(person, column)) + 2, room)
            x = center.x() - DOT - 3 - width if left_side else center.x() + DOT + 3
            rect = QRectF(x, center.y() - line / 2, width, line)
            while any(rect.intersects(other) for other in placed):
                rect.translate(0, line / 2)
            placed.append(rect)
            rects[person.id] = rect
        return rects

    def label(self, person, column: float) -> str:
        name = person.name if column > 150 else short_name(person.name)
        return name + ("" if person.active else " (left)")

    # --- painting ----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.Text)
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        area = self.plot_area()
        grid = QPen(pal.color(QPalette.ColorRole.Mid), 0, Qt.PenStyle.DotLine)
        line = self.fontMetrics().height()
        column = area.width() / len(STANCES)
        for n, stance in enumerate(STANCES):
            x0 = area.left() + column * n
            painter.setPen(grid)
            painter.drawLine(QPointF(x0, area.top()), QPointF(x0, area.bottom()))
            painter.setPen(theme.stance_colour(stance, pal))
            painter.drawText(QRectF(x0 + 2, area.bottom() + 4, column - 4, line),
                             Qt.AlignmentFlag.AlignCenter,
                             self.fontMetrics().elidedText(stance, Qt.TextElideMode.ElideRight,
                                                           int(column - 4)))
        painter.setPen(text)
        for influence in range(1, 6):
            painter.drawText(QRectF(0, self.row_y(influence) - line / 2, area.left() - 6, line),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             str(influence))
        painter.drawText(QRectF(area.left(), area.bottom() + line + 4, area.width(), line),
                         Qt.AlignmentFlag.AlignCenter, "stance →   (influence ↑)")
        self.positions = self.layout_people()
        labels = self.label_rects()
        inactive = theme.colour("inactive", pal)
        for person in self.people:
            center = QPointF(self.positions[person.id])
            if person.id == self.dragging:
                center.setX(self.drag_x)
            colour = theme.stance_colour(person.stance.value, pal)
            if not person.active:
                colour = inactive
            painter.setPen(QPen(colour.darker(130), 1.5))
            if person.side == Side.internal:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(QRectF(center.x() - DOT, center.y() - DOT, DOT * 2, DOT * 2))
            else:
                painter.setBrush(colour)
                painter.drawEllipse(center, DOT, DOT)
            painter.setPen(text if person.active else inactive)
            rect = QRectF(labels[person.id])
            if person.id == self.dragging:
                rect.translate(self.drag_x - self.positions[person.id].x(), 0)
            painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             self.fontMetrics().elidedText(self.label(person, column),
                                                           Qt.TextElideMode.ElideRight,
                                                           int(rect.width())))
        painter.end()

    # --- dragging ----------------------------------------------------------------------------
    def person_at(self, pos: QPointF):
        for person in self.people:
            center = self.positions.get(person.id)
            if center and abs(center.x() - pos.x()) <= DOT + 2 and \
                    abs(center.y() - pos.y()) <= DOT + 2:
                return person
        return None

    def mousePressEvent(self, event) -> None:  # noqa: N802
        person = self.person_at(event.position())
        if person is not None and event.button() == Qt.MouseButton.LeftButton:
            self.dragging, self.drag_x = person.id, event.position().x()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self.dragging is not None:
            self.drag_x = event.position().x()
            self.update()
        else:
            hovering = self.person_at(event.position()) is not None
            self.setCursor(Qt.CursorShape.OpenHandCursor if hovering else
                           Qt.CursorShape.ArrowCursor)
            if hovering:
                person = self.person_at(event.position())
                self.setToolTip(f"{person.name} — {person.role or 'no role'}, influence "
                                f"{person.influence}/5, {person.stance.value}. Drag sideways to "
                                "change the stance." + since_tip(self, person))

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self.dragging is None:
            return
        person = next(p for p in self.people if p.id == self.dragging)
        new = self.stance_at(event.position().x())
        self.dragging = None
        self.unsetCursor()
        self.update()
        if new != person.stance.value:
            self.stance_changed.emit(person.id, new)
