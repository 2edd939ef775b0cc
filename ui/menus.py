"""The main window's menu bar: every action, its shortcut, and the window method it calls."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from ui.about_dialog import AboutDialog
from ui.calendar_action import import_calendar
from ui.check_action import check_journal
from ui.sync_dialog import open_sync_dialog


def install_menus(w) -> None:
    """Build the menus of MainWindow `w`; the actions tests and shortcuts use are kept on it."""

    w.journal_actions = []  # off while the journal is locked

    def action(menu, text, slot, shortcut=None, journal=True):
        act = QAction(text, w)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        menu.addAction(act)
        if journal:
            w.journal_actions.append(act)
        return act

    bar = w.menuBar()
    file = bar.addMenu("&File")
    w.new_action = action(file, "&New entry", w.new_entry, QKeySequence.StandardKey.New)
    w.reflect_action = action(file, "&Reflect on a difficult meeting…", w.reflect,
                              "Ctrl+Shift+N")
    w.save_action = action(file, "&Save entry", w.editor.save, QKeySequence.StandardKey.Save)
    w.brief_action = action(file, "&Export brief…", w.export_brief, "Ctrl+E")
    action(file, "&Back up the journal…", w.back_up)
    w.check_action = action(file, "Chec&k the journal", lambda: check_journal(w))
    w.import_action = action(file, "&Import meetings from a calendar (.ics)…",
                             lambda: import_calendar(w))
    file.addSeparator()
    action(file, "Load the sample journal", w.load_sample)
    file.addSeparator()
    w.lock_action = action(file, "&Lock", w.lock, "Ctrl+L", journal=False)
    action(file, "&Quit", w.close, QKeySequence.StandardKey.Quit, journal=False)
    edit = bar.addMenu("&Edit")
    edit.addAction(w.health.undo_action)  # Ctrl+Z on the stakeholder map
    edit.addSeparator()
    w.find_action = action(edit, "&Find…", w.find, QKeySequence.StandardKey.Find)
    w.settings_action = action(edit, "Settings…", w.open_settings, preferences_shortcut())
    action(edit, "Model…", w.open_model_settings)
    w.sync_action = action(edit, "S&ync…", lambda: open_sync_dialog(w))
    advice = bar.addMenu("&Advisor")
    w.ask_action = action(advice, "Ask the advisor", w.ask_advisor, "Ctrl+Return")
    partner = bar.addMenu("&Partner")
    action(partner, "New partner…", w.new_partner)
    action(partner, "Edit partner…", w.edit_partner)
    action(partner, "Delete partner…", w.delete_partner)
    help_menu = bar.addMenu("&Help")
    action(help_menu, "About Confidant", lambda: AboutDialog(w).exec(), journal=False)


def preferences_shortcut() -> QKeySequence:
    """The platform's Preferences key, or Ctrl+, where it has none (Linux desktops)."""
    native = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
    return native[0] if native else QKeySequence("Ctrl+,")
