"""The trust trend chart, drawn by one painter function on any QPaintDevice: the app's widget,
an offscreen QImage, or a PDF page (vector)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPolygonF

from ui import theme

COMPONENTS = (("credibility", "C"), ("reliability", "R"), ("intimacy", "I"),
              ("self_orientation", "S"))


def _paper(role: str):
    return field(default_factory=lambda: theme.paper(role))


def _lines(dark: bool = False) -> dict[str, QColor]:
    return {role: QColor(pair[1 if dark else 0]) for role, pair in theme.CHART.items()}


@dataclass
class ChartColors:
    """Colours for paper by default; the widgets pass their palette's (dark mode included)."""

    text: QColor = _paper("text")
    grid: QColor = _paper("grid")
    index: QColor = _paper("index")
    marker: QColor = _paper("index")
    background: QColor | None = None
    lines: dict[str, QColor] = field(default_factory=_lines)  # components, ours, theirs

    @classmethod
    def for_palette(cls, palette) -> ChartColors:
        """A widget's colours: its palette's roles, the theme's lines for light or dark."""
        from PySide6.QtGui import QPalette

        return cls(text=palette.color(QPalette.ColorRole.Text),
                   grid=palette.color(QPalette.ColorRole.Mid),
                   index=palette.color(QPalette.ColorRole.Highlight),
                   marker=palette.color(QPalette.ColorRole.Text),
                   background=palette.color(QPalette.ColorRole.Base),
                   lines=_lines(theme.is_dark(palette)))


@dataclass(frozen=True)
class Marker:
    center: QPointF
    radius: float
    point: object  # the TrustPoint it stands for

    @property
    def interaction_id(self) -> int:
        return self.point.interaction_id

    @property
    def label(self) -> str:  # built on hover, not for each of 2,000 markers on every paint
        p = self.point
        return f"{p.interaction_title or f'Entry #{p.interaction_id}'} — {p.taken_at:%Y-%m-%d}"

    def hit(self, pos: QPointF, slack: float = 3) -> bool:
        return math.hypot(pos.x() - self.center.x(), pos.y() - self.center.y()) \
            <= self.radius + slack


def _x_positions(points, left: float, width: float) -> list[float]:
    if len(points) == 1:
        return [left + width / 2]
    t0 = points[0].taken_at.timestamp()
    span = (points[-1].taken_at.timestamp() - t0) or 1.0
    return [left + width * (p.taken_at.timestamp() - t0) / span for p in points]


def paint_trust_chart(painter: QPainter, rect: QRectF, points: list, *, title: str = "",
                      colors: ChartColors | None = None, components: bool = True,
                      boxes: dict | None = None) -> list[Marker]:
    """Draw the trust index (top) and its components (bottom) over time; returns the markers,
    one per reading that came from an interaction, for hover and click. `boxes`, if given,
    receives where the plots and labels went ("index_plot", "components_plot", "index_label",
    "legend", "y_labels"), for layout tests."""
    boxes = {} if boxes is None else boxes
    boxes["y_labels"] = []
    colors = colors or ChartColors()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if colors.background is not None:
        painter.fillRect(rect, colors.background)
    font = QFont(painter.font())
    font.setPointSizeF(max(7.0, rect.height() / 38))
    painter.setFont(font)
    line = painter.fontMetrics().height()
    margin_left = painter.fontMetrics().horizontalAdvance("10.0") + 10
    # issue 20: the index's label gets a row of its own above the plot, and the components'
    # legend the gap between the plots: drawn inside, they sat on the first readings
    label_row = line * 1.5
    area = rect.adjusted(margin_left, line * (1.6 if title else 0.6) + label_row, -12,
                         -line * 1.8)
    painter.setPen(colors.text)
    if title:
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), line * 1.4),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        painter.setFont(font)
    if not points:
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "No trust readings yet")
        painter.restore()
        return []
    top_h = area.height() * (0.58 if components else 1.0)
    top = QRectF(area.left(), area.top(), area.width(), top_h)
    gap = line * 1.8
    bottom = QRectF(area.left(), top.bottom() + gap, area.width(),
                    area.bottom() - top.bottom() - gap)
    xs = _x_positions(points, area.left(), area.width())
    boxes["index_plot"], boxes["components_plot"] = top, bottom

    # --- the index ---
    high = max(5.0, math.ceil(max(p.index for p in points)))
    grid_pen = QPen(colors.grid, 0)
    for step in range(0, int(high) + 1, max(1, int(high) // 5)):
        y = top.bottom() - top.height() * step / high
        painter.setPen(grid_pen)
        painter.drawLine(QPointF(top.left(), y), QPointF(top.right(), y))
        painter.setPen(colors.text)
        number = QRectF(rect.left(), y - line / 2, margin_left - 6, line)
        painter.drawText(number, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         str(step))
        boxes["y_labels"].append(number)
    ys = [top.bottom() - top.height() * p.index / high for p in points]
    # more readings than pixels: thin solid strokes (a wide or dashed antialiased stroke of a
    # 2,000-point zigzag takes 50 ms on its own)
    dense = len(points) > area.width() / 3
    painter.setPen(QPen(colors.index, 1 if dense else 2))
    painter.drawPolyline(QPolygonF([QPointF(x, y) for x, y in zip(xs, ys, strict=True)]))
    radius = 4.0 if len(points) < 200 else 2.5
    markers = []
    painter.setPen(QPen(colors.marker, 1))
    painter.setBrush(QColor("white"))
    for p, x, y in zip(points, xs, ys, strict=True):
        if p.interaction_id is None:
            continue
        painter.drawEllipse(QRectF(x - radius, y - radius, 2 * radius, 2 * radius))
        markers.append(Marker(QPointF(x, y), radius, p))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(colors.text)
    label = "Trust index (C + R + I) / S"
    boxes["index_label"] = QRectF(top.left(), top.top() - label_row, painter.fontMetrics()
                                  .horizontalAdvance(label) + 2, line)
    painter.drawText(boxes["index_label"], Qt.AlignmentFlag.AlignLeft, label)

    # --- the components, 1-10 ---
    if components and bottom.height() > line * 2:
        painter.setPen(grid_pen)
        painter.drawRect(bottom)
        for attr, _letter in COMPONENTS:
            pen = QPen(colors.lines[attr], 1 if dense else 1.5)
            if attr == "self_orientation" and not dense:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawPolyline(QPolygonF([
                QPointF(x, bottom.bottom() - bottom.height() * (getattr(p, attr) - 1) / 9)
                for p, x in zip(points, xs, strict=True)]))
        legend_x = bottom.left()
        legend_top = bottom.top() - line * 1.2
        for attr, letter in COMPONENTS:
            painter.setPen(colors.lines[attr])
            painter.drawText(QPointF(legend_x, legend_top + line * 0.8), letter)
            legend_x += painter.fontMetrics().horizontalAdvance(letter) + 8
        boxes["legend"] = QRectF(bottom.left(), legend_top, legend_x - bottom.left(), line)
        painter.setPen(colors.text)
        painter.drawText(QRectF(rect.left(), bottom.top() - line / 2, margin_left - 6, line),
                         Qt.AlignmentFlag.AlignRight, "10")
        painter.drawText(QRectF(rect.left(), bottom.bottom() - line / 2, margin_left - 6, line),
                         Qt.AlignmentFlag.AlignRight, "1")

    # --- dates ---
    painter.setPen(colors.text)
    base = area.bottom() + 4
    painter.drawText(QRectF(area.left(), base, area.width() / 2, line),
                     Qt.AlignmentFlag.AlignLeft, f"{points[0].taken_at:%Y-%m-%d}")
    painter.drawText(QRectF(area.center().x(), base, area.width() / 2, line),
                     Qt.AlignmentFlag.AlignRight, f"{points[-1].taken_at:%Y-%m-%d}")
    painter.restore()
    return markers


# --- the health-check radar (issue 14) ----------------------------------------------------------
RADAR_AXES = (("strategic", "Strategic fit"), ("operational", "Operations"),
              ("relational", "Relationship"))


def radar_points(center: QPointF, radius: float, values, scale: int = 5) -> list[QPointF]:
    """One point per axis, the first straight up, clockwise; a value v sits at v/scale of
    the radius (None counts as 0)."""
    n = len(values)
    return [QPointF(center.x() + radius * (v or 0) / scale * math.sin(2 * math.pi * k / n),
                    center.y() - radius * (v or 0) / scale * math.cos(2 * math.pi * k / n))
            for k, v in enumerate(values)]


def paint_health_radar(painter: QPainter, rect: QRectF, ours, theirs=None, *, title: str = "",
                       colors: ChartColors | None = None) -> list[QPointF]:
    """The health check as a spider diagram: my view (filled) and theirs as I read it (dashed),
    1-5 on each axis. `ours`/`theirs` are (strategic, operational, relational); theirs may be
    None or hold None where not scored. Returns my view's points."""
    colors = colors or ChartColors()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if colors.background is not None:
        painter.fillRect(rect, colors.background)
    font = QFont(painter.font())
    font.setPointSizeF(max(7.0, min(rect.width(), rect.height()) / 30))
    painter.setFont(font)
    line = painter.fontMetrics().height()
    top = rect.top() + (line * 1.5 if title else line * 0.5)
    painter.setPen(colors.text)
    if title:
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), line * 1.4),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        painter.setFont(font)
    legend_h = line * 1.4
    area = QRectF(rect.left(), top + line * 1.8, rect.width(),
                  rect.bottom() - top - legend_h - line * 2.8)
    radius = max(10.0, min(area.width() / 2 - line * 3, area.height() / 2))
    center = QPointF(area.center().x(), area.top() + radius)
    if ours is None:
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "No health check yet")
        painter.restore()
        return []
    grid = QPen(colors.grid, 0)
    painter.setPen(grid)
    for ring in range(1, 6):
        painter.drawPolygon(QPolygonF(radar_points(center, radius, [ring] * 3)))
    for end in radar_points(center, radius, [5] * 3):
        painter.drawLine(center, end)
    painter.setPen(colors.text)
    for (_attr, label), end in zip(RADAR_AXES, radar_points(center, radius + line * 0.8, [5] * 3),
                                  strict=True):
        width = painter.fontMetrics().horizontalAdvance(label) + 4
        box = QRectF(end.x() - width / 2, end.y() - line / 2, width, line)
        if end.y() < center.y() - radius / 2:
            box.moveBottom(end.y() + line * 0.3)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
    mine = radar_points(center, radius, list(ours))
    if theirs is not None and any(v is not None for v in theirs):
        pen = QPen(colors.lines["theirs"], 2)
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolygon(QPolygonF(radar_points(center, radius, list(theirs))))
    fill = QColor(colors.lines["ours"])
    fill.setAlpha(60)
    painter.setPen(QPen(colors.lines["ours"], 2))
    painter.setBrush(fill)
    painter.drawPolygon(QPolygonF(mine))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    x = rect.left()
    y = rect.bottom() - legend_h
    for text, colour in (("My view", colors.lines["ours"]),
                         ("Theirs, as I read it", colors.lines["theirs"])):
        painter.setPen(QPen(QColor(colour), 2))
        painter.drawLine(QPointF(x, y + line / 2), QPointF(x + line, y + line / 2))
        painter.setPen(colors.text)
        painter.drawText(QPointF(x + line * 1.3, y + line * 0.8), text)
        x += line * 1.6 + painter.fontMetrics().horizontalAdvance(text) + line
    painter.restore()
    return mine
