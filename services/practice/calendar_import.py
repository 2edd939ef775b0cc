"""Import meetings from a calendar export (.ics from Outlook, Google, Apple) with `icalendar`.

- A past meeting becomes an entry tagged `imported` (and with its governance kind's tag when its
  title names one: 'QBR', 'steering committee'...), dated in local time, its attendees matched to
  the partner's known stakeholders by e-mail or name (those who declined, rooms and the
  organiser's own address left out). Unknown attendees are reported, never added. Future single meetings are counted and skipped (the journal records what happened).
- A recurring meeting (RRULE) becomes a governance cadence: every N days, next due on its next
  occurrence; its occurrences are not turned into entries. One that repeats more often than
  daily, or whose next occurrence cannot be found within the budget, is reported and skipped.
- Each event is remembered by its UID (CalendarLink): importing the file again makes no twin; an
  event whose SEQUENCE grew updates its entry's date, title and participants.
- A file that cannot be read or an event without a start raises InvalidInput (one line) before
  anything is written; the caller's use case then saves nothing.
- The file is untrusted: a regular file of at most 10 MB; dates within the journal's years;
  SEQUENCE within 31 bits; VTIMEZONE rules yearly (checked before icalendar's parser makes them
  a zone it caches for the process); recurrences and time zones worked out within a budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path

from sqlmodel import Session

from models.enums import GovernanceKind, InteractionKind
from models.tables import LAST_YEAR, CalendarLink, Stakeholder, journal_date
from services import files, journal
from services.errors import InvalidInput
from services.practice import governance
from services.practice.time_budget import OutOfTime, TimeBudget
from services.store import flush

TAG = "imported"
MAX_BYTES = 10 * 1024 * 1024
FREQ_DAYS = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 30, "YEARLY": 365}
SUB_DAILY = ("HOURLY", "MINUTELY", "SECONDLY")
SECONDS = 1.0                # the file's time-zone work, and its recurrences' (each budget)
MAX_OCCURRENCES = 5000       # occurrences of one series examined to find its next one
MAX_SEQUENCE = 2**31 - 1
ZONE_RULE_PARTS = {"FREQ", "INTERVAL", "BYMONTH", "BYDAY", "BYMONTHDAY", "UNTIL", "COUNT",
                   "WKST"}


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
    unfollowed: str = ""            # why a recurring series is not followed (then skipped)


@dataclass
class ImportReport:
    created: list[int] = field(default_factory=list)       # entry ids
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0
    future: int = 0
    cadences: list[str] = field(default_factory=list)      # 'QBR every 91 days, next 2026-...'
    unknown: dict[str, list[str]] = field(default_factory=dict)   # attendee -> event titles
    skipped: list[str] = field(default_factory=list)   # recurring meetings not followed, why

    def lines(self, add_people: str = "with 'stakeholder add'") -> list[str]:
        """The report as lines; `add_people` says how to add someone where it is read (the
        CLI's command, or the app's Stakeholders tab)."""
        out = [f"{len(self.created)} entr{'y' if len(self.created) == 1 else 'ies'} imported, "
               f"{len(self.updated)} updated, {self.unchanged} already imported, "
               f"{self.future} future meeting(s) skipped."]
        out += [f"Governance cadence: {c}." for c in self.cadences]
        out += [f"Recurring meeting not followed: {s}." for s in self.skipped]
        if self.unknown:
            out.append(f"Unknown attendees (not added; add them {add_people} and "
                       "import again): " + "; ".join(
                           f"{who} ({', '.join(titles[:2])})"
                           for who, titles in self.unknown.items()) + ".")
        return out

    def as_json(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "future_skipped": self.future, "cadences": self.cadences,
                "unknown_attendees": self.unknown, "series_skipped": self.skipped}


# --- reading ---------------------------------------------------------------------------------
def _local(value, zone: tzinfo | None) -> datetime:
    """A DTSTART as local wall-clock time: a zoned time converted, a floating one kept, a date
    (an all-day event) at midnight; within the journal's years before and after."""
    if not isinstance(value, date):
        raise ValueError("its start is not a date")
    journal_date(value, "its start")
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0, 0))
    if value.tzinfo is not None:
        value = value.astimezone(zone).replace(tzinfo=None)
    return journal_date(value.replace(microsecond=0), "its start")


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


class Unfollowed(Exception):
    """A recurring series reported and skipped, not refused."""


def _whole(value, what: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"its {what} is not a whole number") from None
    if not low <= number <= high:
        raise ValueError(f"its {what} must be from {low} to {high}")
    return number


def _series(event, start: datetime, today: date, budget: TimeBudget) -> tuple[int, date | None]:
    """(every N days, next occurrence on or after today) of a recurring event; Unfollowed when
    it is no meeting rhythm or cannot be followed within the budget."""
    from dateutil.rrule import rrulestr  # icalendar's own dependency

    rule = event.get("RRULE")
    rule = rule[0] if isinstance(rule, list) else rule  # RFC 5545: at most one
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    if freq in SUB_DAILY:
        raise Unfollowed(f"it repeats more often than daily (FREQ={freq})")
    if freq not in FREQ_DAYS:
        raise ValueError("its recurrence has no FREQ of DAILY, WEEKLY, MONTHLY or YEARLY")
    interval = _whole((rule.get("INTERVAL") or [1])[0], "INTERVAL", 1, 3650 // FREQ_DAYS[freq])
    after = datetime.combine(today, time(0, 0))
    try:
        with budget.spend():
            series = rrulestr(rule.to_ical().decode(), dtstart=start, ignoretz=True)
            for n, when in enumerate(series, 1):
                if when >= after:
                    return interval * FREQ_DAYS[freq], \
                        when.date() if when.year <= LAST_YEAR else None
                if n >= MAX_OCCURRENCES:
                    raise Unfollowed(f"over {MAX_OCCURRENCES} occurrences before today")
    except OutOfTime:
        raise Unfollowed(f"the file's {SECONDS:g} s for following recurrences ran out") \
            from None
    return interval * FREQ_DAYS[freq], None


def _zone_rule(text: str) -> None:
    """A time zone moves its clocks once or twice a year: a VTIMEZONE's rule is yearly, in one
    month, or icalendar's zone would expand it without bound (1.6 GB for a secondly rule)."""
    from icalendar.prop import vRecur

    rule = vRecur.from_ical(text)
    if [str(f).upper() for f in rule.get("FREQ", [])] != ["YEARLY"] or \
            [int(i) for i in rule.get("INTERVAL", [1])] != [1] or \
            not set(map(str.upper, rule)) <= ZONE_RULE_PARTS or \
            len(rule.get("BYMONTH", [])) != 1 and ("BYDAY" in rule or "BYMONTHDAY" in rule) or \
            any(len(rule.get(part, [])) > 7 for part in ("BYMONTH", "BYDAY", "BYMONTHDAY")):
        raise ValueError(f"a time zone (VTIMEZONE) with a rule that is not yearly in one month "
                         f"({text[:80]})")


def _check_zones(data: bytes, name: str) -> None:
    """Every VTIMEZONE rule checked on icalendar's own content lines, before its parser runs."""
    from icalendar.parser import Contentlines

    try:
        lines = Contentlines.from_ical(data)
    except Exception:  # noqa: BLE001 - the parser, next, says what is wrong
        return
    zone, dates = False, 0
    for line in lines:
        if not line[:5].upper().startswith(("BEGIN", "END", "RRULE", "RDATE")):
            continue
        try:
            prop, _params, value = line.parts()
            prop = prop.upper()
            if prop in ("BEGIN", "END") and value.strip().upper() == "VTIMEZONE":
                zone = prop == "BEGIN"
            elif zone and prop == "RRULE":
                _zone_rule(value)
            elif zone and prop == "RDATE" and (dates := dates + value.count(",") + 1) > 1000:
                raise ValueError("a time zone (VTIMEZONE) with over 1000 dates (RDATE)")
        except Exception as err:  # noqa: BLE001 - outside a zone, the parser says what is wrong
            if zone:
                raise InvalidInput(f"{name} cannot be imported: {_reason(err)}. Nothing was "
                                   "imported.") from None


def read_meetings(data: bytes, *, name: str, today: date,
                  zone: tzinfo | None = None) -> list[Meeting]:
    """Every event of the file, or InvalidInput naming what is wrong (nothing is written)."""
    from icalendar import Calendar

    _check_zones(data, name)
    try:
        calendar = Calendar.from_ical(data)
    except Exception as err:  # the parser raises ValueError, and others on odd input
        raise InvalidInput(f"{name} is not a readable iCalendar file ({_reason(err)}).") \
            from err
    if getattr(calendar, "name", "") != "VCALENDAR":
        raise InvalidInput(f"{name} is not an iCalendar file (no VCALENDAR).")
    budgets = TimeBudget(SECONDS), TimeBudget(SECONDS)  # time zones, recurrences
    meetings: dict[str, Meeting] = {}
    for n, event in enumerate(calendar.walk("VEVENT"), 1):
        title = _text(event.get("SUMMARY")) or "(untitled meeting)"
        try:
            if event.get("RECURRENCE-ID") is not None:  # one moved occurrence of a series
                continue
            if _text(event.get("STATUS")).upper() == "CANCELLED":
                continue
            meeting = _meeting(event, title, today, zone, *budgets)
        except OutOfTime:
            raise InvalidInput(f"{name}: event {n} ('{_printable(title)[:60]}'): working out "
                               f"its time zone took over {SECONDS:g} s. Nothing was imported.") \
                from None
        except Exception as err:
            raise InvalidInput(f"{name}: event {n} ('{_printable(title)[:60]}') cannot be read: "
                               f"{_reason(err)}. Nothing was imported.") from err
        meetings[meeting.uid] = meeting
    return list(meetings.values())


def _meeting(event, title: str, today: date, zone: tzinfo | None, zones: TimeBudget,
             series: TimeBudget) -> Meeting:
    uid = _text(event.get("UID"))
    if not uid:
        raise ValueError("it has no UID")
    if event.get("DTSTART") is None:
        raise ValueError("it has no start (DTSTART)")
    with zones.spend():  # a zone from a VTIMEZONE is expanded here
        start = _local(event.decoded("DTSTART"), zone)
    sequence = _whole(event.get("SEQUENCE", 0) or 0, "SEQUENCE", 0, MAX_SEQUENCE)
    meeting = Meeting(uid[:500], sequence, title[:300], start, _text(event.get("DESCRIPTION")),
                      _attendees(event))
    if event.get("RRULE") is not None:
        try:
            meeting.every_days, meeting.next_on = _series(event, start, today, series)
        except Unfollowed as why:
            meeting.unfollowed = str(why)
    return meeting


def _printable(text: str) -> str:
    """For a one-line message: no control characters, undecodable bytes or Python escapes (a
    parser's message may quote the raw line)."""
    text = re.sub(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[rnt0])", " ", text)
    return " ".join("".join(c if c.isprintable() and c != "\ufffd" else " "
                            for c in text).split())


def _reason(err: BaseException) -> str:
    """The parser's reason, without the raw lines it quotes as a Python bytes literal
    (`b'BEGIN:VCALENDAR…'`): a user reads a reason, not a repr."""
    text = re.sub(r"""\s*:?\s*b(['"]).*?(?:\1|$)(\s*\[\.\.\.\])?""", "", str(err))
    text = _printable(text).rstrip(" :") or type(err).__name__
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
    meetings = read_meetings(files.read_input(path, limit=MAX_BYTES), name=path.name,
                             today=today, zone=zone)
    partner = journal.get_partner(session=session, partner_id=partner_id)
    people = journal.list_stakeholders(session=session, partner_id=partner.id)
    report = ImportReport()
    for m in meetings:
        if m.unfollowed:
            report.skipped.append(f"'{m.title[:60]}' ({m.unfollowed})")
            continue
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

