"""What the journal says about one partner, loaded once: the raw material of the playbook,
the advisor's context and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from models.tables import (
    Commitment,
    CommitmentStatus,
    Interaction,
    InteractionParticipant,
    InteractionTag,
    OwedBy,
    Partner,
    Stakeholder,
    StanceChange,
    TrustReading,
)
from services import journal
from services.advice import precedents
from services.practice import checkups, governance

RECENT_LIMIT = 300  # interactions kept in a snapshot (newest first)


@dataclass
class PartnerSnapshot:
    partner: Partner
    today: date
    stakeholders: list[Stakeholder]
    interactions: list[Interaction]                      # newest first
    commitments: list[Commitment]
    readings: list[TrustReading]                         # partner-level, oldest first
    person_readings: dict[int, list[TrustReading]] = field(default_factory=dict)
    participants: dict[int, list[int]] = field(default_factory=dict)  # interaction -> people
    tags: dict[int, list[str]] = field(default_factory=dict)          # interaction -> tags
    # alliance practice (issue 14): health checks (oldest first), governance due dates, and
    # past episodes of the whole journal with their outcome (services/advice/precedents.py)
    checkups: list = field(default_factory=list)
    governance: list = field(default_factory=list)
    precedents: list = field(default_factory=list)
    stance_changes: list[StanceChange] = field(default_factory=list)   # oldest first
    meeting_date: date | None = None      # the next meeting, when the user names it
    focus: Interaction | None = None      # the entry the question is about
    likeness: object | None = None        # (ids, ids) -> cosine, when the meaning index is there

    # --- derived -----------------------------------------------------------------------------
    def days_ago(self, when: datetime | date | None) -> int:
        if when is None:
            return 10_000
        day = when.date() if isinstance(when, datetime) else when
        return (self.today - day).days

    @property
    def last_contact(self) -> Interaction | None:
        return next((i for i in self.interactions if i.kind.value != "internal"), None)

    def person(self, stakeholder_id: int) -> Stakeholder | None:
        return next((s for s in self.stakeholders if s.id == stakeholder_id), None)

    def with_person(self, stakeholder_id: int) -> list[Interaction]:
        return [i for i in self.interactions if stakeholder_id in self.participants.get(i.id, [])]

    def commitments_of(self, owed_by: OwedBy, status: CommitmentStatus) -> list[Commitment]:
        return [c for c in self.commitments if c.owed_by == owed_by and c.status == status]

    def broken(self, owed_by: OwedBy, window_days: int) -> list[Commitment]:
        """Promises broken within the window, the latest first."""
        found = [c for c in self.commitments_of(owed_by, CommitmentStatus.broken)
                 if self.days_ago(c.resolved_at or c.due or c.created_at) <= window_days]
        return sorted(found, key=lambda c: c.resolved_at or datetime.combine(
            c.due or self.today, datetime.min.time()), reverse=True)

    def overdue(self, owed_by: OwedBy) -> list[Commitment]:
        return [c for c in self.commitments_of(owed_by, CommitmentStatus.open)
                if c.due is not None and c.due < self.today]


def load_snapshot(*, session: Session, partner_id: int, today: date | None = None,
                  limit: int = RECENT_LIMIT) -> PartnerSnapshot:
    partner = journal.get_partner(session=session, partner_id=partner_id)
    interactions = journal.list_interactions(session=session, partner_id=partner_id, limit=limit)
    ids = [i.id for i in interactions]
    participants: dict[int, list[int]] = {}
    tags: dict[int, list[str]] = {}
    if ids:
        for link in session.exec(select(InteractionParticipant).where(
                col(InteractionParticipant.interaction_id).in_(ids))):
            participants.setdefault(link.interaction_id, []).append(link.stakeholder_id)
        for tag in session.exec(select(InteractionTag).where(
                col(InteractionTag.interaction_id).in_(ids))):
            tags.setdefault(tag.interaction_id, []).append(tag.tag)
    readings = list(session.exec(select(TrustReading).where(TrustReading.partner_id == partner_id)
                                 .order_by(TrustReading.taken_at, TrustReading.id)))
    person_readings: dict[int, list[TrustReading]] = {}
    for r in readings:
        if r.stakeholder_id is not None:
            person_readings.setdefault(r.stakeholder_id, []).append(r)
    today = today or date.today()
    return PartnerSnapshot(
        checkups=checkups.history(session=session, partner_id=partner_id),
        governance=governance.due_dates(session=session, today=today,
                                        partner_id=partner_id).get(partner_id, []),
        precedents=precedents.with_next(session=session,
                                        found=precedents.episodes(session=session)),
        partner=partner, today=today,
        stakeholders=journal.list_stakeholders(session=session, partner_id=partner_id),
        interactions=interactions,
        commitments=list(session.exec(select(Commitment).where(
            Commitment.partner_id == partner_id).order_by(Commitment.id))),
        readings=[r for r in readings if r.stakeholder_id is None],
        person_readings=person_readings, participants=participants, tags=tags,
        stance_changes=list(session.exec(select(StanceChange).where(
            StanceChange.partner_id == partner_id).order_by(StanceChange.changed_at))))


@dataclass
class Signal:
    """What one playbook rule found: the facts its texts are filled from, the entries that show
    it, how recent it is (None: a standing condition), and another rule's texts to use when
    the finding turned out different (a stance to confirm rather than act on)."""

    facts: dict
    cites: list[int]
    when: date | datetime | None = None
    as_rule: str | None = None


def since(snapshot: PartnerSnapshot, days: int) -> list[Interaction]:
    limit = datetime.combine(snapshot.today - timedelta(days=days), datetime.min.time())
    return [i for i in snapshot.interactions if i.occurred_at >= limit]
