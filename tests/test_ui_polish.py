"""Issue 13, continued: the Health tab at 1280x800, the reflection that keeps people and due
dates, editable promises, undo on the map, search by person, the brief, glyphs, dark mode,
accessible names and a keyboard-only day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAccessible, QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSlider,
    QTreeWidget,
)

from models.tables import Stance
from services import journal
from services.journal import commitments, demo, search, trust
from services.practice import dashboard
from services.store import use_case
from tests.ui_support import click_save, northwind, settle
from ui import theme
from ui.reflect_dialog import ReflectDialog
from ui.search_dialog import MARK, hit_html


# --- 5. the Health tab -----------------------------------------------------------------------
def test_health_tab_labels_never_collide_and_the_board_reads(qtbot, sample_window):
    win = northwind(sample_window, qtbot)
    win.tabs.setCurrentWidget(win.health)
    settle(qtbot, win.ctx)
    qtbot.waitUntil(lambda: len(win.health.map.people) > 3, timeout=5000)
    win.health.map.repaint()
    rects = list(win.health.map.label_rects().values())
    assert len(rects) == len(win.health.map.people)
    for n, a in enumerate(rects):
        for b in rects[n + 1:]:
            assert not a.intersects(b), (a, b)
    board = win.health.board
    for table in board.lists.values():
        assert isinstance(table, QTreeWidget) and table.columnCount() == 3
        assert table.wordWrap()
    ours = board.lists[next(iter(board.lists))]
    assert ours.topLevelItemCount() > 0
    first = ours.topLevelItem(0)
    assert first.text(1) and first.text(2)  # due date and status in columns of their own
    assert all(s.handleWidth() >= 6 for s in win.health.splitters)


# --- 6. the reflection and promises ------------------------------------------------------------
def test_a_reflection_keeps_people_and_due_dates(qtbot, ctx):
    with use_case(ctx.vault, write=True) as s:
        partner = journal.create_partner(session=s, partner_in={"name": "Helix"})
        person = journal.create_stakeholder(session=s, stakeholder_in={
            "partner_id": partner.id, "name": "Rafael Ortiz"})
    dialog = ReflectDialog(ctx, [partner], partner.id)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.participants.count() == 1, timeout=5000)
    dialog.participants.item(0).setCheckState(Qt.CheckState.Checked)
    dialog.title.setText("Deal registration dispute")
    dialog.ours.setPlainText("Send the corrected registration")
    due = date.today() + timedelta(days=5)
    dialog.ours_due.setDate(due)
    with qtbot.waitSignal(dialog.recorded, timeout=5000):
        click_save(dialog) if dialog.findChild(type(dialog.save_button)) is None \
            else dialog.save_button.click()
    settle(qtbot, ctx)
    with use_case(ctx.vault) as s:
        item = journal.list_interactions(session=s, partner_id=partner.id)[0]
        assert [p.id for p in journal.participants(session=s, interaction_id=item.id)] == \
            [person.id]
        promise = commitments.list_commitments(session=s, partner_id=partner.id)[0]
        assert promise.due == due and promise.interaction_id == item.id


def test_promises_can_be_edited_and_dropped_off_the_board(qtbot, sample_window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    win = northwind(sample_window, qtbot)
    panel = win.commitments
    win.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0, timeout=5000)
    panel.view.selectRow(0)
    target = panel.model.records[0]
    panel.buttons["Edit…"].click()
    form = panel.dialog
    form.text.setText("Send the corrected plan")
    form.owed_by.setCurrentIndex(form.owed_by.findData("them"))
    click_save(form)
    settle(qtbot, win.ctx)
    with use_case(win.ctx.vault) as s:
        edited = commitments.get_commitment(session=s, commitment_id=target.id)
    assert edited.text == "Send the corrected plan" and edited.owed_by.value == "them"
    row = next(n for n, c in enumerate(panel.model.records) if c.id == target.id)
    panel.view.selectRow(row)
    panel.buttons["Drop"].click()
    settle(qtbot, win.ctx)
    assert asked and "Drop 'Send the corrected plan'" in asked[0]  # asked first
    win.health.load(1, "Northwind Cloud")
    settle(qtbot, win.ctx)
    shown = [t.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)
             for t in win.health.board.lists.values() for i in range(t.topLevelItemCount())]
    assert target.id not in shown


def test_the_trust_box_stays_ticked_after_a_save_and_a_resave_adds_no_second_reading(
        qtbot, sample_window):
    win = northwind(sample_window, qtbot)
    win.new_entry()
    editor = win.editor
    qtbot.waitUntil(editor.isEnabled, timeout=5000)
    editor.title.setText("Pricing call")
    editor.trust_box.setChecked(True)
    editor.trust["reliability"].setValue(3)
    with qtbot.waitSignal(editor.saved, timeout=5000):
        editor.save()
    assert editor.trust_box.isChecked()
    editor.trust["reliability"].setValue(6)
    with qtbot.waitSignal(editor.saved, timeout=5000):
        editor.save()
    settle(qtbot, win.ctx)
    with use_case(win.ctx.vault) as s:
        readings = [r for r in trust.list_readings(session=s, partner_id=1)
                    if r.interaction_id == editor.interaction_id]
    assert [r.reliability for r in readings] == [6]


def test_the_window_fits_a_1280x800_screen_on_every_tab(qtbot, sample_window):
    win = northwind(sample_window, qtbot)
    for tab in range(win.tabs.count()):
        win.tabs.setCurrentIndex(tab)
        settle(qtbot, win.ctx)
        hint = win.minimumSizeHint()
        assert hint.width() <= 1200 and hint.height() <= 760, (win.tabs.tabText(tab), hint)
    body = win.editor.scroll.widget()  # the entry pane needs no sideways scrolling
    assert body.minimumSizeHint().width() <= win.editor.scroll.viewport().width(), (
        body.minimumSizeHint(), win.editor.scroll.viewport().width())
    win.lock_action.trigger()
    assert win.windowTitle() == "Confidant"  # no partner's name over a locked journal


# --- 7. undo on the map, alerts that follow the state ------------------------------------------
def test_ctrl_z_undoes_a_stance_drag_and_the_alert_goes(qtbot, sample_window):
    win = northwind(sample_window, qtbot)
    win.tabs.setCurrentWidget(win.health)
    health = win.health
    qtbot.waitUntil(lambda: len(health.map.people) > 3, timeout=5000)
    person = next(p for p in health.map.people if p.stance == Stance.supporter)
    health.map.repaint()
    start = health.map.positions[person.id]
    end = QPointF(health.map.column_x("blocker"), start.y())
    qtbot.mousePress(health.map, Qt.MouseButton.LeftButton, pos=start.toPoint())
    qtbot.mouseMove(health.map, end.toPoint())
    qtbot.mouseRelease(health.map, Qt.MouseButton.LeftButton, pos=end.toPoint())
    settle(qtbot, win.ctx)

    def stance():
        with use_case(win.ctx.vault) as s:
            return journal.get_stakeholder(session=s, stakeholder_id=person.id).stance

    def shift_alerts():
        with use_case(win.ctx.vault) as s:
            return [a for a in dashboard.alerts(session=s) if a.kind == "stance_shift"
                    and person.name in a.text]

    assert stance() == Stance.blocker and shift_alerts()
    health.map.setFocus()
    qtbot.keyClick(health.map, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, win.ctx)
    assert stance() == Stance.supporter
    assert shift_alerts() == []


# --- 8. search ---------------------------------------------------------------------------------
def test_search_finds_people_plain_snippets_and_selects_in_the_timeline(qtbot, sample_window):
    win = sample_window
    with use_case(win.ctx.vault) as s:
        hits = search.search(session=s, query="marin", mark=MARK)
        starred = search.search(session=s, query="listing", mark=MARK)
    assert hits and all("Sofia Mar" in h.snippet or "marin" in h.snippet.lower() for h in hits)
    assert all("**" not in h.snippet for h in starred)
    html = hit_html(hits[0])
    assert html.index("<br>") < html.index("color:gray")  # the grey facts: a line of their own
    win.find()
    dialog = win.search_dialog
    dialog.query.setText("marin")
    dialog.run_search()
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=5000)
    hit = dialog.model.hits[-1]
    dialog._activate(dialog.model.index(dialog.model.rowCount() - 1))
    qtbot.waitUntil(lambda: win.timeline_view.currentIndex().isValid()
                    and win.timeline.rows[win.timeline_view.currentIndex().row()].id == hit.id,
                    timeout=8000)


# --- 9. the brief ------------------------------------------------------------------------------
def test_the_brief_keeps_who_left_out_reads_plain_and_fills_page_one(tmp_path, ctx):
    from pypdf import PdfReader

    from services.practice import brief
    from ui.render.brief_pdf import write_pdf

    with use_case(ctx.vault, write=True) as s:
        demo.load_sample(session=s)
        meridian = journal.resolve_partner(session=s, name="Meridian")
        journal.create_interaction(session=s, interaction_in={
            "partner_id": meridian.id, "title": "Lab review",
            "notes": "She was **angry** about the _delay_."})
        data = brief.build_brief(session=s, options=brief.BriefOptions(partner_id=meridian.id))
    target = write_pdf(data, tmp_path / "meridian.pdf")
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(str(target)).pages]
    text = " ".join(pages)
    room = text[text.index("Who is in the room"):text.index("Since the last meeting")]
    assert "Samuel Greene" not in room and "Claire Dubois" in room
    assert "**" not in text and "angry" in text
    assert "Who is in the room" in pages[0]  # page 1 carries on under the chart


def test_brief_dialog_dates_by_locale_and_a_missing_viewer_is_said(qtbot, sample_window,
                                                                   tmp_path, monkeypatch):
    from PySide6.QtCore import QLocale
    from PySide6.QtGui import QDesktopServices

    from ui.brief_dialog import BriefDialog

    win = sample_window
    dialog = BriefDialog(win.ctx, win.partner_model.partners, 1, win)
    qtbot.addWidget(dialog)
    from ui.dates import date_format

    assert dialog.meeting.displayFormat() == date_format()
    assert dialog.meeting.text() == dialog.meeting.date().toString("yyyy-MM-dd")  # C locale
    for name, expected in (("de_DE", "dd.MM.yyyy"), ("en_US", "M/d/yyyy"), ("C", "yyyy-MM-dd")):
        assert date_format(QLocale(name)) == expected, name
    reflection = ReflectDialog(win.ctx, [], None)
    qtbot.addWidget(reflection)
    for edit in (win.editor.when, reflection.ours_due):
        assert edit.displayFormat().startswith(date_format())  # one format in every form
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    dialog._saved(tmp_path / "brief.pdf")
    assert "No PDF viewer" in dialog.message.text() and dialog.show_folder.isVisibleTo(dialog)


# --- 10. glyphs --------------------------------------------------------------------------------
def test_no_missing_glyph_lock_and_two_whole_lines_per_partner(qtbot, sample_window):
    win = sample_window
    texts = [label.text() for label in win.findChildren(QLabel)]
    assert not any("\U0001f512" in t for t in texts)
    assert not win.lock_screen.picture.pixmap().isNull()
    view = win.partner_view
    hint = view.itemDelegate().sizeHint(view.viewOptions() if hasattr(view, "viewOptions")
                                        else _option(view), win.partner_model.index(0))
    assert hint.height() >= 2 * view.fontMetrics().height() + 12
    assert "#privateReflection QScrollBar::handle" in QApplication.instance().styleSheet()


def _option(view):
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    return option


# --- 11. dark mode and accessibility -------------------------------------------------------------
def _contrast(a: QColor, b: QColor) -> float:
    def lum(c):
        def channel(v):
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(
            c.blue())
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_colour_reads_in_light_and_dark(qapp, scheme):
    dark = theme.apply(scheme)
    try:
        palette = qapp.palette()
        assert theme.is_dark(palette) == dark == (scheme == "dark")
        base = palette.color(QPalette.ColorRole.Base)
        for role in ("overdue", "settled", "private", "error_text", "trend_up", "trend_down"):
            assert _contrast(theme.colour(role, palette), base) >= 3.0, role
        for stance in theme.STANCES:
            assert _contrast(theme.stance_colour(stance, palette), base) >= 2.5, stance
        message = QColor(theme.COLOURS["message_text"][dark])
        assert _contrast(message, QColor(theme.COLOURS["message_bg"][dark])) >= 4.5
        window = palette.color(QPalette.ColorRole.Window)
        assert abs(base.lightness() - window.lightness()) >= 12  # checkbox boxes stand out
    finally:
        theme.apply("light")


def test_the_settings_choose_the_colour_scheme(qtbot, sample_window):
    win = sample_window
    win.open_settings()
    dialog = win.dialog
    dialog.colour_scheme.setCurrentIndex(dialog.colour_scheme.findData("dark"))
    click_save(dialog)
    qtbot.waitUntil(lambda: win.ctx.settings.colour_scheme == "dark", timeout=5000)
    assert theme.is_dark(QApplication.instance().palette())


CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView,
            QPlainTextEdit, QSlider)


def unnamed_controls(root) -> list[str]:
    from PySide6.QtWidgets import QWidget

    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, CONTROLS):
            continue
        if not widget.isVisibleTo(root) or isinstance(widget.parent(), QComboBox):
            continue
        if widget.objectName().startswith("qt_") or isinstance(widget, QHeaderView):
            continue  # Qt's own parts (a spin box's line edit, a scroll area's corner)
        face = QAccessible.queryAccessibleInterface(widget)
        name = face.text(QAccessible.Text.Name) if face else ""
        if not name.strip():
            missing.append(f"{type(widget).__name__} in {type(widget.parent()).__name__}")
    return missing


def test_every_control_has_an_accessible_name(qtbot, sample_window):
    win = northwind(sample_window, qtbot)
    for tab in range(win.tabs.count()):
        win.tabs.setCurrentIndex(tab)
        settle(qtbot, win.ctx)
        assert unnamed_controls(win) == [], win.tabs.tabText(tab)
    win.right.setCurrentWidget(win.advisor)
    assert unnamed_controls(win) == [], "advisor"
    win.show_portfolio()
    settle(qtbot, win.ctx)
    assert unnamed_controls(win) == [], "portfolio"
    win.reflect()
    assert unnamed_controls(win.dialog) == []
    win.dialog.reject()
    win.export_brief()
    assert unnamed_controls(win.dialog) == []
    win.dialog.reject()


def test_the_daily_flow_with_the_keyboard_alone(qtbot, sample_window, monkeypatch):
    win = northwind(sample_window, qtbot)
    win.activateWindow()

    def keys(widget, key, modifiers=Qt.KeyboardModifier.NoModifier):
        qtbot.keyClick(widget, key, modifiers)

    # a new entry: Ctrl+N, type the title, Ctrl+S
    keys(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.editor.isEnabled() and win.editor.title.hasFocus(), timeout=5000)
    qtbot.keyClicks(win.editor.title, "Hallway chat with Marcus")
    with qtbot.waitSignal(win.editor.saved, timeout=5000):
        keys(win.editor.title, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    # search: Ctrl+F, type, Enter opens the entry
    keys(win, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    dialog = win.search_dialog
    qtbot.keyClicks(dialog.query, "Hallway")
    with qtbot.waitSignal(dialog.open_entry, timeout=5000):
        keys(dialog.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.editor.title.text() == "Hallway chat with Marcus", timeout=5000)
    # the reflection: Ctrl+Shift+N opens it with the title focused by Tab order
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    keys(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier
         | Qt.KeyboardModifier.ShiftModifier)
    assert isinstance(win.dialog, ReflectDialog) and win.dialog.isVisible()
    keys(win.dialog, Qt.Key.Key_Escape)
    assert not win.dialog.isVisible()
    # the brief: Ctrl+E
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    keys(win, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert win.dialog.isVisible() and win.dialog.windowTitle() == "Export meeting brief"
    keys(win.dialog, Qt.Key.Key_Escape)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    # lock with Ctrl+L, unlock with Enter in the passphrase field (the keychain here)
    keys(win, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert win.pages.currentWidget() is win.lock_screen
    keys(win.lock_screen.form.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.pages.currentIndex() == 0, timeout=5000)

