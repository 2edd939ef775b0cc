"""Issue 19, item 1: views learn of changes from notices, not from calls wired by hand.

A write in one view shows in every open view that displays it, without a partner switch; a new
view that subscribes gets the notices with no edit to the main window; a notice says what kinds
of rows changed, for which partners, and who initiated it."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from services import journal
from services.changes import Changes
from services.journal import commitments
from services.store import use_case
from tests.ui_support import click_save, settle


def _partner(ctx, name="Helix Health"):
    with use_case(ctx.vault, write=True) as s:
        p = journal.create_partner(session=s, partner_in={"name": name})
        journal.create_stakeholder(session=s, stakeholder_in={"partner_id": p.id,
                                                             "name": "Claire Dubois"})
    return p


def test_a_reflection_shows_its_promises_in_every_open_view(qtbot, window):
    """The fault a new user hit: promises added by a guided reflection did not show in the
    Commitments tab until another partner was chosen."""
    partner = _partner(window.ctx)
    window.refresh_partners()
    settle(qtbot, window.ctx)
    window.select_partner(partner.id)
    settle(qtbot, window.ctx)
    window.tabs.setCurrentWidget(window.commitments)  # the tab is open while the dialog runs
    assert window.commitments.model.rowCount() == 0
    window.reflect()
    dialog = window.dialog
    qtbot.keyClicks(dialog.title, "ROI review with Claire")
    qtbot.keyClicks(dialog.answers["happened"], "Claire cut the lab scope.")
    qtbot.keyClicks(dialog.ours, "ROI case by Friday")
    qtbot.keyClicks(dialog.theirs, "Name an executive owner")
    click_save(dialog)
    settle(qtbot, window.ctx)
    qtbot.waitUntil(lambda: window.commitments.model.rowCount() == 2, timeout=5000)
    board = [window.health.board.lists[side].topLevelItemCount()
             for side in window.health.board.lists]
    assert sorted(board) == [1, 1]  # the Health tab's board, ours and theirs
    titles = [r.title for r in window.timeline.rows]
    assert titles == ["ROI review with Claire"]
    assert window.partner_id == partner.id  # no partner switch was needed


class ProbeView(QWidget):
    """A view added by a test: it subscribes in its own constructor, as every view does."""

    def __init__(self, ctx):
        super().__init__()
        self.seen: list[Changes] = []
        self.chosen: list = []
        ctx.notices.changed.connect(self.seen.append)
        ctx.notices.partner_chosen.connect(lambda pid, name: self.chosen.append((pid, name)))


def test_a_new_view_gets_the_notices_with_no_edit_to_the_window(qtbot, window):
    partner = _partner(window.ctx, "Kestrel Labs")
    probe = ProbeView(window.ctx)
    qtbot.addWidget(probe)
    window.refresh_partners()
    settle(qtbot, window.ctx)
    window.select_partner(partner.id)
    settle(qtbot, window.ctx)
    assert probe.chosen[-1] == (partner.id, "Kestrel Labs")
    marker = object()
    window.ctx.db(commitments.add_commitment, write=True, initiator=marker, commitment_in={
        "partner_id": partner.id, "owed_by": "us", "text": "Send the deck"})
    settle(qtbot, window.ctx)
    notice = next(c for c in probe.seen if c.touches("commitment"))
    assert notice.partner_ids == {partner.id} and notice.initiator is marker
    assert notice.about(partner.id) and not notice.about(partner.id + 1)
    window.ctx.db(journal.list_partners)  # a read announces nothing
    seen = len(probe.seen)
    settle(qtbot, window.ctx)
    assert len(probe.seen) == seen
    window.lock_action.trigger()
    assert probe.seen[-1].touches("vault") and probe.chosen  # the lock is a notice too


def test_a_bulk_statement_concerns_every_partner(vault):
    """A delete through a statement (not a row the session knows) names its table, and since
    the rows are unknown, every partner may be hit."""
    from services.changes import collected

    with use_case(vault, write=True) as s:
        p = journal.create_partner(session=s, partner_in={"name": "Zephyr"})
        journal.create_interaction(session=s, interaction_in={
            "partner_id": p.id, "title": "Kick-off", "tags": ["launch"]})
    with use_case(vault, write=True) as s:
        journal.delete_partner(session=s, partner_id=p.id, with_interactions=True)
    changed = collected(s)
    assert {"partner", "interaction"} <= changed.kinds
    assert changed.every_partner  # the entries went by a DELETE statement
