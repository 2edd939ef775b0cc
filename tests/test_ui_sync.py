"""Sync from the desktop app (issue 24): the Sync dialog, the rounds after saves, the status line
and conflicts, over real SQLCipher journals and real sync folders; only the file chooser and the
confirmation box are stood in for."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox

from services import journal
from services import vault as vault_service
from services.store import use_case
from services.sync import service as sync
from tests.ui_support import open_window, settle
from ui.sync_dialog import SyncDialog
from ui.sync_scheduler import DEBOUNCE_MS, PERIOD_MS

PASS = "correct horse battery staple"


@pytest.fixture
def vault(data_dir):
    """This module's journal has a passphrase: the other device types it to join."""
    created = vault_service.create_vault(data_dir, passphrase=PASS)
    yield created.vault
    created.vault.lock()


@pytest.fixture
def other(tmp_path):
    """A second device's journal, driven through the services."""
    created = vault_service.create_vault(tmp_path / "other", passphrase=PASS)
    yield created.vault
    created.vault.lock()


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "Sync folder"
    path.mkdir()
    return path


def add_entry(vault, partner: str = "Northwind Cloud", title: str = "Kickoff",
              notes: str = "We agreed on a pilot.") -> int:
    with use_case(vault, write=True) as s:
        p = journal.create_partner(session=s, partner_in={"name": partner})
        return journal.create_interaction(session=s, interaction_in={
            "partner_id": p.id, "title": title, "notes": notes}).id


def edit_entry(vault, **values) -> None:
    with use_case(vault, write=True) as s:
        entry = journal.list_interactions(session=s)[0]
        journal.update_interaction(session=s, interaction_id=entry.id, interaction_in=values)


def journal_entry_id(vault) -> int:
    with use_case(vault) as s:
        return journal.list_interactions(session=s)[0].id


def segments(folder, device: str | None = None) -> list:
    found = sorted(folder.glob("Confidant/*/*/*.cfs"))
    return [p for p in found if device is None or p.parent.name == device]


def open_dialog(win, qtbot) -> SyncDialog:
    win.sync_action.trigger()
    dialog = win.dialog
    assert isinstance(dialog, SyncDialog) and dialog.isVisible()
    settle(qtbot, win.ctx)
    return dialog


def choose(monkeypatch, dialog, qtbot, path) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(path))
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog.ctx)


def test_turning_sync_on_from_the_dialog_writes_the_key_and_a_segment(
        qtbot, ctx, folder, monkeypatch):
    add_entry(ctx.vault)
    win = open_window(qtbot, ctx)
    assert not win.sync_status.isVisible() and win.sync.status.on is False
    dialog = open_dialog(win, qtbot)
    assert dialog.pages.currentIndex() == 0 and dialog.turn_on_button.isVisible()
    choose(monkeypatch, dialog, qtbot, folder)
    assert not dialog.join_button.isVisible()   # a journal with entries turns sync on
    qtbot.keyClicks(dialog.secret, PASS)
    qtbot.mouseClick(dialog.turn_on_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=10_000)
    settle(qtbot, ctx)
    assert len(list(folder.glob("Confidant/*/keys.cfk"))) == 1
    assert len(segments(folder)) == 1
    assert dialog.secret.text() == ""          # the secret is not kept in the form
    assert str(folder) in dialog.folder_label.text()
    assert dialog.pending_label.text() == "Everything is sent."
    assert win.sync_status.isVisible() and win.sync_status.full_text.startswith("Sync: all sent")
    assert win.sync.periodic.isActive() and win.sync.periodic.interval() == PERIOD_MS
    # the same folder opens with that passphrase: the other device can join
    root, key = sync.unlock_folder(folder, passphrase=PASS)
    assert root.parent.parent == folder.resolve() and len(key) == 32
    win.close()


def test_a_wrong_secret_is_one_line_and_turns_nothing_on(qtbot, ctx, folder, monkeypatch):
    add_entry(ctx.vault)
    win = open_window(qtbot, ctx)
    dialog = open_dialog(win, qtbot)
    choose(monkeypatch, dialog, qtbot, folder)
    qtbot.keyClicks(dialog.secret, "not the passphrase")
    qtbot.mouseClick(dialog.turn_on_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.text() != "Turning on sync…", timeout=10_000)
    assert dialog.message.text() == "That is not this journal's passphrase."
    assert dialog.message.property("error") is True
    assert dialog.turn_on_button.isEnabled() and dialog.pages.currentIndex() == 0
    assert not any(folder.iterdir()) and not sync.status(ctx.vault).on
    win.close()


def test_a_saved_change_is_sent_after_the_debounce(qtbot, ctx, folder):
    add_entry(ctx.vault)
    sync.turn_on(ctx.vault, folder, passphrase=PASS)
    win = open_window(qtbot, ctx)
    assert win.sync.debounce.interval() == DEBOUNCE_MS
    qtbot.waitUntil(lambda: win.sync.rounds >= 1, timeout=10_000)   # the catch-up round
    settle(qtbot, ctx)
    before = len(segments(folder))
    rounds = win.sync.rounds
    win.select_partner(win.partner_model.partners[0].id)
    settle(qtbot, ctx)
    win.new_action.trigger()
    qtbot.waitUntil(lambda: win.editor.isEnabled(), timeout=5000)
    qtbot.keyClicks(win.editor.title, "Pricing call")
    with qtbot.waitSignal(win.editor.saved, timeout=5000):
        win.save_action.trigger()
    settle(qtbot, ctx)
    assert win.sync.debounce.isActive()               # not at once: typing goes on first
    assert len(segments(folder)) == before and win.sync.rounds == rounds
    qtbot.waitUntil(lambda: len(segments(folder)) == before + 1, timeout=DEBOUNCE_MS + 7000)
    settle(qtbot, ctx)
    assert win.sync.rounds == rounds + 1
    assert sync.status(ctx.vault).pending == 0
    assert win.sync_status.full_text.startswith("Sync: all sent")
    win.close()


def test_another_devices_edit_shows_after_the_windows_round(qtbot, ctx, folder, other):
    entry_id = add_entry(ctx.vault)
    sync.turn_on(ctx.vault, folder, passphrase=PASS)
    sync.join(other, folder, passphrase=PASS)
    edit_entry(other, title="Kickoff, with the pricing dispute")
    with use_case(other, write=True) as s:
        journal.create_partner(session=s, partner_in={"name": "Helix Systems"})
    sync.sync_now(other)
    win = open_window(qtbot, ctx)
    win.select_partner(win.partner_model.partners[0].id)
    settle(qtbot, ctx)
    assert [r.title for r in win.timeline.rows] == ["Kickoff"]
    seen = []
    ctx.notices.changed.connect(lambda changes: seen.append(changes))
    assert win.sync.sync_now()
    qtbot.waitUntil(lambda: [r.title for r in win.timeline.rows]
                    == ["Kickoff, with the pricing dispute"], timeout=10_000)
    qtbot.waitUntil(lambda: len(win.partner_model.partners) == 2, timeout=5000)
    assert {p.name for p in win.partner_model.partners} == {"Northwind Cloud", "Helix Systems"}
    assert any(c.every_partner and c.touches("interaction") and c.initiator is win.sync
               for c in seen)
    assert win.timeline.rows[0].id == entry_id
    settle(qtbot, ctx)
    assert win.sync_status.isVisible()
    assert "Sync: all sent" in win.sync_status.full_text
    assert "no other device" not in win.sync_status.full_text
    win.close()


def test_conflicts_are_listed_and_resolved_in_the_dialog(qtbot, ctx, folder, other):
    add_entry(ctx.vault, notes="Pilot agreed.")
    sync.turn_on(ctx.vault, folder, passphrase=PASS)
    sync.join(other, folder, passphrase=PASS)
    edit_entry(other, notes="Pilot agreed, pricing open (laptop).")
    edit_entry(ctx.vault, notes="Pilot agreed, legal to review (desktop).")
    sync.sync_now(other)
    win = open_window(qtbot, ctx)
    entry_id = journal_entry_id(ctx.vault)
    win.editor.open_entry(entry_id)    # open in the editor, untouched, while it is resolved
    qtbot.waitUntil(lambda: win.editor.interaction_id == entry_id, timeout=5000)
    assert win.sync.sync_now()
    qtbot.waitUntil(lambda: "1 conflict to review" in win.sync_status.full_text,
                    timeout=10_000)
    dialog = open_dialog(win, qtbot)
    qtbot.waitUntil(lambda: len(dialog.conflict_list.buttons) == 2, timeout=5000)
    assert dialog.conflicts_box.title() == "Conflicts to review (1)"
    texts = [box.toPlainText() for box in dialog.conflict_list.boxes]
    assert sorted(texts) == ["Pilot agreed, legal to review (desktop).",
                             "Pilot agreed, pricing open (laptop)."]
    titles = [label.text() for label in dialog.conflict_list.widget().findChildren(QLabel)
              if "Kickoff" in label.text()]
    assert len(titles) == 1 and "notes" in titles[0]
    laptop = next(i for i, box in enumerate(dialog.conflict_list.boxes)
                  if "laptop" in box.toPlainText())
    rounds = win.sync.rounds
    qtbot.mouseClick(dialog.conflict_list.buttons[laptop], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.conflict_list.buttons, timeout=10_000)
    assert dialog.conflicts_box.title() == "Conflicts to review"
    with use_case(ctx.vault) as s:
        assert journal.list_interactions(session=s)[0].notes == \
            "Pilot agreed, pricing open (laptop)."
    assert sync.conflicts(ctx.vault) == []
    # the open editor shows the kept version (a save from it builds on that, not the other)
    qtbot.waitUntil(lambda: win.editor.notes.text() == "Pilot agreed, pricing open (laptop).",
                    timeout=5000)
    # the choice goes to the other device after the debounce
    qtbot.waitUntil(lambda: win.sync.rounds > rounds, timeout=DEBOUNCE_MS + 7000)
    assert sync.status(ctx.vault).pending == 0
    sync.sync_now(other)
    with use_case(other) as s:
        assert journal.list_interactions(session=s)[0].notes == \
            "Pilot agreed, pricing open (laptop)."
    assert sync.conflicts(other) == []
    settle(qtbot, ctx)
    assert "conflict" not in win.sync_status.full_text
    win.close()


def test_an_empty_journal_joins_a_synced_folder_from_the_dialog(
        qtbot, ctx, folder, other, monkeypatch):
    add_entry(other, partner="Helix Systems", title="Quarterly review")
    sync.turn_on(other, folder, passphrase=PASS)
    win = open_window(qtbot, ctx)
    assert win.partner_model.rowCount() == 0
    dialog = open_dialog(win, qtbot)
    choose(monkeypatch, dialog, qtbot, folder)
    assert dialog.join_button.isVisible() and not dialog.turn_on_button.isVisible()
    assert "join it" in dialog.found_note.text()
    qtbot.keyClicks(dialog.secret, PASS)
    qtbot.keyClick(dialog.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.partner_model.rowCount() == 1, timeout=10_000)
    assert win.partner_model.partners[0].name == "Helix Systems"
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=5000)
    assert dialog.message.text().startswith("Joined:")
    assert dialog.devices.rowCount() == 1        # the first device, listed
    assert not dialog.devices.item(0, 0).text().startswith("None yet")
    win.close()


def test_a_journal_with_entries_is_not_turned_on_over_another_synced_journal(
        qtbot, ctx, folder, other, monkeypatch):
    add_entry(other)
    sync.turn_on(other, folder, passphrase=PASS)
    add_entry(ctx.vault, partner="Kestrel Analytics")
    win = open_window(qtbot, ctx)
    dialog = open_dialog(win, qtbot)
    choose(monkeypatch, dialog, qtbot, folder)
    assert not dialog.join_button.isVisible() and not dialog.turn_on_button.isEnabled()
    assert "already holds a synced journal" in dialog.found_note.text()
    assert dialog.found_note.property("error") is True
    assert len(list(folder.glob("Confidant/*/keys.cfk"))) == 1
    win.close()


def test_an_unusable_folder_is_one_readable_line(qtbot, ctx, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("ui.errors.ErrorDialog.exec", lambda self: shown.append(self.details))
    add_entry(ctx.vault)
    win = open_window(qtbot, ctx)
    dialog = open_dialog(win, qtbot)
    missing = tmp_path / "not there"
    choose(monkeypatch, dialog, qtbot, missing)
    qtbot.keyClicks(dialog.secret, PASS)
    qtbot.mouseClick(dialog.turn_on_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.property("error") is True, timeout=10_000)
    text = dialog.message.text()
    assert text == f"The sync folder {missing} does not exist or is not a folder."
    assert "\n" not in text and "Traceback" not in text and shown == []
    assert not sync.status(ctx.vault).on and dialog.pages.currentIndex() == 0
    win.close()


def test_a_folder_gone_after_turning_on_is_one_line_in_the_status_bar(
        qtbot, ctx, folder, monkeypatch):
    shown = []
    monkeypatch.setattr("ui.errors.ErrorDialog.exec", lambda self: shown.append(self.details))
    add_entry(ctx.vault)
    sync.turn_on(ctx.vault, folder, passphrase=PASS)
    win = open_window(qtbot, ctx)
    qtbot.waitUntil(lambda: win.sync.rounds >= 1, timeout=10_000)
    settle(qtbot, ctx)
    for path in sorted(folder.rglob("*"), reverse=True):   # the sync tool took the folder
        path.unlink() if path.is_file() else path.rmdir()
    folder.rmdir()
    folder.write_text("not a folder any more")
    edit_entry(ctx.vault, title="Kickoff (moved)")
    assert win.sync.sync_now()
    qtbot.waitUntil(lambda: win.sync.last_error != "", timeout=10_000)
    settle(qtbot, ctx)
    line = win.sync_status.full_text
    assert line.startswith("Sync: ") and "Sync folder" in line    # what, and where
    assert "\n" not in line and "Traceback" not in line and shown == []
    assert win.sync.periodic.isActive()      # it tries again later
    win.close()


def test_stop_syncing_asks_first(qtbot, ctx, folder, monkeypatch):
    add_entry(ctx.vault)
    sync.turn_on(ctx.vault, folder, passphrase=PASS)
    win = open_window(qtbot, ctx)
    dialog = open_dialog(win, qtbot)
    assert dialog.pages.currentIndex() == 1
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: (asked.append(a[2]), answers.pop(0))[1])
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert sync.status(ctx.vault).on and len(asked) == 1
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 0, timeout=10_000)
    assert "Stop syncing this journal" in asked[0]
    assert not sync.status(ctx.vault).on
    assert not win.sync_status.isVisible()
    assert not win.sync.periodic.isActive() and not win.sync.debounce.isActive()
    assert (folder / "Confidant").is_dir()     # the others' files stay
    win.close()


def test_one_round_at_a_time_and_none_while_locked(qtbot, ctx, folder, monkeypatch):
    import threading
    import time

    add_entry(ctx.vault)
    sync.turn_on(ctx.vault, folder, passphrase=PASS)
    real, lock = sync.sync_now, threading.Lock()
    seen = {"active": 0, "most": 0, "calls": 0}

    def observed(vault):
        with lock:
            seen["active"] += 1
            seen["calls"] += 1
            seen["most"] = max(seen["most"], seen["active"])
        try:
            time.sleep(0.3)
            return real(vault)
        finally:
            with lock:
                seen["active"] -= 1

    monkeypatch.setattr(sync, "sync_now", observed)
    win = open_window(qtbot, ctx)
    win.sync.debounce.stop()           # no catch-up round in the way
    assert win.sync.sync_now() and win.sync.running
    assert win.sync.sync_now() and win.sync.sync_now() and win.sync.again
    qtbot.waitUntil(lambda: win.sync.rounds == 2 and not win.sync.running, timeout=10_000)
    settle(qtbot, ctx)
    assert seen == {"active": 0, "most": 1, "calls": 2}

    win.lock_action.trigger()
    assert ctx.vault.is_locked and not win.sync_status.isVisible()
    assert not win.sync.periodic.isActive() and not win.sync.sync_now()
    win.sync.periodic.timeout.emit()       # a timer that fires anyway does nothing
    qtbot.wait(100)
    assert seen["calls"] == 2

    form = win.lock_screen.form
    qtbot.keyClicks(form.secret, PASS)
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.sync_status.isVisible(), timeout=10_000)
    assert win.sync.periodic.isActive()
    qtbot.waitUntil(lambda: seen["calls"] == 3, timeout=DEBOUNCE_MS + 7000)   # catching up
    win.close()


def test_an_open_entry_follows_another_device_and_typing_keeps_both(qtbot, ctx, folder, other):
    """Untouched, the open entry shows the other device's change after a round; being typed
    in, it keeps the typing, says so, and its save keeps both texts (a conflict to review)."""
    entry_id = add_entry(ctx.vault, notes="v0")
    sync.turn_on(ctx.vault, folder, passphrase=PASS)
    sync.join(other, folder, passphrase=PASS)
    win = open_window(qtbot, ctx)
    win.editor.open_entry(entry_id)
    qtbot.waitUntil(lambda: win.editor.notes.text() == "v0", timeout=5000)
    edit_entry(other, notes="B: budget approved")
    sync.sync_now(other)
    assert win.sync.sync_now()
    qtbot.waitUntil(lambda: win.editor.notes.text() == "B: budget approved", timeout=10_000)
    assert not win.editor.dirty

    win.editor.notes.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(win.editor.notes.editor, " A: but legal objects")
    assert win.editor.dirty
    edit_entry(other, notes="B: signed", title="Kickoff (signed)")
    sync.sync_now(other)
    assert win.sync.sync_now()
    qtbot.waitUntil(lambda: "saving keeps both" in win.editor.message.text(), timeout=10_000)
    assert win.editor.notes.text() == "B: budget approved A: but legal objects"
    win.editor.save()
    qtbot.waitUntil(lambda: not win.editor.dirty, timeout=10_000)
    settle(qtbot, ctx)
    with use_case(ctx.vault) as s:
        saved = journal.get_interaction(session=s, interaction_id=entry_id)
    assert saved.title == "Kickoff (signed)"   # not typed over: the other device's stays
    conflict, = sync.conflicts(ctx.vault)
    assert {conflict.current, *conflict.others.values()} == {
        "B: budget approved A: but legal objects", "B: signed"}
    win.close()
