"""A partner's health at a glance, for the partners list: the trust trend and overdue promises,
read off the dashboard's portfolio rows so both views share one definition."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from models.tables import Partner
from services.journal import list_partners
from services.practice import dashboard

STEADY = 0.05  # a change of the trust index this small reads as no change


@dataclass(frozen=True)
class PartnerCue:
    partner_id: int
    trend: int = 0                 # -1 falling, 0 flat or unknown, +1 rising
    trust_index: float | None = None
    overdue: int = 0


def cue(row: dashboard.PortfolioRow) -> PartnerCue:
    change = row.trust_change
    trend = 0 if change is None or abs(change) <= STEADY else (1 if change > 0 else -1)
    return PartnerCue(row.partner_id, trend, row.trust_index,
                      row.ours.overdue + row.theirs.overdue)


def partners_overview(*, session: Session, no_contact_days: int = 30, trust_drop: float = 1.0
                      ) -> tuple[list[Partner], list[dashboard.PortfolioRow]]:
    """The partners list and the portfolio rows (cues, home page, alerts) in one unit of work."""
    return list_partners(session=session), dashboard.portfolio(
        session=session, no_contact_days=no_contact_days, trust_drop=trust_drop)
