"""The portfolio at a glance: reliability of both sides, drift alerts, and one summary row per
partner. Aggregates come from a handful of queries for the whole journal, never a loop of
per-partner loads, so 50 partners and 100,000 interactions stay well under 200 ms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.tables import (
    Commitment,
    CommitmentStatus,
    Interaction,
    InteractionKind,
    InteractionParticipant,
    OwedBy,
    Partner,
    Stakeholder,
    StanceChange,
    TrustReading,
)
from services.journal.trust import index_drop
from services.practice import checkups, governance, keep_in_touch

STANCE_RANK = {"champion": 0, "supporter": 1, "neutral": 2, "skeptic": 3, "blocker": 4}
STANCE_WINDOW_DAYS = 90
HIGH_INFLUENCE = 4


@dataclass
class Reliability:
    kept: int = 0
    broken: int = 0
    open: int = 0
    overdue: int = 0
    days_late: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        """kept / (kept + broken), or None before any promise was settled."""
        settled = self.kept + self.broken
        return self.kept / settled if settled else None

    @property
    def average_days_late(self) -> float | None:
        """Over promises settled after their due date and open ones past it."""
        return sum(self.days_late) / len(self.days_late) if self.days_late else None


@dataclass
class Alert:
    kind: str            # trust_drop | stance_shift | no_contact | our_overdue | health_gap |
    #                      health_drop | governance_overdue | out_of_touch
    partner_id: int
    partner: str
    text: str
    cites: list[int]
    when: date


@dataclass
class PortfolioRow:
    partner_id: int
    name: str
    kind: str
    trust_index: float | None
    trust_change: float | None
    ours: Reliability
    theirs: Reliability
    last_contact: datetime | None
    alerts: list[Alert]
    stage: str | None = None
    next_governance: governance.Due | None = None       # the soonest due (overdue first)
    health: checkups.HealthCheck | None = None          # the latest health check
    losing_touch: list[keep_in_touch.Touch] = field(default_factory=list)  # past their ideal


def reliability(commitments: list[Commitment], today: date) -> dict[OwedBy, Reliability]:
    sides = {OwedBy.us: Reliability(), OwedBy.them: Reliability()}
    for c in commitments:
        r = sides[c.owed_by]
        if c.status == CommitmentStatus.kept:
            r.kept += 1
        elif c.status == CommitmentStatus.broken:
            r.broken += 1
        elif c.status == CommitmentStatus.open:
            r.open += 1
        if c.due is None:
            continue
        if c.status == CommitmentStatus.open and c.due < today:
            r.overdue += 1
            r.days_late.append((today - c.due).days)
        elif c.status in (CommitmentStatus.kept, CommitmentStatus.broken) and c.resolved_at \
                and c.resolved_at.date() > c.due:
            r.days_late.append((c.resolved_at.date() - c.due).days)
    return sides


def _as_datetime(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def portfolio(*, session: Session, today: date | None = None, no_contact_days: int = 30,
              trust_drop: float = 1.0, partner_id: int | None = None) -> list[PortfolioRow]:
    """Every partner (or one) with its trust, both sides' reliability, last contact, alerts."""
    today = today or date.today()
    partners = list(session.exec(select(Partner).order_by(func.lower(Partner.name))))
    if partner_id is not None:
        partners = [p for p in partners if p.id == partner_id]
    wanted = {p.id for p in partners}

    # each partner's two latest partner-level readings (the index, its change, a drop): ranked
    # in SQL, so 3,000 readings do not become 3,000 objects on every refresh
    ranked = (select(TrustReading.id, func.row_number().over(
        partition_by=TrustReading.partner_id,
        order_by=(col(TrustReading.taken_at).desc(), col(TrustReading.id).desc())).label("rn"))
        .where(col(TrustReading.stakeholder_id).is_(None)).subquery())
    readings: dict[int, list[TrustReading]] = {}
    for r in session.exec(select(TrustReading).join(ranked, ranked.c.id == TrustReading.id)
                          .where(ranked.c.rn <= 2)
                          .order_by(TrustReading.taken_at, TrustReading.id)):
        readings.setdefault(r.partner_id, []).append(r)
    promises: dict[int, list[Commitment]] = {}
    for c in session.exec(select(Commitment)):
        promises.setdefault(c.partner_id, []).append(c)
    # the latest contact per partner: one indexed lookup each on (partner_id, occurred_at)
    last_contact: dict[int, tuple[int, str, datetime]] = {}
    for pid in wanted:
        row = session.exec(select(Interaction.id, Interaction.title, Interaction.occurred_at)
                           .where(Interaction.partner_id == pid,
                                  Interaction.kind != InteractionKind.internal)
                           .order_by(col(Interaction.occurred_at).desc()).limit(1)).first()
        if row:
            last_contact[pid] = (row[0], row[1], _as_datetime(row[2]))
    since = datetime.combine(today - timedelta(days=STANCE_WINDOW_DAYS), datetime.min.time())
    shifts = list(session.exec(select(StanceChange, Stakeholder).join(Stakeholder)
                               .where(StanceChange.changed_at >= since,
                                      Stakeholder.influence >= HIGH_INFLUENCE)
                               .order_by(StanceChange.changed_at)))

    practice = _practice(session, partner_id, today)

    rows = []
    for p in partners:
        series = readings.get(p.id, [])
        alerts = _alerts(session, p, series, promises.get(p.id, []), last_contact.get(p.id),
                         [s for s in shifts if s[0].partner_id == p.id], today,
                         no_contact_days, trust_drop)
        extra = practice(p)
        alerts = sorted(alerts + extra.pop("alerts"), key=lambda a: a.when, reverse=True)
        sides = reliability(promises.get(p.id, []), today)
        rows.append(PortfolioRow(
            partner_id=p.id, name=p.name, kind=p.kind,
            trust_index=series[-1].trust_index if series else None,
            trust_change=(series[-1].trust_index - series[-2].trust_index
                          if len(series) >= 2 else None),
            ours=sides[OwedBy.us], theirs=sides[OwedBy.them],
            last_contact=last_contact[p.id][2] if p.id in last_contact else None,
            alerts=alerts, stage=p.stage.value if p.stage else None, **extra))
    return rows


def _practice(session, partner_id, today):
    """Health checks, governance due dates and keeping in touch (issue 14) for every partner:
    a few queries in all; returns a function giving one partner's row fields and alerts."""
    checks = checkups.by_partner(session=session)
    dues = governance.due_dates(session=session, today=today, partner_id=partner_id)
    touches: dict[int, list] = {}
    for t in keep_in_touch.touch_list(session=session, today=today, partner_id=partner_id):
        touches.setdefault(t.partner_id, []).append(t)

    def of(partner) -> dict:
        alerts = []
        history = checks.get(partner.id, [])
        gaps, drops = checkups.latest_findings(history)
        if gaps:
            alerts.append(Alert("health_gap", partner.id, partner.name,
                                "Health check: my view and theirs differ by 2 or more ("
                                + checkups.describe(gaps, "vs") + ")", [], history[-1].taken_on))
        if drops:
            alerts.append(Alert("health_drop", partner.id, partner.name,
                                "Health check fell since " + f"{history[-2].taken_on} ("
                                + checkups.describe(drops, "to") + ")", [], history[-1].taken_on))
        due = dues.get(partner.id, [])
        for d in due:
            if d.overdue_days:
                alerts.append(Alert("governance_overdue", partner.id, partner.name, d.text,
                                    [d.last_held_id] if d.last_held_id else [], d.due))
        people = touches.get(partner.id, [])
        for t in people:
            if t.past_max:
                alerts.append(Alert("out_of_touch", partner.id, partner.name,
                                    f"No contact with {t.name} for {t.days} days (at most "
                                    f"{t.max_days})", [t.last_entry_id],
                                    t.last_seen.date() + timedelta(days=t.max_days + 1)))
        return {"alerts": alerts, "health": history[-1] if history else None,
                "next_governance": due[0] if due else None,
                "losing_touch": keep_in_touch.losing_touch(people)}
    return of


def _alerts(session, partner, series, promises, last, shifts, today, no_contact_days,
            trust_drop) -> list[Alert]:
    alerts = []

    def alert(kind, text, cites, when):
        day = when.date() if isinstance(when, datetime) else when
        alerts.append(Alert(kind, partner.id, partner.name, text,
                            [c for c in cites if c], day))

    pair = index_drop(series, trust_drop)
    if pair:
        before, after = pair
        alert("trust_drop", f"Trust index fell from {before.trust_index:.2f} to "
              f"{after.trust_index:.2f}", [after.interaction_id, before.interaction_id],
              after.taken_at)
    latest = {person.id: (change, person) for change, person in shifts}  # oldest first
    for change, person in latest.values():
        if person.stance != change.new:  # set back since: the alert follows the current state
            continue
        if STANCE_RANK[change.new.value] > STANCE_RANK[change.old.value] and \
                change.new.value in ("skeptic", "blocker"):
            seen = session.exec(select(InteractionParticipant.interaction_id)
                                .join(Interaction)
                                .where(InteractionParticipant.stakeholder_id == person.id)
                                .order_by(col(Interaction.occurred_at).desc()).limit(1)).first()
            alert("stance_shift", f"{person.name} (influence {person.influence}) moved from "
                  f"{change.old.value} to {change.new.value}", [seen], change.changed_at)
    if last is not None:
        days = (today - last[2].date()).days
        if days >= no_contact_days:
            alert("no_contact", f"No contact for {days} days (last: {last[1]})", [last[0]],
                  last[2])
    for c in promises:
        if c.owed_by == OwedBy.us and c.status == CommitmentStatus.open and c.due \
                and c.due < today:
            alert("our_overdue", f"Our promise '{c.text}' is {(today - c.due).days} days "
                  "overdue", [c.interaction_id], c.due)
    return sorted(alerts, key=lambda a: a.when, reverse=True)


def alerts(*, session: Session, today: date | None = None, no_contact_days: int = 30,
           trust_drop: float = 1.0) -> list[Alert]:
    """All open drift alerts across the portfolio, newest first."""
    rows = portfolio(session=session, today=today, no_contact_days=no_contact_days,
                     trust_drop=trust_drop)
    return sorted((a for r in rows for a in r.alerts), key=lambda a: a.when, reverse=True)
