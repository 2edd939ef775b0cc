"""The rough edges of a day in the life (issue 13): the message line, locked means locked,
Ctrl+, for Settings, an empty editor that is empty, and a restored draft that is in view."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from services import journal
from services.errors import Conflict, InvalidInput
from services.journal import demo, drafts, entry
from services.settings import Preferences
from services.store import use_case
from tests.ui_support import settle
from ui.context import AppContext
from ui.main_window import MainWindow
from ui.tasks import TaskRunner


def unlock(qtbot, win) -> None:
    form = win.lock_screen.form
    qtbot.mouseClick(form.unlock_button, Qt.MouseButton.LeftButton)  # the keychain opens it
    qtbot.waitUntil(lambda: win.pages.currentIndex() == 0, timeout=5000)
    settle(qtbot, win.ctx)


def test_messages_are_one_dismissible_line_replaced_and_cleared(qtbot, sample_window):
    win = sample_window
    win.load_sample()  # already loaded: a Conflict
    qtbot.waitUntil(win.message.isVisible, timeout=5000)
    first = win.message.text()
    assert "already" in first
    assert win.message.height() <= 3 * win.fontMetrics().height()  # one line, not a block
    win.show_error(InvalidInput("The title cannot be empty."))
    assert win.message.text() == "The title cannot be empty."  # replaced, not stacked
    win.message.close_button.click()
    assert not win.message.isVisible()
    win.show_error(Conflict("Something about the journal."))
    win.lock_action.trigger()
    unlock(qtbot, win)
    assert not win.message.isVisible()  # its cause went away with the lock


def test_locked_means_locked(qtbot, sample_window):
    win = sample_window
    win.lock_action.trigger()
    assert win.pages.currentWidget() is win.lock_screen
    for act in (win.find_action, win.new_action, win.reflect_action, win.brief_action,
                win.ask_action, win.save_action, win.settings_action):
        assert not act.isEnabled(), act.text()
    win.find_action.trigger()  # Ctrl+F while locked: nothing opens, no error
    assert getattr(win, "search_dialog", None) is None and not win.message.isVisible()
    unlock(qtbot, win)
    assert win.find_action.isEnabled() and win.new_action.isEnabled()
    assert Preferences().idle_lock_minutes == 10


def test_settings_has_a_shortcut_on_every_platform(sample_window):
    assert not sample_window.settings_action.shortcut().isEmpty()
    native = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
    expected = native[0] if native else QKeySequence("Ctrl+,")
    assert sample_window.settings_action.shortcut() == expected


def test_an_empty_editor_is_empty_with_todays_date(qtbot, sample_window):
    win = sample_window
    win.select_partner(1)
    settle(qtbot, win.ctx)
    win.open_entry(1, 3)
    qtbot.waitUntil(lambda: win.editor.title.text() != "", timeout=5000)
    win.lock_action.trigger()
    unlock(qtbot, win)
    editor = win.editor
    assert editor.title.text() == "" and editor.notes.text() == ""
    assert editor.participants.count() == 0
    assert editor.when.dateTime().date().toPython() == date.today()
    win.select_partner(1)
    settle(qtbot, win.ctx)
    win.open_entry(1, 3)
    qtbot.waitUntil(lambda: editor.title.text() != "", timeout=5000)
    with use_case(win.ctx.vault, write=True) as s:
        fresh = journal.create_partner(session=s, partner_in={"name": "Zephyr Atomic"})
    win._partner_created(fresh)
    settle(qtbot, win.ctx)
    assert editor.title.text() == "" and editor.interaction_id is None
    assert editor.when.dateTime().date().toPython() == date.today()


def test_a_restored_draft_opens_its_partner_and_entry(qtbot, ctx, monkeypatch):
    with use_case(ctx.vault, write=True) as s:
        demo.load_sample(session=s)
        kestrel = journal.resolve_partner(session=s, name="Kestrel")
        drafts.save_draft(session=s, key=drafts.NEW_ENTRY, content={
            "partner_id": kestrel.id, "interaction_id": None, "title": "Renewal wobble",
            "notes": "They asked for a discount.", "kind": "call"})
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.editor.title.text() == "Renewal wobble", timeout=5000)
    settle(qtbot, ctx)
    assert win.partner_id == kestrel.id and win.middle.currentWidget() is win.tabs
    assert win.right.isVisible() and win.right.currentWidget() is win.editor
    assert win.editor.title.hasFocus() or win.focusWidget() is win.editor.title
    win.close()
    ctx.tasks.wait()


def test_the_draft_stays_until_its_save_commits(ctx, monkeypatch):
    from services.journal import trust

    with use_case(ctx.vault, write=True) as s:
        partner = journal.create_partner(session=s, partner_in={"name": "Helix"})
        drafts.save_draft(session=s, key=drafts.NEW_ENTRY, content={"title": "QBR"})

    def killed(**_):
        raise KeyboardInterrupt  # the process dies between the entry and the reading

    monkeypatch.setattr(trust, "add_reading", killed)
    with pytest.raises(KeyboardInterrupt), use_case(ctx.vault, write=True) as s:
        entry.save_entry(session=s, interaction_id=None, reading={"credibility": 5},
                         data={"partner_id": partner.id, "title": "QBR"})
    with use_case(ctx.vault) as s:
        assert [d.key for d in drafts.list_drafts(session=s)] == [drafts.NEW_ENTRY]
        assert journal.list_interactions(session=s) == []


def test_a_second_window_context_is_independent(data_dir, vault):
    ctx = AppContext(data_dir=data_dir, tasks=TaskRunner(), vault=vault)
    assert ctx.settings == Preferences()
