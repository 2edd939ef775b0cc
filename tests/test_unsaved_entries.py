"""Issue 20, item 1: no path in the app discards typed text without asking. 'New entry' or
another entry while one is unsaved asks Save / Discard / Cancel; switching partner keeps it as a
draft of its own (two unsaved new entries no longer share one draft, which lost the first), and
every draft is offered back at the next start."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from services import journal
from services.journal import drafts
from services.store import use_case
from tests.ui_support import settle

Button = QMessageBox.StandardButton


@pytest.fixture
def two_partners(qtbot, window):
    with use_case(window.ctx.vault, write=True) as s:
        first = journal.create_partner(session=s, partner_in={"name": "Northwind Cloud"})
        second = journal.create_partner(session=s, partner_in={"name": "Helix Systems"})
    window.refresh_partners()
    settle(qtbot, window.ctx)
    return first.id, second.id


def typed_entry(qtbot, window, partner_id: int, title: str) -> None:
    window.select_partner(partner_id)
    settle(qtbot, window.ctx)
    window.new_entry()
    qtbot.waitUntil(window.editor.isEnabled, timeout=5000)
    settle(qtbot, window.ctx)
    qtbot.keyClicks(window.editor.title, title)
    window.editor.notes.editor.insertPlainText("Tom said the pilot can wait.")
    assert window.editor.dirty


def titles(window) -> list[str]:
    with use_case(window.ctx.vault) as s:
        return sorted(i.title for i in journal.list_interactions(session=s))


def answer(monkeypatch, button, asked: list):
    def ask(*args, **kwargs):
        asked.append(args[2] if len(args) > 2 else "")
        return button
    monkeypatch.setattr(QMessageBox, "question", ask)


def test_new_entry_while_typing_can_save_it_first(qtbot, window, two_partners, monkeypatch):
    typed_entry(qtbot, window, two_partners[0], "Pilot scope call")
    asked = []
    answer(monkeypatch, Button.Save, asked)
    window.new_entry()
    settle(qtbot, window.ctx)
    qtbot.waitUntil(lambda: window.editor.title.text() == "", timeout=5000)
    assert "Pilot scope call" in asked[0] and titles(window) == ["Pilot scope call"]
    assert not window.editor.dirty and window.editor.interaction_id is None


def test_discard_drops_it_and_cancel_keeps_it(qtbot, window, two_partners, monkeypatch):
    typed_entry(qtbot, window, two_partners[0], "Pilot scope call")
    asked = []
    answer(monkeypatch, Button.Cancel, asked)
    window.new_entry()
    settle(qtbot, window.ctx)
    assert window.editor.title.text() == "Pilot scope call" and window.editor.dirty
    answer(monkeypatch, Button.Discard, asked)
    window.new_entry()
    settle(qtbot, window.ctx)
    qtbot.waitUntil(lambda: window.editor.title.text() == "", timeout=5000)
    assert len(asked) == 2 and titles(window) == []
    with use_case(window.ctx.vault) as s:
        assert drafts.list_drafts(session=s) == []


def test_two_unsaved_entries_are_two_drafts_and_both_are_offered(qtbot, window, two_partners,
                                                                  monkeypatch):
    """The fault the new user hit: the second new entry's draft replaced the first's."""
    first, second = two_partners
    typed_entry(qtbot, window, first, "Pilot scope call")
    typed_entry(qtbot, window, second, "Helix renewal")  # the switch kept the first as a draft
    assert "kept as a draft" in window.message.text()
    window.select_partner(first)  # and this switch keeps the second
    settle(qtbot, window.ctx)
    with use_case(window.ctx.vault) as s:
        found = drafts.list_drafts(session=s)
    kept = sorted(drafts.load_draft_content(d)["title"] for d in found)
    assert kept == ["Helix renewal", "Pilot scope call"]
    asked = []
    answer(monkeypatch, Button.No, asked)
    window.editor.offer_drafts(found)  # as at the next start: each is offered
    settle(qtbot, window.ctx)
    assert len(asked) == 2 and "1 more after it" in asked[0]
