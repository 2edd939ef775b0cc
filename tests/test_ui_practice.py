"""Alliance practice in the app (issue 14): the health-check dialog from the Health tab, and
the losing-touch list on the portfolio home."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt

from services import journal
from services.journal import demo
from services.practice import checkups
from services.store import use_case
from tests.ui_support import click_save, open_window, settle
from ui.checkup_dialog import CheckupDialog
from ui.partner_health import PartnerHealth


def test_health_check_dialog_previews_saves_and_shows_history(qtbot, ctx):
    with use_case(ctx.vault, write=True) as s:
        acme = journal.create_partner(session=s, partner_in={"name": "Acme"})
        checkups.add_checkup(session=s, checkup_in={
            "partner_id": acme.id, "taken_on": date.today() - timedelta(days=90),
            "strategic": 4, "operational": 4, "relational": 4})
    dialog = CheckupDialog(ctx, acme.id, "Acme")
    qtbot.addWidget(dialog)
    dialog.show()
    settle(qtbot, ctx)
    assert dialog.history.topLevelItemCount() == 1
    dialog.ours["operational"].setValue(2)
    dialog.theirs["strategic"].setValue(2)
    dialog.evidence["operational"].insert("Two launches slipped")
    assert dialog.radar.ours == (3, 2, 3) and dialog.radar.theirs == (2, None, None)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        click_save(dialog)
    settle(qtbot, ctx)
    with use_case(ctx.vault) as s:
        latest = checkups.history(session=s, partner_id=acme.id)[-1]
    assert checkups.ours(latest) == (3, 2, 3) and checkups.theirs(latest) == (2, None, None)
    assert latest.operational_evidence == "Two launches slipped"
    assert [d.axis for d in checkups.drops(
        checkups.history(session=s, partner_id=acme.id)[0], latest)] == ["operational"]


def test_health_tab_opens_the_dialog_and_the_home_lists_who_is_losing_touch(qtbot, ctx):
    with use_case(ctx.vault, write=True) as s:
        demo.load_sample(session=s)
    win = open_window(qtbot, ctx)
    touch = win.portfolio.touch.list
    texts = [touch.item(i).text() for i in range(touch.count())]
    assert texts and any(t.startswith("Dana Whitfield (Northwind Cloud): 60 days") for t in texts)
    dana = next(touch.item(i) for i in range(touch.count())
                if touch.item(i).text().startswith("Dana Whitfield"))
    assert dana.data(Qt.ItemDataRole.UserRole).past_max
    with qtbot.waitSignal(win.portfolio.open_entry, timeout=5000) as opened:
        touch.itemActivated.emit(dana)
    assert opened.args[1] == dana.data(Qt.ItemDataRole.UserRole).last_entry_id
    settle(qtbot, ctx)
    health = win.findChild(PartnerHealth)
    assert health.partner_id == dana.data(Qt.ItemDataRole.UserRole).partner_id
    health.checkup_dialog_button.click()
    dialog = health.findChild(CheckupDialog)
    assert dialog is not None and dialog.isVisible()
    settle(qtbot, ctx)
    assert dialog.history.topLevelItemCount() >= 2  # the sample's history for this partner
    dialog.reject()
    win.close()
    ctx.tasks.wait()


def test_file_import_turns_a_calendar_into_entries_of_the_partner_shown(qtbot, ctx, tmp_path,
                                                                        monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from tests.test_calendar_import import EVENTS, export

    path = tmp_path / "calendar.ics"
    path.write_text(export(*EVENTS), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    with use_case(ctx.vault, write=True) as s:
        north = journal.create_partner(session=s, partner_in={"name": "Northwind Cloud"})
        journal.create_stakeholder(session=s, stakeholder_in={
            "partner_id": north.id, "name": "Dana Whitfield"})
    win = open_window(qtbot, ctx)
    with qtbot.waitSignal(win.error_shown, timeout=5000):
        win.import_action.trigger()                       # no partner chosen yet
    win.select_partner(north.id)
    settle(qtbot, ctx)
    win.import_action.trigger()
    qtbot.waitUntil(lambda: isinstance(getattr(win, "calendar_report", None), QMessageBox),
                    timeout=5000)
    assert win.calendar_report.text().startswith("4 entries imported")
    assert "Quinn Unknown" in win.calendar_report.text()
    # issue 20, item 12: the app names its own way to add a person, not a CLI command
    assert "Stakeholders tab" in win.calendar_report.text()
    assert "stakeholder add" not in win.calendar_report.text()
    with use_case(ctx.vault) as s:
        titles = {i.title for i in journal.list_interactions(session=s, partner_id=north.id)}
    assert "Q1 QBR with Northwind" in titles and len(titles) == 4
    win.calendar_report.close()
    win.close()
    ctx.tasks.wait()


def test_since_we_last_spoke_from_the_stakeholders_tab_and_cadence_in_the_form(qtbot, ctx):
    from PySide6.QtWidgets import QMessageBox

    from ui.stakeholders import StakeholderDialog, StakeholdersPanel

    with use_case(ctx.vault, write=True) as s:
        demo.load_sample(session=s)
        north = journal.resolve_partner(session=s, name="Northwind")
    win = open_window(qtbot, ctx)
    win.select_partner(north.id)
    settle(qtbot, ctx)
    panel = win.findChild(StakeholdersPanel)
    row = next(n for n, p in enumerate(panel.model.records) if p.name == "Dana Whitfield")
    panel.view.selectRow(row)
    panel.buttons["Since we last spoke…"].click()
    qtbot.waitUntil(lambda: isinstance(getattr(panel, "since_box", None), QMessageBox),
                    timeout=5000)
    text = panel.since_box.text()
    assert text.startswith("Last seen ") and "• Entry " in text
    panel.since_box.close()
    dana = panel.model.records[row]
    form = StakeholderDialog(dana)
    qtbot.addWidget(form)
    assert form.email.text() == "dana.whitfield@northwind.example"
    assert (form.ideal.value(), form.most.value()) == (21, 45)
    form.most.setValue(0)
    values = form.values()
    assert values["touch_ideal_days"] == 21 and values["touch_max_days"] is None
    win.close()
    ctx.tasks.wait()


def test_brief_dialog_defaults_to_the_next_governance_meeting(qtbot, ctx):
    from services.practice import governance
    from ui.brief_dialog import BriefDialog

    due = date.today() + timedelta(days=9)
    with use_case(ctx.vault, write=True) as s:
        acme = journal.create_partner(session=s, partner_in={"name": "Acme"})
        other = journal.create_partner(session=s, partner_in={"name": "Zenith"})
        governance.add_cadence(session=s, cadence_in={
            "partner_id": acme.id, "kind": "qbr", "every_days": 90, "next_due": due})
        partners = journal.list_partners(session=s)
    dialog = BriefDialog(ctx, partners, acme.id)
    qtbot.addWidget(dialog)
    settle(qtbot, ctx)
    assert dialog.meeting.date().toPython() == due
    assert dialog.purpose.text() == f"Prepare for the QBR on {due}"
    dialog.partner.setCurrentIndex(dialog.partner.findData(other.id))
    settle(qtbot, ctx)
    assert dialog.purpose.text() == ""                  # Zenith has no governance meeting
    dialog.purpose.setText("Pricing talk")
    dialog.partner.setCurrentIndex(dialog.partner.findData(acme.id))
    settle(qtbot, ctx)
    assert dialog.purpose.text() == "Pricing talk"      # what the user typed stays


def test_stage_in_the_partner_form_and_on_the_portfolio_home(qtbot, ctx):
    from ui.portfolio_view import COLUMNS
    from ui.small_dialogs import PartnerDialog

    with use_case(ctx.vault, write=True) as s:
        demo.load_sample(session=s)
        kestrel = journal.resolve_partner(session=s, name="Kestrel")
    form = PartnerDialog(kestrel)
    qtbot.addWidget(form)
    assert form.stage.currentData() == "renew"
    form.stage.setCurrentIndex(form.stage.findData("exit"))
    assert form.values()["stage"] == "exit"
    win = open_window(qtbot, ctx)
    model = win.portfolio.model
    titles = [" ".join(c[0].split()) for c in COLUMNS]  # headers may take two lines
    row = next(n for n, r in enumerate(model.records) if r.name == "Northwind Cloud")
    cell = {t: model.index(row, titles.index(t)) for t in ("Stage", "Next governance")}
    assert cell["Stage"].data() == "run"
    governance = cell["Next governance"]  # two lines in the cell, the sentence in its tooltip
    assert governance.data().startswith("QBR\n") and "overdue" in governance.data()
    assert governance.data(Qt.ItemDataRole.ToolTipRole).startswith("QBR overdue by ")
    win.close()
    ctx.tasks.wait()


def test_hovering_a_person_on_the_map_says_what_happened_since(qtbot, ctx):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QMouseEvent

    from ui.stakeholder_map import StakeholderMap

    with use_case(ctx.vault, write=True) as s:
        demo.load_sample(session=s)
        north = journal.resolve_partner(session=s, name="Northwind")
    win = open_window(qtbot, ctx)
    win.select_partner(north.id)
    settle(qtbot, ctx)
    win.tabs.setCurrentWidget(win.findChild(PartnerHealth))
    themap = win.findChild(StakeholderMap)
    qtbot.waitUntil(lambda: bool(getattr(themap, "since_lines", None)), timeout=5000)
    themap.repaint()
    dana = next(p for p in themap.people if p.name == "Dana Whitfield")
    where = QPointF(themap.positions[dana.id])
    themap.mouseMoveEvent(QMouseEvent(QMouseEvent.Type.MouseMove, where, where,
                                      Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                      Qt.KeyboardModifier.NoModifier))
    assert "Since we last spoke: Last seen " in themap.toolTip()
    win.close()
    ctx.tasks.wait()
