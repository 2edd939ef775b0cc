"""Issue 18, item 11: after lock, the views hold none of the journal's text. The scan reads this
process's memory (tests/test_key_memory.py); a marker in a note, a stakeholder and a promise is
counted while open and after lock. Python frees strings without wiping them and Qt's allocator
may keep freed blocks, so the test asks that the views' own copies go (most of them), and the
README says what Python cannot guarantee."""

from __future__ import annotations

import gc
import sys

import pytest

from services import journal
from services.journal import commitments
from services.store import use_case
from tests.test_key_memory import count_in_memory
from tests.ui_support import settle

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc/self/mem")

HALVES = ("Quillfeather", "Obsidian7731")  # the marker, never held whole by the test


def _marker() -> str:
    return HALVES[0] + HALVES[1]


def test_lock_drops_the_journal_from_the_views(qtbot, window, capsys):
    ctx = window.ctx
    with use_case(ctx.vault, write=True) as s:
        partner, _ = journal.ensure_partner(session=s, name="Helix")
        person = journal.create_stakeholder(session=s, stakeholder_in={
            "partner_id": partner.id, "name": "Dana " + _marker(), "role": "VP"})
        entry = journal.create_interaction(session=s, interaction_in={
            "partner_id": partner.id, "title": "Talk " + _marker(),
            "notes": ("She said " + _marker() + ". ") * 20})
        commitments.add_commitment(session=s, commitment_in={
            "partner_id": partner.id, "text": "Send " + _marker(), "owed_by": "us",
            "interaction_id": entry.id})
        ids = partner.id, entry.id
    assert person.id
    window.refresh_partners()
    settle(qtbot, ctx)
    window.select_partner(ids[0])
    settle(qtbot, ctx)
    window.open_entry(ids[0], ids[1])
    qtbot.waitUntil(lambda: window.editor.title.text() != "", timeout=5000)
    settle(qtbot, ctx)
    pattern = {"marker": (HALVES[0].encode(), HALVES[1].encode()),
               "marker-utf16": (HALVES[0].encode("utf-16-le"), HALVES[1].encode("utf-16-le"))}
    gc.collect()
    before = count_in_memory(pattern)
    window.lock_action.trigger()
    settle(qtbot, ctx)
    for _ in range(3):
        qtbot.wait(50)
        gc.collect()
    after = count_in_memory(pattern)
    with capsys.disabled():
        print(f"\nmarker copies in memory: open {before}, after lock {after}")
    assert before["marker-utf16"] >= 3  # the scan sees the views' (Qt's UTF-16) copies
    assert not _texts_holding(window, _marker()), _texts_holding(window, _marker())


def _texts_holding(window, needle: str) -> list[str]:
    """Every widget and item model under the window whose text holds `needle`."""
    from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt
    from PySide6.QtWidgets import (
        QAbstractItemView,
        QComboBox,
        QLabel,
        QLineEdit,
        QPlainTextEdit,
        QTextEdit,
        QWidget,
    )

    found = []
    for widget in window.findChildren(QWidget):
        texts = []
        if isinstance(widget, QLabel | QLineEdit):
            texts.append(widget.text())
        elif isinstance(widget, QPlainTextEdit | QTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            columns = max(1, model.columnCount(QModelIndex()) if not isinstance(
                model, QAbstractListModel) else 1)
            texts += [str(model.index(r, c).data(Qt.ItemDataRole.DisplayRole))
                      for r in range(model.rowCount(QModelIndex())) for c in range(columns)]
        if hasattr(widget, "people"):  # the stakeholder map draws names itself
            texts += [str(getattr(p, "name", p)) for p in widget.people or []]
        where = f"{type(widget).__name__} in {type(widget.parent()).__name__}"
        found += [where for t in texts if needle in t]
    return found
