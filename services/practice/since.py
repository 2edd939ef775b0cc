"""Since we last spoke: for one stakeholder, what happened with their partner after the last
entry they attended (strictly after it): entries without them, commitments opened or settled,
trust readings, stance changes. Read right before seeing them again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from models.enums import CommitmentStatus
from models.tables import (
    Commitment,
    Interaction,
    InteractionParticipant,
    Stakeholder,
    StanceChange,
    TrustReading,
)
from services.journal import get_stakeholder


@dataclass
class SinceLastSpoke:
    stakeholder_id: int
    name: str
    last_seen: datetime | None
    last_entry_id: int | None
    last_title: str | None
    days: int | None
    entries: list[dict] = field(default_factory=list)        # without them, oldest first
    opened: list[dict] = field(default_factory=list)         # commitments made since
    settled: list[dict] = field(default_factory=list)        # kept, broken or dropped since
    readings: list[dict] = field(default_factory=list)       # partner-level or theirs
    stance_changes: list[dict] = field(default_factory=list)

    def line(self) -> str:
        """One line for the brief's 'who is in the room' and a hover."""
        if self.last_seen is None:
            return "Not met yet in the journal."
        parts = []
        if self.entries:
            parts.append(f"{len(self.entries)} entr{'y' if len(self.entries) == 1 else 'ies'} "
                         "without them")
        if self.opened:
            parts.append(f"{len(self.opened)} promise{'s' * (len(self.opened) > 1)} made")
        if self.settled:
            parts.append(", ".join(f"'{c['text']}' {c['status']}" for c in self.settled[:2])
                         + (f" (+{len(self.settled) - 2})" if len(self.settled) > 2 else ""))
        if self.readings:
            first, last = self.readings[0], self.readings[-1]
            parts.append(f"trust {first['index']:.2f}" + (
                f" → {last['index']:.2f}" if len(self.readings) > 1 else ""))
        parts += [f"{s['name']} {s['old']} → {s['new']}" for s in self.stance_changes[:2]]
        head = f"Last seen {self.last_seen:%Y-%m-%d} ({self.days} days)"
        return head + (": " + "; ".join(parts) if parts else ": nothing recorded since") + "."

    def as_json(self) -> dict:
        return {"stakeholder": self.name, "last_seen": self.last_seen.isoformat()
                if self.last_seen else None, "last_entry": self.last_entry_id,
                "last_title": self.last_title, "days": self.days, "entries": self.entries,
                "commitments_opened": self.opened, "commitments_settled": self.settled,
                "trust_readings": self.readings, "stance_changes": self.stance_changes,
                "summary": self.line()}


def since_last_spoke(*, session: Session, stakeholder_id: int,
                     today: date | None = None) -> SinceLastSpoke:
    today = today or date.today()
    person = get_stakeholder(session=session, stakeholder_id=stakeholder_id)
    last = session.exec(select(Interaction).join(InteractionParticipant)
                        .where(InteractionParticipant.stakeholder_id == person.id)
                        .order_by(col(Interaction.occurred_at).desc(),
                                  col(Interaction.id).desc()).limit(1)).first()
    out = SinceLastSpoke(person.id, person.name, last.occurred_at if last else None,
                         last.id if last else None, last.title if last else None,
                         (today - last.occurred_at.date()).days if last else None)
    if last is None:
        return out
    after = last.occurred_at
    pid = person.partner_id
    attended = select(InteractionParticipant.interaction_id).where(
        InteractionParticipant.stakeholder_id == person.id)
    for i in session.exec(select(Interaction).where(
            Interaction.partner_id == pid, Interaction.occurred_at > after,
            col(Interaction.id).not_in(attended)).order_by(Interaction.occurred_at)):
        out.entries.append({"id": i.id, "date": i.occurred_at.isoformat(), "kind": i.kind.value,
                            "title": i.title})
    # a promise was made when its entry happened (entries are often written later)
    for c, made in session.exec(select(Commitment, Interaction.occurred_at)
                                .outerjoin(Interaction,
                                           Interaction.id == Commitment.interaction_id)
                                .where(Commitment.partner_id == pid).order_by(Commitment.id)):
        item = {"id": c.id, "owed_by": c.owed_by.value, "text": c.text, "status": c.status.value,
                "due": c.due.isoformat() if c.due else None, "entry": c.interaction_id}
        if (made or c.created_at) > after:
            out.opened.append(item)
        if c.status != CommitmentStatus.open and c.resolved_at and c.resolved_at > after:
            out.settled.append(item)
    # a reading about the last meeting itself (taken after it) is not news since then
    for r in session.exec(select(TrustReading).where(
            TrustReading.partner_id == pid, TrustReading.taken_at > after,
            or_(col(TrustReading.interaction_id).is_(None),
                TrustReading.interaction_id != last.id),
            (col(TrustReading.stakeholder_id).is_(None))
            | (TrustReading.stakeholder_id == person.id))
            .order_by(TrustReading.taken_at, TrustReading.id)):
        out.readings.append({"id": r.id, "date": r.taken_at.isoformat(),
                             "about": "them" if r.stakeholder_id else "partner",
                             "index": round(r.trust_index, 2), "entry": r.interaction_id})
    for change, who in session.exec(select(StanceChange, Stakeholder).join(Stakeholder)
                                    .where(StanceChange.partner_id == pid,
                                           StanceChange.changed_at > after)
                                    .order_by(StanceChange.changed_at)):
        out.stance_changes.append({"name": who.name, "old": change.old.value,
                                   "new": change.new.value,
                                   "date": change.changed_at.isoformat()})
    return out


def lines_for_partner(*, session: Session, partner_id: int,
                      today: date | None = None) -> dict[int, str]:
    """stakeholder id -> the one-line summary, for every person of a partner (the map's
    hover)."""
    people = session.exec(select(Stakeholder.id).where(Stakeholder.partner_id == partner_id))
    return {sid: since_last_spoke(session=session, stakeholder_id=sid, today=today).line()
            for sid in people}
