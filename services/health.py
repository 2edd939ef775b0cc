"""A partner's health at a glance: trust trend and overdue commitments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.tables import Commitment, CommitmentStatus, Interaction, Partner, TrustReading


@dataclass(frozen=True)
class PartnerCue:
    partner_id: int
    trend: int = 0                 # -1 falling, 0 flat or unknown, +1 rising
    trust_index: float | None = None
    overdue: int = 0
    last_contact: date | None = None


def partner_cues(*, session: Session, today: date | None = None) -> dict[int, PartnerCue]:
    today = today or date.today()
    readings: dict[int, list[float]] = {}
    for r in session.exec(select(TrustReading).where(col(TrustReading.stakeholder_id).is_(None))
                          .order_by(TrustReading.taken_at, TrustReading.id)):
        readings.setdefault(r.partner_id, []).append(r.trust_index)
    overdue: dict[int, int] = {}
    for c in session.exec(select(Commitment).where(
            Commitment.status == CommitmentStatus.open, col(Commitment.due).is_not(None),
            col(Commitment.due) < today)):
        overdue[c.partner_id] = overdue.get(c.partner_id, 0) + 1
    last = dict(session.exec(select(Interaction.partner_id, func.max(Interaction.occurred_at))
                             .group_by(Interaction.partner_id)).all())
    cues = {}
    for pid in set(readings) | set(overdue) | set(last):
        series = readings.get(pid, [])
        trend = 0
        if len(series) >= 2 and abs(series[-1] - series[-2]) > 0.05:
            trend = 1 if series[-1] > series[-2] else -1
        stamp = last.get(pid)
        cues[pid] = PartnerCue(pid, trend, series[-1] if series else None, overdue.get(pid, 0),
                               stamp.date() if hasattr(stamp, "date") else None)
    return cues


def partners_overview(*, session: Session) -> tuple[list[Partner], dict[int, PartnerCue]]:
    """The partners list with each one's cue, in one unit of work."""
    from services.journal import list_partners

    return list_partners(session=session), partner_cues(session=session)
