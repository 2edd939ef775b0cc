"""A partner's lifecycle stage and its governance rhythm: QBRs, joint business plans, steering
committees, each every N days, with the next one due.

The next due date of a cadence is the date set (or the calendar series' next occurrence), moved
on by a meeting of that kind held since: a non-internal entry tagged (or titled) with the kind's
words, then + every_days. Overdue the day after it was due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.enums import GovernanceKind, InteractionKind, Stage
from models.tables import (
    GovernanceCadence,
    GovernanceCadenceCreate,
    Interaction,
    InteractionTag,
    Partner,
)
from services.errors import InvalidInput
from services.journal import get_partner, update_partner
from services.store import flush, validated

# the tags that mark an entry as a meeting of each kind (the sample journal's and the import's)
KIND_TAGS = {GovernanceKind.qbr: ("qbr", "business review"),
             GovernanceKind.jbp: ("jbp", "joint business plan"),
             GovernanceKind.steering: ("steerco", "steering", "steering committee"),
             GovernanceKind.other: ("governance",)}


def kind_of_title(title: str) -> GovernanceKind | None:
    """The kind a meeting's title names ('Q3 QBR', 'Steering committee'), or None."""
    text = title.casefold()
    for kind in (GovernanceKind.qbr, GovernanceKind.jbp, GovernanceKind.steering):
        if any(word in text for word in KIND_TAGS[kind]):
            return kind
    return None


def set_stage(*, session: Session, partner_id: int, stage: Stage | str) -> Partner:
    try:
        value = Stage(stage)
    except ValueError:
        raise InvalidInput(f"Unknown stage '{stage}'; use one of "
                           + ", ".join(s.value for s in Stage) + ".") from None
    return update_partner(session=session, partner_id=partner_id, partner_in={"stage": value})


def add_cadence(*, session: Session, cadence_in: GovernanceCadenceCreate | dict
                ) -> GovernanceCadence:
    """A cadence per (partner, kind, label): adding one that exists changes its rhythm and date."""
    data = validated(GovernanceCadenceCreate, cadence_in)
    get_partner(session=session, partner_id=data.partner_id)
    cadence = session.exec(select(GovernanceCadence).where(
        GovernanceCadence.partner_id == data.partner_id, GovernanceCadence.kind == data.kind,
        GovernanceCadence.label == data.label)).first()
    if cadence is None:
        cadence = GovernanceCadence.model_validate(data)
    else:
        cadence.every_days, cadence.next_due = data.every_days, data.next_due
    session.add(cadence)
    flush(session)
    return cadence


def list_cadences(*, session: Session, partner_id: int | None = None) -> list[GovernanceCadence]:
    query = select(GovernanceCadence).order_by(GovernanceCadence.partner_id,
                                               GovernanceCadence.id)
    if partner_id is not None:
        query = query.where(GovernanceCadence.partner_id == partner_id)
    return list(session.exec(query))


@dataclass(frozen=True)
class Due:
    cadence_id: int
    partner_id: int
    kind: str
    label: str              # 'QBR', or the cadence's own label
    every_days: int
    due: date
    last_held: date | None
    last_held_id: int | None
    overdue_days: int       # 0 when not overdue

    @property
    def text(self) -> str:
        if self.overdue_days:
            return f"{self.label} overdue by {self.overdue_days} days (due {self.due})"
        return f"{self.label} due {self.due}"


def next_due(cadence: GovernanceCadence, last_held: date | None) -> date:
    """The date set, moved on by a meeting held since: last held + every_days, if later."""
    due = cadence.next_due
    if last_held is not None and last_held + timedelta(days=cadence.every_days) > due:
        due = last_held + timedelta(days=cadence.every_days)
    return due


def _held(session: Session, partner_ids: set[int]) -> dict[tuple[int, str], tuple[date, int]]:
    """(partner, tag) -> (latest day, entry id) of non-internal entries tagged with a kind's tag
    word: one query for the whole journal (tags are few; the tag index does the work)."""
    words = sorted({w for tags in KIND_TAGS.values() for w in tags})
    # grouped in SQL; SQLite takes the bare column (the entry's id) from the max() row
    rows = session.exec(
        select(Interaction.partner_id, InteractionTag.tag, func.max(Interaction.occurred_at),
               Interaction.id)
        .join(InteractionTag, InteractionTag.interaction_id == Interaction.id)
        .where(col(InteractionTag.tag).in_(words), Interaction.kind != InteractionKind.internal,
               col(Interaction.partner_id).in_(partner_ids))
        .group_by(Interaction.partner_id, InteractionTag.tag))
    found: dict[tuple[int, str], tuple[date, int]] = {}
    for pid, tag, stamp, ident in rows:
        stamp = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(str(stamp))
        found[(pid, tag)] = (stamp.date(), ident)
    return found


def due_dates(*, session: Session, today: date | None = None,
              partner_id: int | None = None) -> dict[int, list[Due]]:
    """Every cadence's next due date, soonest first, by partner: two queries in all."""
    today = today or date.today()
    cadences = list_cadences(session=session, partner_id=partner_id)
    if not cadences:
        return {}
    held = _held(session, {c.partner_id for c in cadences})
    found: dict[int, list[Due]] = {}
    for c in cadences:
        last = max((held[(c.partner_id, tag)] for tag in KIND_TAGS[c.kind]
                    if (c.partner_id, tag) in held), default=None)
        due = next_due(c, last[0] if last else None)
        found.setdefault(c.partner_id, []).append(Due(
            c.id, c.partner_id, c.kind.value, c.label or c.kind.label, c.every_days, due,
            last[0] if last else None, last[1] if last else None,
            max(0, (today - due).days)))
    for items in found.values():
        items.sort(key=lambda d: d.due)
    return found
