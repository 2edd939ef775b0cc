"""Issue 20, layout at 1280x800: the reflection dialog fits the screen, the portfolio and the
stakeholder tables show their columns, the trend chart's legend clears the data, and a PDF
heading is never left alone at the foot of a page."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QRectF, Qt

from services.journal import demo
from tests.ui_support import northwind, settle
from ui.reflect_dialog import ReflectDialog

SCREEN_HEIGHT = 800




# --- 5. the reflection dialog on an 800 px screen ---------------------------------------------
def test_reflection_dialog_fits_an_800px_screen(qtbot, sample_window):
    win = northwind(sample_window, qtbot)
    dialog = ReflectDialog(win.ctx, win.partner_model.partners, 1, win)
    qtbot.addWidget(dialog)
    dialog.show()
    settle(qtbot, win.ctx)
    title_bar = 40
    assert dialog.screen().availableGeometry().height() <= SCREEN_HEIGHT
    assert dialog.minimumSizeHint().height() + title_bar <= SCREEN_HEIGHT, (
        dialog.minimumSizeHint())
    assert dialog.height() + title_bar <= SCREEN_HEIGHT, dialog.size()
    assert dialog.save_button.isVisible()


def elided(view, column: int) -> list[str]:
    """The cells (and header) of `column` whose text does not fit its cell (wrapped onto more
    lines where the view wraps and the row is tall enough)."""
    metrics = view.fontMetrics()
    width = view.columnWidth(column) - 2 * view.style().pixelMetric(
        view.style().PixelMetric.PM_FocusFrameHMargin) - 2
    model = view.model()
    cut = []
    for row in range(model.rowCount()):
        text = str(model.index(row, column).data() or "")
        flags = int(Qt.TextFlag.TextWordWrap.value) if view.wordWrap() else 0
        needed = metrics.boundingRect(QRect(0, 0, width, 10_000), flags, text)
        if needed.width() > width or needed.height() > view.rowHeight(row) - 2:
            cut.append(text)
    header = view.horizontalHeader()
    title = str(model.headerData(column, header.orientation()))
    if header.sectionSizeHint(column) > view.columnWidth(column):
        cut.append(title)
    return cut


# --- 6. the portfolio's columns all show ------------------------------------------------------
def test_portfolio_next_governance_column_is_not_cut_off(qtbot, sample_window):
    win = sample_window
    view = win.portfolio.table
    win.show_portfolio()
    qtbot.waitUntil(lambda: view.model().rowCount() > 0, timeout=5000)
    settle(qtbot, win.ctx)
    header = view.horizontalHeader()
    last = view.model().columnCount() - 1
    assert elided(view, last) == []
    assert header.sectionPosition(last) + view.columnWidth(last) <= view.viewport().width()
    for column in range(last):
        if column != 1:  # a long kind may be cut; its tooltip has it whole
            assert elided(view, column) == [], view.model().headerData(column, header.orientation())


# --- 9. the Stakeholders table gives Role the room, not Stance --------------------------------
def test_stakeholder_role_column_is_not_truncated(qtbot, sample_window):
    win = northwind(sample_window, qtbot)
    win.tabs.setCurrentWidget(win.stakeholders)
    view = win.stakeholders.view
    qtbot.waitUntil(lambda: view.model().rowCount() > 3, timeout=5000)
    settle(qtbot, win.ctx)
    role, stance = 2, 4
    header = view.horizontalHeader()
    for column in range(view.model().columnCount()):  # Role, and the others, show whole
        assert elided(view, column) == [], view.model().headerData(column, header.orientation())
    assert header.length() <= view.viewport().width()  # no sideways scrolling
    assert view.columnWidth(stance) < view.columnWidth(role)


# --- 7. the trend chart's labels clear the readings and the axis numbers ----------------------
def test_trend_chart_labels_clear_the_first_reading_and_the_axis(qtbot, sample_window):
    win = northwind(sample_window, qtbot)
    win.tabs.setCurrentWidget(win.health)
    chart = win.health.chart
    qtbot.waitUntil(lambda: len(chart.points) > 1, timeout=5000)
    settle(qtbot, win.ctx)
    chart.grab()  # a paint at the size the tab gives it
    assert chart.markers and chart.height() >= 140
    label, legend = chart.boxes["index_label"], chart.boxes["legend"]
    dots = [QRectF(m.center.x() - m.radius, m.center.y() - m.radius, 2 * m.radius,
                   2 * m.radius) for m in chart.markers]
    assert not [d for d in dots if d.intersects(label) or d.intersects(legend)]
    for size in (None, (400, 140), (900, 300)):  # and at the sizes a splitter may give it
        if size:
            chart.resize(*size)
            chart.grab()
        boxes = chart.boxes
        label, legend = boxes["index_label"], boxes["legend"]
        radius = max(m.radius for m in chart.markers)
        plots = [boxes["index_plot"].adjusted(-radius, -radius, radius, radius),
                 boxes["components_plot"]]
        # wherever a reading falls, it cannot land on a label: they sit outside the plots
        assert not [p for p in plots if p.intersects(label) or p.intersects(legend)], size
        assert not [y for y in boxes["y_labels"] if y.intersects(label)], size


# --- 10. a brief's section heading never ends a page -----------------------------------------
@pytest.mark.parametrize("recent", [1, 2, 4, 6, 9])
def test_brief_headings_keep_with_what_follows(qapp, session, tmp_path, recent):
    from services import journal
    from services.practice.brief import SECTION_TITLES
    from tests.test_brief import make, pdf_text

    demo.load_sample(session=session)
    northwind = journal.resolve_partner(session=session, name="Northwind")
    journal.create_interaction(session=session, interaction_in={
        "partner_id": northwind.id, "title": "Pre-read with Dana",
        "notes": "Walked through the agenda.", "reflection": "I still feel exposed."})
    for reflections in (False, True):
        _, texts = pdf_text(make(session, northwind, tmp_path, recent=recent,
                                 include_reflections=reflections))
        for number, text in enumerate(texts, 1):
            body = text.split("Confidential ·")[0].strip()  # the footer comes last
            alone = [t for t in SECTION_TITLES.values() if body.endswith(t)]
            assert not alone, (number, alone, reflections)
        assert all(title in " ".join(texts) for title in ("Suggested angles",))


# --- 8. the entry's Save button stays in view -------------------------------------------------
@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)])
def test_entry_save_button_never_scrolls_out_of_view(qtbot, sample_window, size):
    """However long the entry, and wherever its form is scrolled, Save shows whole."""
    win = northwind(sample_window, qtbot)
    win.resize(*size)
    win.new_entry()
    editor = win.editor
    editor.title.setText("A long one")
    editor.notes.editor.setPlainText("A line of notes.\n" * 200)
    editor.trust_box.setChecked(True)
    editor.scroll.widget().setMinimumHeight(editor.scroll.viewport().height() + 400)  # taller
    settle(qtbot, win.ctx)
    bar = editor.scroll.verticalScrollBar()
    assert bar.maximum() > 0  # the form does scroll
    for value in (bar.minimum(), bar.maximum() // 2, bar.maximum()):
        bar.setValue(value)
        qtbot.wait(10)
        button = editor.save_button
        assert button.isVisible() and not button.visibleRegion().isEmpty(), value
        shown = button.visibleRegion().boundingRect()
        assert shown.height() == button.height(), (value, shown, button.size())
