"""Keeping in touch person by person: each stakeholder has an ideal and a maximum number of days
between contacts (set per person, else by influence). Any entry the person attended resets the
count. Past the ideal: on the "losing touch" list; past the maximum: an alert.

Who is counted: the partner's active people, and anyone (ours included) whose cadence was set by
hand. People never met are listed (no date to count from) but raise no alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlmodel import Session, select

from models.enums import Side
from models.tables import Stakeholder
from services.errors import InvalidInput
from services.journal import get_stakeholder, update_stakeholder

# influence -> (ideal, maximum) days between contacts
DEFAULT_CADENCE = {5: (30, 60), 4: (45, 90), 3: (60, 120), 2: (90, 180), 1: (120, 365)}
RECENT_WINDOW = 100  # a partner's newest entries read at once; older last contacts per person


def cadence_of(person: Stakeholder) -> tuple[int, int]:
    """(ideal, maximum) days: the person's own, else the default for their influence."""
    ideal, most = DEFAULT_CADENCE[person.influence]
    ideal = person.touch_ideal_days or ideal
    most = person.touch_max_days or max(most, ideal)
    return ideal, max(most, ideal)


def set_cadence(*, session: Session, stakeholder_id: int, ideal_days: int | None,
                max_days: int | None) -> Stakeholder:
    person = get_stakeholder(session=session, stakeholder_id=stakeholder_id)
    ideal = ideal_days or person.touch_ideal_days
    most = max_days or person.touch_max_days
    if ideal and most and most < ideal:
        raise InvalidInput(f"The maximum ({most} days) cannot be shorter than the ideal "
                           f"({ideal} days).")
    changes = {k: v for k, v in (("touch_ideal_days", ideal_days),
                                 ("touch_max_days", max_days)) if v is not None}
    return update_stakeholder(session=session, stakeholder_id=stakeholder_id,
                              stakeholder_in=changes)


def counted(person: Stakeholder) -> bool:
    return (person.active and person.side == Side.partner) or bool(
        person.touch_ideal_days or person.touch_max_days)


@dataclass(frozen=True)
class Touch:
    stakeholder_id: int
    partner_id: int
    name: str
    influence: int
    ideal_days: int
    max_days: int
    last_seen: datetime | None
    last_entry_id: int | None
    days: int | None          # since the last entry they attended; None: never met

    @property
    def losing_touch(self) -> bool:
        return self.days is None or self.days > self.ideal_days

    @property
    def past_max(self) -> bool:
        return self.days is not None and self.days > self.max_days


def _as_datetime(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


# SQLite returns the bare column (the entry's id) from the row holding the max()
_RECENT = """
SELECT ip.stakeholder_id, max(r.occurred_at), r.id FROM ({windows}) AS r
JOIN interaction_participant AS ip ON ip.interaction_id = r.id
GROUP BY ip.stakeholder_id"""
_WINDOW = ("SELECT * FROM (SELECT id, occurred_at FROM interaction WHERE partner_id = {pid} "
           "ORDER BY occurred_at DESC LIMIT {n})")
_ONE = text("""
SELECT max(i.occurred_at), i.id FROM interaction_participant AS ip
JOIN interaction AS i ON i.id = ip.interaction_id WHERE ip.stakeholder_id = :sid""")
CHUNK = 200  # partners per statement (SQLite allows 500 terms in a compound SELECT)


def last_seen(session: Session, people: list) -> dict[int, tuple[datetime, int]]:
    """stakeholder id -> (when, entry id) of the latest entry they attended. A person's entries
    all belong to their partner, so each partner's newest RECENT_WINDOW entries (an indexed
    read each, all in one statement, grouped in SQL) settle most people; the rest get one
    lookup each."""
    wanted = {p.id for p in people}
    found: dict[int, tuple[datetime, int]] = {}
    partners = sorted({int(p.partner_id) for p in people})
    for start in range(0, len(partners), CHUNK):
        windows = " UNION ALL ".join(_WINDOW.format(pid=pid, n=int(RECENT_WINDOW))
                                     for pid in partners[start:start + CHUNK])
        for sid, when, ident in session.execute(text(_RECENT.format(windows=windows))):
            if sid in wanted:
                found[sid] = (_as_datetime(when), ident)
    for sid in wanted - set(found):
        when, ident = session.execute(_ONE, {"sid": sid}).one()
        if when is not None:
            found[sid] = (_as_datetime(when), ident)
    return found


def touch_list(*, session: Session, today: date | None = None,
               partner_id: int | None = None) -> list[Touch]:
    """Everyone counted, longest out of touch first (never met last)."""
    today = today or date.today()
    # the columns only (no ORM objects: 500 people on every portfolio refresh)
    query = select(Stakeholder.id, Stakeholder.partner_id, Stakeholder.name,
                   Stakeholder.influence, Stakeholder.active, Stakeholder.side,
                   Stakeholder.touch_ideal_days, Stakeholder.touch_max_days)
    if partner_id is not None:
        query = query.where(Stakeholder.partner_id == partner_id)
    people = [p for p in session.exec(query) if counted(p)]
    seen = last_seen(session, people)
    out = []
    for p in people:
        ideal, most = cadence_of(p)
        when, ident = seen.get(p.id, (None, None))
        out.append(Touch(p.id, p.partner_id, p.name, p.influence, ideal, most, when, ident,
                         (today - when.date()).days if when else None))
    return sorted(out, key=lambda t: (t.days is None, -(t.days or 0) / t.ideal_days, t.name))


def losing_touch(touches: list[Touch]) -> list[Touch]:
    """Past their ideal cadence (or never met), the most overdue (relative to ideal) first."""
    return [t for t in touches if t.losing_touch]
