"""Trust readings: Maister's trust equation, (C + R + I) / S, per partner or stakeholder."""

from __future__ import annotations

from sqlmodel import Session, select

from models.tables import TrustReading, TrustReadingCreate
from services.errors import Conflict
from services.journal import get_partner, get_stakeholder
from services.store import commit, validated


def add_reading(*, session: Session, reading_in: TrustReadingCreate | dict) -> TrustReading:
    data = validated(TrustReadingCreate, reading_in)
    get_partner(session=session, partner_id=data.partner_id)
    if data.stakeholder_id is not None:
        person = get_stakeholder(session=session, stakeholder_id=data.stakeholder_id)
        if person.partner_id != data.partner_id:
            raise Conflict(f"{person.name} is not a stakeholder of this partner.")
    reading = TrustReading.model_validate(data)
    session.add(reading)
    commit(session)
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
