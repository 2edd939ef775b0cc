"""The dashboard in the app: portfolio home, chart markers, the draggable stakeholder map."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from models.tables import Stance
from services import journal
from services.journal import demo, trust
from services.store import use_case
from tests.ui_support import open_window, settle
from ui.render.charts import paint_trust_chart
from ui.stakeholder_map import StakeholderMap


def test_portfolio_is_home_and_lists_the_sample_partners(qtbot, ctx):
    with use_case(ctx.vault) as s:
        demo.load_sample(session=s)
    win = open_window(qtbot, ctx)
    assert win.middle.currentWidget() is win.portfolio
    names = sorted(r.name for r in win.portfolio.model.records)
    assert names == ["Helix Systems", "Kestrel Analytics", "Meridian Health Group",
                     "Northwind Cloud"]
    assert win.portfolio.alerts.count() >= 4  # overdue promises, a trust drop, a stance shift
    texts = [win.portfolio.alerts.item(i).text() for i in range(win.portfolio.alerts.count())]
    assert any("Greg Holloway" in t and "skeptic" in t for t in texts)
    # sortable: by trust index, weakest first, then reversed
    win.portfolio.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    first = win.portfolio.row_record(0)
    win.portfolio.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    assert win.portfolio.row_record(0).trust_index >= first.trust_index
    # click through to a partner
    index = win.portfolio.proxy.index(0, 0)
    win.portfolio.table.activated.emit(index)
    settle(qtbot, ctx)
    assert win.partner_id == win.portfolio.row_record(0).partner_id
    assert win.middle.currentWidget() is win.tabs
    win.show_portfolio()
    assert win.partner_id is None and win.middle.currentWidget() is win.portfolio
    win.close()
    ctx.tasks.wait()


def points_for(n: int, with_entry_every: int = 1):
    start = datetime(2024, 1, 1)
    return [trust.TrustPoint(i, start + timedelta(hours=i), 1 + (i % 9), 5, 5, 5, 3,
                             i if i % with_entry_every == 0 else None, f"entry {i}")
            for i in range(1, n + 1)]


def test_chart_renders_offscreen_with_one_marker_per_entry(qapp):
    image = QImage(800, 400, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    markers = paint_trust_chart(painter, QRectF(0, 0, 800, 400), points_for(30, 3),
                                title="Acme")
    painter.end()
    assert len(markers) == 10  # readings 3, 6, …, 30 came from an entry
    assert len({(m.center.x(), m.center.y()) for m in markers}) == 10
    inside = [m for m in markers if 0 <= m.center.x() <= 800 and 0 <= m.center.y() <= 400]
    assert len(inside) == 10
    m = markers[0]  # its outline is drawn: some pixel around the centre is not white
    ring = [image.pixelColor(int(m.center.x() + dx), int(m.center.y() + dy)).name()
            for dx in range(-5, 6) for dy in range(-5, 6)]
    assert any(colour != "#ffffff" for colour in ring)
    painter = QPainter(image)
    assert paint_trust_chart(painter, QRectF(0, 0, 800, 400), []) == []
    painter.end()


def test_clicking_a_chart_marker_opens_its_interaction(qtbot, ctx):
    with use_case(ctx.vault) as s:
        demo.load_sample(session=s)
        northwind = journal.resolve_partner(session=s, name="Northwind")
    win = open_window(qtbot, ctx)
    win.select_partner(northwind.id)
    win.tabs.setCurrentWidget(win.health)
    settle(qtbot, ctx)
    chart = win.health.chart
    qtbot.waitUntil(lambda: len(chart.markers) >= 5, timeout=5000)
    marker = chart.markers[2]
    qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=marker.center.toPoint())
    qtbot.waitUntil(lambda: win.editor.interaction_id == marker.interaction_id, timeout=5000)
    assert win.editor.title.text() in marker.label
    win.close()
    ctx.tasks.wait()


def test_dragging_a_dot_changes_the_stance_in_the_journal(qtbot, ctx):
    with use_case(ctx.vault) as s:
        acme = journal.create_partner(session=s, partner_in={"name": "Acme"})
        tom = journal.create_stakeholder(session=s, stakeholder_in={
            "partner_id": acme.id, "name": "Tom", "influence": 5, "stance": "blocker"})
        journal.create_stakeholder(session=s, stakeholder_in={
            "partner_id": acme.id, "name": "Ours", "side": "internal", "stance": "neutral"})
    win = open_window(qtbot, ctx)
    win.select_partner(acme.id)
    win.tabs.setCurrentWidget(win.health)
    win.resize(1300, 900)
    settle(qtbot, ctx)
    chart_map: StakeholderMap = win.health.map
    qtbot.waitUntil(lambda: len(chart_map.people) == 2, timeout=5000)
    chart_map.repaint()
    start = chart_map.positions[tom.id].toPoint()
    target = QPoint(int(chart_map.column_x("supporter")), start.y())
    qtbot.mousePress(chart_map, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(chart_map, pos=QPoint((start.x() + target.x()) // 2, start.y()))
    qtbot.mouseRelease(chart_map, Qt.MouseButton.LeftButton, pos=target)
    settle(qtbot, ctx)
    with use_case(ctx.vault) as s:
        assert journal.get_stakeholder(session=s, stakeholder_id=tom.id).stance \
            == Stance.supporter
    qtbot.waitUntil(lambda: any(p.id == tom.id and p.stance == Stance.supporter
                                for p in chart_map.people), timeout=5000)
    win.close()
    ctx.tasks.wait()


def test_map_layout_separates_people_in_one_cell(qapp):
    class P:
        def __init__(self, ident, stance="neutral", influence=3):
            self.id, self.stance, self.influence = ident, Stance(stance), influence

    widget = StakeholderMap()
    widget.resize(600, 400)
    widget.set_people([P(1), P(2), P(3, "champion", 5)])
    spots = widget.layout_people()
    assert spots[1] != spots[2] and spots[1].x() == spots[2].x()
    assert spots[3].x() > spots[1].x() and spots[3].y() < spots[1].y()  # right and higher
    assert widget.stance_at(spots[3].x()) == "champion"
    assert widget.stance_at(QPointF(-50, 0).x()) == "blocker"
