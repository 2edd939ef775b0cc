"""Dialogs, the timeline, errors in one place, single instance, geometry."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from services import journal
from services.journal import commitments
from services.store import use_case
from tests.ui_support import click_save, open_window, settle
from ui import app as app_module
from ui.commitments_panel import CommitmentDialog
from ui.errors import ErrorDialog
from ui.reflect_dialog import ReflectDialog
from ui.search_dialog import SearchDialog
from ui.small_dialogs import PartnerDialog, SettingsDialog
from ui.stakeholders import StakeholderDialog
from ui.timeline import PAGE
from ui.vault_dialogs import FirstRunDialog, UnlockDialog


@pytest.fixture
def partner(ctx):
    with use_case(ctx.vault) as s:
        p = journal.create_partner(session=s, partner_in={"name": "Meridian Health Group"})
        journal.create_stakeholder(session=s, stakeholder_in={"partner_id": p.id,
                                                              "name": "Claire Dubois"})
    return p


def test_every_dialog_opens_and_closes_cleanly(qtbot, ctx, partner):
    # qt_log_level_fail = WARNING (pyproject): any Qt warning fails this test
    dialogs = [FirstRunDialog(ctx), UnlockDialog(ctx), ReflectDialog(ctx, [partner]),
               SearchDialog(ctx), PartnerDialog(), PartnerDialog(partner),
               StakeholderDialog(), CommitmentDialog(), SettingsDialog(ctx.settings),
               ErrorDialog("Traceback…")]
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.close()
        assert not dialog.isVisible()


def test_guided_reflection_becomes_an_entry_with_commitments(qtbot, partner, window):
    window.reflect()
    dialog = window.dialog
    qtbot.keyClicks(dialog.title, "ROI review with Claire")
    qtbot.keyClicks(dialog.answers["happened"], "Claire cut the lab scope.")
    qtbot.keyClicks(dialog.answers["felt"], "Deflated.")
    qtbot.keyClicks(dialog.answers["next_steps"], "Send the bed-day numbers.")
    qtbot.keyClicks(dialog.ours, "ROI case by Friday")
    qtbot.keyClicks(dialog.theirs, "Name an executive owner")
    with qtbot.waitSignal(dialog.recorded, timeout=5000) as recorded:
        click_save(dialog)
    settle(qtbot, window.ctx)
    with use_case(window.ctx.vault) as s:
        item = journal.get_interaction(session=s, interaction_id=recorded.args[1])
        promises = commitments.list_commitments(session=s, partner_id=partner.id)
    assert "Claire cut the lab scope." in item.notes and "Deflated." not in item.notes
    assert "Deflated." in item.reflection and item.difficulty == 4
    assert sorted((c.owed_by.value, c.text) for c in promises) == [
        ("them", "Name an executive owner"), ("us", "ROI case by Friday")]
    qtbot.waitUntil(lambda: window.editor.interaction_id == item.id, timeout=5000)


def test_timeline_loads_lazily_and_filters(qtbot, ctx, partner):
    start = datetime(2024, 1, 1)
    with use_case(ctx.vault) as s:
        for i in range(PAGE * 2 + 50):
            journal.create_interaction(session=s, interaction_in={
                "partner_id": partner.id, "title": f"entry {i}",
                "kind": "call" if i % 10 == 0 else "meeting",
                "occurred_at": start + timedelta(hours=i)})
    win = open_window(qtbot, ctx)
    win.select_partner(partner.id)
    settle(qtbot, ctx)
    assert win.timeline.rowCount() == PAGE  # one page, not 450 rows
    assert win.timeline.data(win.timeline.index(0, 2)) == f"entry {PAGE * 2 + 49}"
    win.timeline_view.scrollToBottom()
    qtbot.waitUntil(lambda: win.timeline.rowCount() == PAGE * 2, timeout=5000)
    ids = [r.id for r in win.timeline.rows]
    assert len(set(ids)) == len(ids)  # keyset paging: no row twice
    win.kind_filter.setCurrentIndex(win.kind_filter.findData("call"))
    settle(qtbot, ctx)
    assert win.timeline.rowCount() == 45
    win.close()
    ctx.tasks.wait()


def test_service_errors_show_in_the_message_bar(qtbot, partner, window):
    window.new_partner()
    qtbot.keyClicks(window.dialog.name, "meridian health group")
    with qtbot.waitSignal(window.error_shown, timeout=5000) as shown:
        click_save(window.dialog)
    assert "already exists" in shown.args[0]
    assert window.message.isVisible() and "already exists" in window.message.text()


def test_unexpected_error_dialog_and_log_without_notes(qtbot, partner, window, monkeypatch):
    shown = []
    monkeypatch.setattr(ErrorDialog, "exec", lambda self: shown.append(self.details))

    def explode(*, session):
        journal.create_interaction(session=session, interaction_in={
            "partner_id": partner.id, "title": "SECRET-NOTE-TEXT"})
        raise RuntimeError("boom")

    window.ctx.db(explode)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "RuntimeError: boom" in shown[0] and "explode" in shown[0]
    log_text = (window.ctx.data_dir / "logs" / "confidant.log").read_text() \
        if (window.ctx.data_dir / "logs" / "confidant.log").exists() else ""
    assert "SECRET-NOTE-TEXT" not in log_text


def test_log_scrubs_statement_parameters(tmp_path):
    from sqlalchemy.exc import StatementError

    from ui.errors import safe_details

    try:
        raise StatementError("bad", "INSERT ... VALUES (?)", ["SECRET-NOTE-TEXT"],
                             ValueError("no"))
    except StatementError as err:
        details = safe_details(err)
    assert "SECRET-NOTE-TEXT" not in details and "StatementError: no" in details


def test_second_instance_is_refused(data_dir):
    first = app_module.instance_lock(data_dir)
    assert first is not None
    assert app_module.instance_lock(data_dir) is None
    first.unlock()
    again = app_module.instance_lock(data_dir)
    assert again is not None
    again.unlock()


def test_geometry_and_splitter_are_restored(qtbot, ctx, partner):
    win = open_window(qtbot, ctx)
    win.select_partner(partner.id)  # all three panes shown
    settle(qtbot, ctx)
    width = win.minimumSizeHint().width() + 37  # above the minimum, below the offscreen screen
    win.resize(width, 541)
    win.splitter.setSizes([300, 400, 301])
    sizes = win.splitter.sizes()
    win.close()
    ctx.tasks.wait()
    stored = QSettings(str(ctx.data_dir / "ui.ini"), QSettings.Format.IniFormat)
    assert stored.value("geometry") is not None
    again = open_window(qtbot, ctx)
    again.select_partner(partner.id)
    settle(qtbot, ctx)
    assert again.size().width() == width and again.splitter.sizes() == sizes
    again.close()


def test_delete_partner_asks_first(qtbot, partner, window, monkeypatch):
    window.select_partner(partner.id)
    settle(qtbot, window.ctx)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    window.delete_partner()
    settle(qtbot, window.ctx)
    assert window.partner_model.rowCount() == 1
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.delete_partner()
    qtbot.waitUntil(lambda: window.partner_model.rowCount() == 0, timeout=5000)
    assert window.middle.currentWidget() is window.empty


def test_sample_journal_from_the_empty_state(qtbot, window):
    assert window.middle.currentWidget() is window.empty
    window.sample_button.click()
    qtbot.waitUntil(lambda: window.partner_model.rowCount() == 4, timeout=10000)
    settle(qtbot, window.ctx)
    cues = window.partner_model.cues
    assert any(c.overdue for c in cues.values()) and any(c.trend for c in cues.values())


def test_startup_opens_silently_from_the_keychain(qtbot, data_dir, vault, monkeypatch):
    import sys

    from PySide6.QtWidgets import QApplication

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # Startup installs the app's own

    from ui.startup import StartupFrame

    vault.lock()
    frame = StartupFrame(data_dir)
    qtbot.addWidget(frame)
    frame.show()
    startup = app_module.Startup(QApplication.instance(), data_dir, frame)
    startup.run()
    qtbot.addWidget(startup.window)
    assert startup.window.isVisible() and not frame.isVisible()
    assert startup.ctx.vault.unlocked_by == "keychain"
    startup.window.close()
    startup.shutdown()
    assert startup.ctx.vault.is_locked


def test_startup_reports_a_damaged_journal(qtbot, data_dir, vault, monkeypatch):
    import sys

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)

    from services import paths
    from ui.startup import StartupFrame
    from ui.vault_recovery import DamagedDialog

    vault.lock()
    paths.db_path(data_dir).write_bytes(b"\0" * 8192)
    shown = []  # the damage is said once, with 'Restore from a backup…'; the user quits
    monkeypatch.setattr(DamagedDialog, "exec", lambda self: shown.append(self.message.text()))
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: shown.append(a[2]))
    frame = StartupFrame(data_dir)
    qtbot.addWidget(frame)
    exits = []  # the real QApplication.exit would end every later event loop in this process
    app = type("App", (), {"exit": lambda self, code: exits.append(code),
                           "quit": lambda self: exits.append(0)})()
    startup = app_module.Startup(app, data_dir, frame)
    startup.run()
    assert startup.code == 2 and startup.window is None and exits == [2]
    assert len(shown) == 1 and "damaged" in shown[0]


def test_export_brief_dialog_previews_and_saves(qtbot, partner, window, tmp_path, monkeypatch):
    from pypdf import PdfReader
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QFileDialog

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "meridian"), "PDF (*.pdf)"))
    assert window.brief_action.shortcut().toString() == "Ctrl+E"
    window.brief_action.trigger()
    dialog = window.dialog
    assert dialog.partner.currentText() == "Meridian Health Group"
    assert not dialog.private.isChecked()  # private reflections stay out unless ticked
    dialog.preview_button.click()
    qtbot.waitUntil(lambda: len(dialog.preview_pages) >= 1, timeout=10000)
    assert dialog.pages_layout.count() == len(dialog.preview_pages)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.saved_path is not None, timeout=10000)
    assert dialog.saved_path == tmp_path / "meridian.pdf"
    assert len(PdfReader(str(dialog.saved_path)).pages) >= 1
    assert opened and opened[0].toLocalFile() == str(dialog.saved_path)


def test_a_passphrase_message_goes_once_the_typing_changes(qtbot, ctx):
    """Issue 20, item 15: 'A passphrase needs at least 8 characters.' stayed on screen after it
    stopped being true."""
    from ui.small_dialogs import PassphraseDialog
    from ui.vault_dialogs import FirstRunDialog

    dialog = PassphraseDialog()
    qtbot.addWidget(dialog)
    for field in (dialog.first, dialog.second):
        qtbot.keyClicks(field, "short")
    dialog.accept()
    assert dialog.error.text() == "A passphrase needs at least 8 characters."
    qtbot.keyClicks(dialog.first, " and longer")
    assert dialog.error.text() == ""
    first_run = FirstRunDialog(ctx)
    qtbot.addWidget(first_run)
    first_run.show()
    qtbot.keyClicks(first_run.passphrase, "one phrase")
    qtbot.keyClicks(first_run.confirm, "another")
    first_run.create()
    assert first_run.error.isVisible() and "differ" in first_run.error.text()
    qtbot.keyClicks(first_run.confirm, "x")
    assert not first_run.error.isVisible()


def test_about_shows_version_and_licences(qtbot):
    from services import about
    from ui.about_dialog import AboutDialog

    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert about.version() in dialog.heading.text()
    # issue 20, item 13: servers on other hosts can be used, with consent, so never "nothing
    # leaves this machine"
    assert "Nothing leaves this machine" not in dialog.heading.text()
    assert "agreed to it by name" in dialog.heading.text()
    text = dialog.licences.toPlainText()
    assert "Gemma Terms of Use" in text and "llama.cpp" in text and "LGPL" in text


def test_commitments_panel_overdue_first_and_marking(qtbot, partner, window):
    from datetime import date, timedelta

    from PySide6.QtCore import Qt as QtNs

    with use_case(window.ctx.vault) as s:
        commitments.add_commitment(session=s, commitment_in={
            "partner_id": partner.id, "owed_by": "them", "text": "Later",
            "due": date.today() + timedelta(days=20)})
        commitments.add_commitment(session=s, commitment_in={
            "partner_id": partner.id, "owed_by": "us", "text": "Late report",
            "due": date.today() - timedelta(days=5)})
    window.select_partner(partner.id)
    settle(qtbot, window.ctx)
    panel = window.commitments
    model = panel.model
    assert [c.text for c in model.records] == ["Late report", "Later"]
    assert model.data(model.index(0, 1), QtNs.ItemDataRole.ForegroundRole).name() == "#c62828"
    assert "overdue" in model.data(model.index(0, 1))
    panel.add()
    qtbot.keyClicks(panel.dialog.text, "Send the deck")
    click_save(panel.dialog)
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=5000)
    panel.view.selectRow(0)
    panel.buttons["Mark kept"].click()
    settle(qtbot, window.ctx)
    with use_case(window.ctx.vault) as s:
        done = [c for c in commitments.list_commitments(session=s) if c.text == "Late report"]
    assert done[0].status.value == "kept" and done[0].resolved_at is not None
    assert model.records[-1].text == "Late report"  # settled ones go last


def test_security_settings_passphrase_then_always_ask(qtbot, window, memory_keyring):
    from services import vault as vaults

    window.open_settings()
    settings = window.dialog
    assert not settings.always_ask.isChecked()
    settings.always_ask.setChecked(True)
    with qtbot.waitSignal(window.error_shown, timeout=5000) as shown:  # no passphrase yet
        click_save(settings)
    assert "passphrase first" in shown.args[0]
    assert vaults.uses_keychain(window.ctx.data_dir)

    window.open_settings()
    window.dialog.change_passphrase.emit()
    change = window.passphrase_dialog
    qtbot.keyClicks(change.first, "a new passphrase")
    qtbot.keyClicks(change.second, "a different one")
    click_save(change)
    assert change.isVisible() and "differ" in change.error.text()
    change.second.clear()
    qtbot.keyClicks(change.second, "a new passphrase")
    click_save(change)
    settle(qtbot, window.ctx)
    window.dialog.always_ask.setChecked(True)
    click_save(window.dialog)
    settle(qtbot, window.ctx)
    assert not vaults.uses_keychain(window.ctx.data_dir) and memory_keyring.store == {}
    opened = vaults.open_vault(window.ctx.data_dir, passphrase="a new passphrase")
    assert opened.unlocked_by == "passphrase"
    opened.lock()


def test_delete_an_entry_and_back_up_from_the_app(qtbot, partner, window, tmp_path,
                                                  monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from services.vault import backup as backup_service

    with use_case(window.ctx.vault) as s:
        doomed = journal.create_interaction(session=s, interaction_in={
            "partner_id": partner.id, "title": "Wrong partner, oops"}).id
    window.select_partner(partner.id)
    settle(qtbot, window.ctx)
    window.open_entry(partner.id, doomed)
    qtbot.waitUntil(lambda: window.editor.interaction_id == doomed, timeout=5000)
    assert window.editor.delete_button.isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(window.editor.deleted, timeout=5000):
        window.editor.delete_button.click()
    settle(qtbot, window.ctx)
    assert window.timeline.rowCount() == 0 and not window.editor.isEnabled()

    target = tmp_path / "journal.backup"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.back_up()
    qtbot.waitUntil(lambda: "Encrypted backup" in window.statusBar().currentMessage(),
                    timeout=5000)
    import zipfile

    assert sorted(zipfile.ZipFile(target).namelist()) == sorted(backup_service.MEMBERS)
