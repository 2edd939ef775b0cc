"""Trust readings: Maister's trust equation, (C + R + I) / S, per partner or stakeholder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.tables import Interaction, TrustReading, TrustReadingCreate, in_journal_years
from services.errors import Conflict
from services.journal import check_same_partner, get_partner, get_stakeholder
from services.store import flush, get_or_404, validated


def add_reading(*, session: Session, reading_in: TrustReadingCreate | dict) -> TrustReading:
    data = validated(TrustReadingCreate, reading_in)
    get_partner(session=session, partner_id=data.partner_id)
    if data.stakeholder_id is not None:
        person = get_stakeholder(session=session, stakeholder_id=data.stakeholder_id)
        if person.partner_id != data.partner_id:
            raise Conflict(f"{person.name} is not a stakeholder of this partner.")
    check_same_partner(session=session, partner_id=data.partner_id,
                       interaction_id=data.interaction_id)
    reading = TrustReading.model_validate(data)
    session.add(reading)
    flush(session)
    return reading


def update_reading(*, session: Session, reading_id: int,
                   reading_in: dict) -> TrustReading:
    """Adjust a reading's four parts (1-10 each). What is changed is checked; a date stored
    before dates were bounded does not block adjusting the rest (the entry editor does)."""
    reading = get_or_404(session, TrustReading, reading_id, "trust reading")
    merged = validated(TrustReadingCreate, reading.model_dump(exclude={"taken_at"}) | reading_in)
    reading.sqlmodel_update(merged.model_dump(include=set(reading_in)))
    session.add(reading)
    flush(session)
    return reading


def list_readings(*, session: Session, partner_id: int, stakeholder_id: int | None = None,
                  partner_level_only: bool = False) -> list[TrustReading]:
    """Oldest first. With partner_level_only, readings about the partner as a whole."""
    query = select(TrustReading).where(TrustReading.partner_id == partner_id)
    if stakeholder_id is not None:
        query = query.where(TrustReading.stakeholder_id == stakeholder_id)
    elif partner_level_only:
        query = query.where(TrustReading.stakeholder_id.is_(None))
    return list(session.exec(query.order_by(TrustReading.taken_at, TrustReading.id)))


@dataclass(frozen=True)
class TrustPoint:
    """One reading on the trend: the index, its components, and the entry it came from."""

    reading_id: int
    taken_at: datetime
    index: float
    credibility: int
    reliability: int
    intimacy: int
    self_orientation: int
    interaction_id: int | None
    interaction_title: str | None


def trust_series(*, session: Session, partner_id: int,
                 stakeholder_id: int | None = None) -> list[TrustPoint]:
    """Oldest first: the partner as a whole, or one stakeholder. A reading dated outside the
    journal's years (stored before dates were bounded, e.g. year 1) is left off the trend: it
    has no place on the time axis, and clamped to 1900 it would squeeze every real reading
    against the chart's right edge. It stays in the journal, to be corrected."""
    readings = [r for r in list_readings(session=session, partner_id=partner_id,
                                         stakeholder_id=stakeholder_id,
                                         partner_level_only=stakeholder_id is None)
                if in_journal_years(r.taken_at)]
    ids = {r.interaction_id for r in readings if r.interaction_id}
    titles = dict(session.exec(select(Interaction.id, Interaction.title)
                               .where(col(Interaction.id).in_(ids))).all()) if ids else {}
    return [TrustPoint(r.id, r.taken_at, r.trust_index, r.credibility, r.reliability,
                       r.intimacy, r.self_orientation, r.interaction_id,
                       titles.get(r.interaction_id)) for r in readings]


def index_drop(readings: list[TrustReading], at_least: float) -> tuple | None:
    """(before, after) when the latest reading's index fell by at least `at_least`."""
    if len(readings) < 2:
        return None
    before, after = readings[-2], readings[-1]
    return (before, after) if before.trust_index - after.trust_index >= at_least else None
