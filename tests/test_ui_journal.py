"""The desktop journal, driven like a user would: real widgets offscreen, real vault."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from services import journal
from services.store import use_case
from tests.ui_support import click_save, open_window, settle
from ui.context import AppContext
from ui.main_window import MainWindow
from ui.tasks import TaskRunner
from ui.vault_dialogs import FirstRunDialog


def test_first_run_to_first_entry_found_by_search(qtbot, data_dir):
    ctx = AppContext(data_dir=data_dir, tasks=TaskRunner())
    first = FirstRunDialog(ctx)
    qtbot.addWidget(first)
    first.show()
    qtbot.keyClicks(first.passphrase, "correct horse battery")
    qtbot.keyClicks(first.confirm, "correct horse battery")
    qtbot.mouseClick(first.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first.pages.currentIndex() == 1, timeout=5000)
    assert len(first.key_label.text()) == 39 and not first.finish_button.isEnabled()
    first.reject()  # Escape must not skip the recovery key
    assert first.isVisible()
    first.stored.setChecked(True)
    qtbot.mouseClick(first.finish_button, Qt.MouseButton.LeftButton)
    assert first.result() == first.DialogCode.Accepted and ctx.vault is not None

    win = open_window(qtbot, ctx)
    assert win.middle.currentWidget() is win.empty  # an empty vault offers the sample journal
    win.new_partner()
    qtbot.keyClicks(win.dialog.name, "Northwind Cloud")
    click_save(win.dialog)
    qtbot.waitUntil(lambda: win.partner_id is not None, timeout=5000)
    assert win.middle.currentWidget() is win.tabs

    win.tabs.setCurrentWidget(win.stakeholders)
    win.stakeholders.add()
    qtbot.keyClicks(win.stakeholders.dialog.name, "Dana Whitfield")
    qtbot.keyClicks(win.stakeholders.dialog.role, "VP Partnerships")
    click_save(win.stakeholders.dialog)
    qtbot.waitUntil(lambda: win.stakeholders.model.rowCount() == 1, timeout=5000)

    assert win.new_action.shortcut() == QKeySequence(QKeySequence.StandardKey.New)
    win.new_action.trigger()
    qtbot.waitUntil(lambda: win.editor.isEnabled() and win.editor.participants.count() == 1,
                    timeout=5000)
    qtbot.keyClicks(win.editor.title, "Difficult steering committee")
    qtbot.keyClicks(win.editor.notes.editor, "The VP was angry about pricing.")
    qtbot.keyClicks(win.editor.reflection.editor, "I should have warned her first.")
    win.editor.participants.item(0).setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(win.editor.saved, timeout=5000) as saved:
        win.save_action.trigger()
    entry_id = saved.args[0]
    settle(qtbot, ctx)
    assert win.timeline.rowCount() == 1
    with use_case(ctx.vault) as s:
        assert [p.name for p in journal.participants(session=s, interaction_id=entry_id)] \
            == ["Dana Whitfield"]

    win.editor.clear()
    win.find_action.trigger()
    dialog = win.search_dialog
    qtbot.keyClicks(dialog.query, "pricing")
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=5000)
    assert "<b style='background:#ffe082'>pricing</b>" in dialog.model.data(dialog.model.index(0))
    qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.editor.interaction_id == entry_id, timeout=5000)
    assert win.editor.title.text() == "Difficult steering committee"
    win.close()
    ctx.tasks.wait()
    ctx.vault.lock()


@pytest.fixture
def partner(ctx):
    with use_case(ctx.vault) as s:
        p = journal.create_partner(session=s, partner_in={"name": "Helix Systems"})
        journal.create_stakeholder(session=s, stakeholder_in={"partner_id": p.id,
                                                              "name": "Rafael Ortiz"})
    return p


def test_autosaved_draft_survives_a_crash(qtbot, ctx, partner, monkeypatch):
    win = open_window(qtbot, ctx)
    assert win.middle.currentWidget() is win.portfolio  # the home: no partner chosen yet
    win.select_partner(partner.id)
    settle(qtbot, ctx)
    win.new_entry()
    qtbot.waitUntil(win.editor.isEnabled, timeout=5000)
    qtbot.keyClicks(win.editor.title, "Deal registration dispute")
    qtbot.keyClicks(win.editor.notes.editor, "Rafael called it a breach.")
    win.editor.reflection.editor.insertPlainText("Ich hätte es wissen müssen — 株式会社")
    qtbot.waitUntil(lambda: win.editor.message.text() == "Draft saved", timeout=6000)
    # the crash: the window is dropped without closeEvent, the vault never locked
    settle(qtbot, ctx)
    win.hide()

    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    from services import vault as vaults

    ctx2 = AppContext(data_dir=ctx.data_dir, tasks=TaskRunner(),
                      vault=vaults.open_vault(ctx.data_dir))
    again = MainWindow(ctx2)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.editor.title.text() == "Deal registration dispute",
                    timeout=5000)
    assert "Deal registration dispute" in asked[0]
    assert again.editor.notes.text() == "Rafael called it a breach."
    assert again.editor.reflection.text() == "Ich hätte es wissen müssen — 株式会社"
    assert again.editor.dirty
    with qtbot.waitSignal(again.editor.saved, timeout=5000):
        again.editor.save()
    settle(qtbot, ctx2)
    from services.journal import drafts

    with use_case(ctx2.vault) as s:
        assert drafts.list_drafts(session=s) == []  # saving dropped the draft
    again.close()
    ctx2.tasks.wait()
    ctx2.vault.lock()


def test_lock_and_unlock(qtbot, data_dir, monkeypatch):
    from services import vault as vaults

    created = vaults.create_vault(data_dir, passphrase="correct horse battery")
    ctx = AppContext(data_dir=data_dir, tasks=TaskRunner(), vault=created.vault)
    with use_case(ctx.vault) as s:
        journal.create_partner(session=s, partner_in={"name": "Kestrel Analytics"})
    win = open_window(qtbot, ctx)
    assert win.partner_model.rowCount() == 1
    win.lock_action.trigger()
    assert win.pages.currentWidget() is win.lock_screen
    assert ctx.vault.is_locked and win.partner_model.rowCount() == 0
    assert not win.editor.isEnabled()

    form = win.lock_screen.form
    qtbot.keyClicks(form.secret, "not my passphrase")
    qtbot.mouseClick(form.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.error.isVisible(), timeout=5000)
    assert form.error.text() == "Wrong passphrase."
    assert ctx.vault.is_locked and win.pages.currentWidget() is win.lock_screen

    form.secret.clear()
    qtbot.keyClicks(form.secret, "correct horse battery")
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.pages.currentIndex() == 0, timeout=5000)
    settle(qtbot, ctx)
    assert not ctx.vault.is_locked and win.partner_model.rowCount() == 1
    assert form.secret.text() == ""
    win.close()
    ctx.tasks.wait()
    ctx.vault.lock()


def test_idle_lock(qtbot, window):
    window.idle.minutes = 1
    window.idle.last_input -= 61
    window.idle.check()
    assert window.ctx.vault.is_locked and window.pages.currentWidget() is window.lock_screen
