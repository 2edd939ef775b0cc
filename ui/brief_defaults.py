"""The brief dialog's default meeting (issue 14): the chosen partner's next governance meeting
fills the meeting date and the purpose ('Prepare for the QBR on D'), unless the user typed a
purpose of their own."""

from __future__ import annotations

from PySide6.QtCore import QDate

from services.practice import brief, governance


def prefill_meeting(dialog) -> None:
    """For ui.brief_dialog.BriefDialog: ask for the partner's due dates, then fill the form."""
    partner_id = dialog.partner.currentData()
    if partner_id is None:
        return

    def apply(dues: dict) -> None:
        typed = dialog.purpose.text().strip()
        if dialog.partner.currentData() != partner_id or (
                typed and typed != getattr(dialog, "prefilled_purpose", None)):
            return
        items = dues.get(partner_id, [])
        if not items:
            if typed:  # the previous partner's meeting: not this one's
                dialog.purpose.clear()
            return
        due = items[0]
        if not due.overdue_days:
            dialog.meeting.setDate(QDate(due.due.year, due.due.month, due.due.day))
        dialog.prefilled_purpose = brief.default_purpose(due)
        dialog.purpose.setText(dialog.prefilled_purpose)

    dialog.ctx.db(governance.due_dates, partner_id=partner_id, on_done=apply)


def install(dialog) -> None:
    """Prefill now and whenever another partner is chosen."""
    dialog.partner.currentIndexChanged.connect(lambda *_: prefill_meeting(dialog))
    prefill_meeting(dialog)
