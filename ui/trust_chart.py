"""The trust trend chart as a widget: hover a marker for its entry, click to open it."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QToolTip, QWidget

from ui.render.charts import ChartColors, paint_trust_chart


class TrustChart(QWidget):
    interaction_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.points: list = []
        self.title = ""
        self.markers = []
        self.boxes: dict = {}  # where the last paint put its labels
        self.setMouseTracking(True)
        self.setMinimumHeight(140)  # the Health tab fits an 800-px screen
        self.setAccessibleName("Trust trend")

    def set_series(self, points: list, title: str = "") -> None:
        self.points, self.title = points, title
        self.update()

    def colors(self) -> ChartColors:
        return ChartColors.for_palette(self.palette())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        try:  # a painter left active by a failed paint makes every later paint fail
            self.boxes = {}
            self.markers = paint_trust_chart(painter, QRectF(self.rect()), self.points,
                                             title=self.title, colors=self.colors(),
                                             boxes=self.boxes)
        finally:
            painter.end()

    def marker_at(self, pos):
        return next((m for m in reversed(self.markers) if m.hit(pos)), None)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        marker = self.marker_at(event.position())
        self.setCursor(Qt.CursorShape.PointingHandCursor if marker else
                       Qt.CursorShape.ArrowCursor)
        if marker:
            QToolTip.showText(event.globalPosition().toPoint(), marker.label, self)
        else:
            QToolTip.hideText()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        marker = self.marker_at(event.position())
        if marker is not None and event.button() == Qt.MouseButton.LeftButton:
            self.interaction_clicked.emit(marker.interaction_id)
