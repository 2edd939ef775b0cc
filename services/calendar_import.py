"""Import meetings from a calendar export (.ics from Outlook, Google, Apple) with `icalendar`.

- A past meeting becomes an entry tagged `imported` (and with its governance kind's tag when its
  title names one: 'QBR', 'steering committee'...), dated in local time, its attendees matched to
  the partner's known stakeholders by e-mail or name (those who declined, rooms and the
  organiser's own address left out). Unknown attendees are reported, never added. Future single meetings are counted and skipped (the journal records what happened).
- A recurring meeting (RRULE) becomes a governance cadence: every N days, next due on its next
  occurrence; its occurrences are not turned into entries.
- Each event is remembered by its UID (CalendarLink): importing the file again makes no twin; an
  event whose SEQUENCE grew updates its entry's date, title and participants.
- A file that cannot be read or an event without a start raises InvalidInput (one line) before
  anything is written; the caller's use case then saves nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path

from sqlmodel import Session

from models.enums import GovernanceKind, InteractionKind
from models.tables import CalendarLink, Stakeholder
from services import governance, journal
from services.errors import InvalidInput
from services.store import flush

TAG = "imported"
MAX_BYTES = 20 * 1024 * 1024
FREQ_DAYS = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 30, "YEARLY": 365}


@dataclass
class Meeting:
    """One VEVENT, read and checked before anything is written."""

    uid: str
    sequence: int
    title: str
    start: datetime                 # local wall-clock time
    notes: str
    emails: list[tuple[str, str]]   # (name or '', e-mail or '')
    every_days: int | None = None   # a recurring series
    next_on: date | None = None     # the series' next occurrence (None: it has ended)


@dataclass
class ImportReport:
    created: list[int] = field(default_factory=list)       # entry ids
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0
    future: int = 0
    cadences: list[str] = field(default_factory=list)      # 'QBR every 91 days, next 2026-...'
    unknown: dict[str, list[str]] = field(default_factory=dict)   # attendee -> event titles

    def lines(self) -> list[str]:
        out = [f"{len(self.created)} entr{'y' if len(self.created) == 1 else 'ies'} imported, "
               f"{len(self.updated)} updated, {self.unchanged} already imported, "
               f"{self.future} future meeting(s) skipped."]
        out += [f"Governance cadence: {c}." for c in self.cadences]
        if self.unknown:
            out.append("Unknown attendees (not added; add them with 'stakeholder add' and "
                       "import again): " + "; ".join(
                           f"{who} ({', '.join(titles[:2])})"
                           for who, titles in self.unknown.items()) + ".")
        return out

    def as_json(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "future_skipped": self.future, "cadences": self.cadences,
                "unknown_attendees": self.unknown}


# --- reading ---------------------------------------------------------------------------------
def _local(value, zone: tzinfo | None) -> datetime:
    """A DTSTART as local wall-clock time: a zoned time converted, a floating one kept, a date
    (an all-day event) at midnight."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(microsecond=0)
        return value.astimezone(zone).replace(tzinfo=None, microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0))
    raise ValueError(f"a start that is not a date ({value!r})")


def _text(value) -> str:
    return str(value or "").replace("\x00", "").strip()


def _address(value) -> str:
    email = re.sub(r"^mailto:", "", str(value or ""), flags=re.IGNORECASE).strip()
    return email if "@" in email else ""


def _attendees(event) -> list[tuple[str, str]]:
    """(name, e-mail) of the people who came: not those who declined, not rooms or other
    resources, not the organiser's own address (an export's owner is on every event)."""
    found = event.get("ATTENDEE") or []
    if not isinstance(found, list):
        found = [found]
    organiser = _address(event.get("ORGANIZER")).casefold()
    out = []
    for a in found:
        params = getattr(a, "params", {})
        if str(params.get("PARTSTAT", "")).upper() == "DECLINED" or \
                str(params.get("CUTYPE", "")).upper() in ("ROOM", "RESOURCE"):
            continue
        email = _address(a)
        if email and email.casefold() == organiser:
            continue
        out.append((_text(params.get("CN", "")).strip('"'), email))
    return out


def _series(event, start: datetime, today: date) -> tuple[int, date | None]:
    """(every N days, next occurrence on or after today) of a recurring event."""
    from dateutil.rrule import rrulestr  # icalendar's own dependency

    rule = event.get("RRULE")
    freq = (rule.get("FREQ") or ["WEEKLY"])[0]
    interval = int((rule.get("INTERVAL") or [1])[0])
    every = FREQ_DAYS.get(str(freq).upper(), 7) * interval
    series = rrulestr(rule.to_ical().decode(), dtstart=start, ignoretz=True)
    nxt = series.after(datetime.combine(today, time(0, 0)), inc=True)
    return every, nxt.date() if nxt else None


def read_meetings(data: bytes, *, name: str, today: date,
                  zone: tzinfo | None = None) -> list[Meeting]:
    """Every event of the file, or InvalidInput naming what is wrong (nothing is written)."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(data)
    except Exception as err:  # the parser raises ValueError, and others on odd input
        raise InvalidInput(f"{name} is not a readable iCalendar file ({_reason(err)}).") \
            from err
    if getattr(calendar, "name", "") != "VCALENDAR":
        raise InvalidInput(f"{name} is not an iCalendar file (no VCALENDAR).")
    meetings: dict[str, Meeting] = {}
    for n, event in enumerate(calendar.walk("VEVENT"), 1):
        title = _text(event.get("SUMMARY")) or "(untitled meeting)"
        try:
            if event.get("RECURRENCE-ID") is not None:  # one moved occurrence of a series
                continue
            if _text(event.get("STATUS")).upper() == "CANCELLED":
                continue
            uid = _text(event.get("UID"))
            if not uid:
                raise ValueError("it has no UID")
            if event.get("DTSTART") is None:
                raise ValueError("it has no start (DTSTART)")
            start = _local(event.decoded("DTSTART"), zone)
            meeting = Meeting(uid[:500], int(event.get("SEQUENCE", 0) or 0), title[:300], start,
                              _text(event.get("DESCRIPTION")), _attendees(event))
            if event.get("RRULE") is not None:
                meeting.every_days, meeting.next_on = _series(event, start, today)
        except Exception as err:
            raise InvalidInput(f"{name}: event {n} ('{title[:60]}') cannot be read: "
                               f"{_reason(err)}. Nothing was imported.") from err
        meetings[meeting.uid] = meeting
    return list(meetings.values())


def _reason(err: Exception) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:160]


# --- matching --------------------------------------------------------------------------------
def _local_part_name(email: str) -> str:
    """'dana.whitfield@x' -> 'dana whitfield'."""
    return re.sub(r"[._\-+]+", " ", email.split("@", 1)[0]).strip().casefold()


def match(people: list[Stakeholder], name: str, email: str) -> Stakeholder | None:
    """By e-mail first, then by the name shown (CN), then by the e-mail's local part."""
    if email:
        for p in people:
            if p.email and p.email.casefold() == email.casefold():
                return p
    for wanted in (name.casefold(), _local_part_name(email) if email else ""):
        if wanted:
            for p in people:
                if p.name.casefold() == wanted:
                    return p
    return None


# --- writing ---------------------------------------------------------------------------------
def import_ics(*, session: Session, path: Path, partner_id: int, today: date | None = None,
               now: datetime | None = None, zone: tzinfo | None = None) -> ImportReport:
    """One use case: every meeting is read and checked first, then written; any failure
    raises and the boundary rolls everything back."""
    today = today or date.today()
    now = now or datetime.combine(today, time(23, 59, 59))
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InvalidInput(f"{path.name} is over {MAX_BYTES // 2**20} MB: not a calendar "
                               "export.")
        data = path.read_bytes()
    except OSError as err:
        raise InvalidInput(f"Cannot read {path}: {err.strerror or err}.") from err
    meetings = read_meetings(data, name=path.name, today=today, zone=zone)
    partner = journal.get_partner(session=session, partner_id=partner_id)
    people = journal.list_stakeholders(session=session, partner_id=partner.id)
    report = ImportReport()
    for m in meetings:
        link = session.get(CalendarLink, m.uid)
        if link is not None and (link.partner_id != partner.id or m.sequence <= link.sequence):
            report.unchanged += 1
            continue
        if m.every_days:
            _cadence(session, partner.id, m, link, report)
            continue
        if m.start > now:
            report.future += 1
            continue
        ids = []
        for name, email in m.emails:
            person = match(people, name, email)
            if person is not None:
                ids.append(person.id)
            elif name or email:
                who = f"{name} <{email}>" if name and email else (name or email)
                report.unknown.setdefault(who, []).append(m.title)
        _entry(session, partner.id, m, link, ids, report)
    flush(session)
    return report


def _entry(session, partner_id, m: Meeting, link, people: list[int], report) -> None:
    kind = governance.kind_of_title(m.title)
    tags = [TAG] + ([governance.KIND_TAGS[kind][0]] if kind else [])
    data = {"occurred_at": m.start, "title": m.title, "participant_ids": people}
    if link is not None and link.interaction_id is not None:  # the event was edited
        entry = journal.update_interaction(session=session, interaction_id=link.interaction_id,
                                           interaction_in=data)
        link.sequence = m.sequence
        session.add(link)
        report.updated.append(entry.id)
        return
    if link is not None:  # imported, then deleted by the user: stays deleted
        link.sequence = m.sequence
        session.add(link)
        report.unchanged += 1
        return
    entry = journal.create_interaction(session=session, interaction_in=data | {
        "partner_id": partner_id, "kind": InteractionKind.meeting, "notes": m.notes,
        "tags": tags})
    session.add(CalendarLink(uid=m.uid, partner_id=partner_id, sequence=m.sequence,
                             interaction_id=entry.id))
    report.created.append(entry.id)


def _cadence(session, partner_id, m: Meeting, link, report) -> None:
    if m.next_on is None:  # the series has ended: nothing due
        report.unchanged += 1
        return
    kind = governance.kind_of_title(m.title) or GovernanceKind.other
    cadence = governance.add_cadence(session=session, cadence_in={
        "partner_id": partner_id, "kind": kind, "every_days": m.every_days,
        "next_due": m.next_on, "label": "" if kind != GovernanceKind.other else m.title[:200]})
    if link is None:
        session.add(CalendarLink(uid=m.uid, partner_id=partner_id, sequence=m.sequence,
                                 cadence_id=cadence.id))
    else:
        link.sequence, link.cadence_id = m.sequence, cadence.id
        session.add(link)
    report.cadences.append(f"{cadence.label or kind.label} every {m.every_days} days, next "
                           f"{m.next_on}")

