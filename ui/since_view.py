"""Since we last spoke (issue 14), from the Stakeholders tab: what happened with the selected
person's partner after the last entry they attended, right before seeing them again."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from services.practice import since
from ui.record_table import selected_record


def since_text(found: since.SinceLastSpoke) -> str:
    lines = [found.line()]
    lines += [f"• Entry {e['date'][:10]} ({e['kind']}): {e['title']}" for e in found.entries]
    lines += [f"• Promise made ({c['owed_by']}): {c['text']}" for c in found.opened]
    lines += [f"• Promise {c['status']} ({c['owed_by']}): {c['text']}" for c in found.settled]
    lines += [f"• Trust reading {r['date'][:10]} ({r['about']}): {r['index']:.2f}"
              for r in found.readings]
    lines += [f"• {s['name']}: {s['old']} → {s['new']} ({s['date'][:10]})"
              for s in found.stance_changes]
    return "\n".join(lines)


def show_since(panel) -> None:
    """For the StakeholdersPanel `panel`: the selected person's summary in a message."""
    person = selected_record(panel.view)
    if person is None:
        return

    def done(found) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, f"Since we last spoke — {person.name}",
                          since_text(found), parent=panel)
        box.setObjectName("sinceLastSpoke")
        box.open()
        panel.since_box = box

    panel.ctx.db(since.since_last_spoke, stakeholder_id=person.id, on_done=done)


def since_tip(map_widget, person) -> str:
    """The stakeholder map's hover: the person's since-we-last-spoke line, once loaded (the
    Health tab gives the map `since_lines` for its partner)."""
    line = getattr(map_widget, "since_lines", {}).get(person.id)
    return f"\nSince we last spoke: {line}" if line else ""
