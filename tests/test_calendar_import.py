"""Calendar import (.ics) on a real multi-event export: time zones (VTIMEZONE, UTC, floating,
all-day), a recurring meeting, attendees with and without names, an event edited and imported
again, and malformed files that save nothing."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from models.tables import CalendarLink, GovernanceCadence, Interaction, Stakeholder
from services import journal
from services.errors import InvalidInput
from services.practice import calendar_import, governance
from services.store import use_case

TODAY = date(2026, 6, 1)
NEW_YORK = ZoneInfo("America/New_York")

BERLIN = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""


def qbr(sequence=0, start="20260310T100000", title="Q1 QBR with Northwind", extra=""):
    return f"""BEGIN:VEVENT
UID:qbr-2026-q1@outlook.example
SEQUENCE:{sequence}
DTSTAMP:20260301T080000Z
DTSTART;TZID=Europe/Berlin:{start}
DTEND;TZID=Europe/Berlin:20260310T120000
SUMMARY:{title}
DESCRIPTION:Joint wins\\, pipeline and open promises.
ORGANIZER;CN=Me:mailto:me@ours.example
ATTENDEE;CN="Dana Whitfield";ROLE=REQ-PARTICIPANT:mailto:dw@northwind.example
{extra}ATTENDEE;CN=Quinn Unknown:mailto:quinn@northwind.example
ATTENDEE;CN=Me;PARTSTAT=ACCEPTED:mailto:me@ours.example
ATTENDEE;CN=Lena Fischer;PARTSTAT=DECLINED:mailto:lena@northwind.example
ATTENDEE;CN=Room Spree 4.01;CUTYPE=ROOM:mailto:room-spree@northwind.example
END:VEVENT"""


def export(*events: str) -> str:
    body = "\n".join((BERLIN,) + events)
    return ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//Outlook-like export//EN\n"
            f"{body}\nEND:VCALENDAR\n").replace("\n", "\r\n")


EVENTS = (
    qbr(extra="ATTENDEE:mailto:marcus.oyelaran@northwind.example\n"),
    """BEGIN:VEVENT
UID:call-priya@google.example
DTSTAMP:20260401T080000Z
DTSTART:20260415T140000Z
SUMMARY:Call with Priya
ATTENDEE;PARTSTAT=ACCEPTED:mailto:Priya.R@Northwind.example
END:VEVENT""",
    """BEGIN:VEVENT
UID:steerco-series@apple.example
DTSTAMP:20250501T080000Z
DTSTART;TZID=Europe/Berlin:20250601T150000
RRULE:FREQ=MONTHLY;INTERVAL=6
SUMMARY:Steering committee Northwind
END:VEVENT""",
    """BEGIN:VEVENT
UID:offsite@apple.example
DTSTAMP:20250501T080000Z
DTSTART;VALUE=DATE:20260501
SUMMARY:Partner offsite
END:VEVENT""",
    """BEGIN:VEVENT
UID:floating@apple.example
DTSTAMP:20250501T080000Z
DTSTART:20260520T093000
SUMMARY:Coffee with Lena
ATTENDEE;CN=Lena Fischer:mailto:lena@northwind.example
END:VEVENT""",
    """BEGIN:VEVENT
UID:future@outlook.example
DTSTAMP:20250501T080000Z
DTSTART:20270115T090000Z
SUMMARY:Kick-off next year
END:VEVENT""",
)


@pytest.fixture
def northwind(vault):
    with use_case(vault, write=True) as s:
        p = journal.create_partner(session=s, partner_in={"name": "Northwind Cloud"})
        for name, email in (("Dana Whitfield", ""), ("Marcus Oyelaran", ""),
                            ("Priya Raman", "priya.r@northwind.example"), ("Lena Fischer", "")):
            journal.create_stakeholder(session=s, stakeholder_in={
                "partner_id": p.id, "name": name, "email": email})
        return p.id


def run(vault, path, partner_id, zone=NEW_YORK):
    with use_case(vault, write=True) as s:
        return calendar_import.import_ics(session=s, path=path, partner_id=partner_id,
                                          today=TODAY, zone=zone)


def entries(vault) -> dict[str, tuple[datetime, list[str], list[str]]]:
    with use_case(vault) as s:
        return {i.title: (i.occurred_at,
                          [p.name for p in journal.participants(session=s, interaction_id=i.id)],
                          journal.tags(session=s, interaction_id=i.id))
                for i in journal.list_interactions(session=s)}


def test_a_multi_event_export_becomes_entries_and_a_cadence(vault, northwind, tmp_path):
    path = tmp_path / "calendar.ics"
    path.write_text(export(*EVENTS), encoding="utf-8")
    report = run(vault, path, northwind)
    assert (len(report.created), report.future, report.updated) == (4, 1, [])
    found = entries(vault)
    # 10:00 in Berlin (CET) is 09:00 UTC, 05:00 in New York (daylight time since 8 March)
    assert found["Q1 QBR with Northwind"] == (datetime(2026, 3, 10, 5, 0),
                                              ["Dana Whitfield", "Marcus Oyelaran"],
                                              ["imported", "qbr"])
    assert found["Call with Priya"] == (datetime(2026, 4, 15, 10, 0), ["Priya Raman"],
                                        ["imported"])          # matched by e-mail, any case
    assert found["Partner offsite"][0] == datetime(2026, 5, 1, 0, 0)       # all day
    assert found["Coffee with Lena"][:2] == (datetime(2026, 5, 20, 9, 30), ["Lena Fischer"])
    assert "Kick-off next year" not in found
    assert report.unknown == {"Quinn Unknown <quinn@northwind.example>":
                              ["Q1 QBR with Northwind"]}
    with use_case(vault) as s:                                 # offered, never added
        assert s.exec(select(func.count()).select_from(Stakeholder)).one() == 4
        (cadence,) = s.exec(select(GovernanceCadence)).all()
        assert (cadence.kind.value, cadence.every_days, cadence.next_due) == \
            ("steering", 180, date(2026, 6, 1))  # 2025-06-01, then every six months
        dues = governance.due_dates(session=s, today=TODAY)[northwind]
        assert dues[0].label == "steering committee"
    assert "Unknown attendees (not added" in report.lines()[-1]


def test_importing_again_makes_no_twin_and_an_edited_event_updates(vault, northwind, tmp_path):
    path = tmp_path / "calendar.ics"
    path.write_text(export(*EVENTS), encoding="utf-8")
    first = run(vault, path, northwind)
    again = run(vault, path, northwind)
    assert (again.created, again.updated, again.unchanged) == ([], [], 5)
    with use_case(vault) as s:
        assert s.exec(select(func.count()).select_from(Interaction)).one() == 4
        assert s.exec(select(func.count()).select_from(GovernanceCadence)).one() == 1
    # the organiser moved the QBR an hour later, renamed it and dropped Marcus: SEQUENCE 1
    path.write_text(export(qbr(sequence=1, start="20260310T110000", title="Q1 QBR (moved)"),
                           *EVENTS[1:]), encoding="utf-8")
    edited = run(vault, path, northwind)
    qbr_id = first.created[0]
    assert (edited.created, edited.updated) == ([], [qbr_id])
    found = entries(vault)
    assert "Q1 QBR with Northwind" not in found
    assert found["Q1 QBR (moved)"][:2] == (datetime(2026, 3, 10, 6, 0), ["Dana Whitfield"])
    with use_case(vault) as s:
        assert s.get(CalendarLink, "qbr-2026-q1@outlook.example").sequence == 1


def test_a_deleted_imported_entry_stays_deleted(vault, northwind, tmp_path):
    path = tmp_path / "calendar.ics"
    path.write_text(export(EVENTS[1]), encoding="utf-8")
    (entry_id,) = run(vault, path, northwind).created
    with use_case(vault, write=True) as s:
        journal.delete_interaction(session=s, interaction_id=entry_id)
    assert run(vault, path, northwind).created == []
    assert entries(vault) == {}


@pytest.mark.parametrize("content", [
    "this is not a calendar\n",
    export(EVENTS[1], "BEGIN:VEVENT\nUID:no-start@x\nSUMMARY:Broken\nEND:VEVENT"),
    export(EVENTS[1], "BEGIN:VEVENT\nUID:bad@x\nDTSTART:2026-13-45\nSUMMARY:Bad date\n"
                      "END:VEVENT"),
    "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260101T100000Z\r\n",
])
def test_a_malformed_file_is_one_line_and_saves_nothing(cli, vault, northwind, tmp_path,
                                                        content):
    path = tmp_path / "broken.ics"
    path.write_text(content, encoding="utf-8")
    code, out, err = cli("import", "ics", str(path), "--partner", "Northwind")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "broken.ics" in err and "Traceback" not in err
    with use_case(vault) as s:
        assert s.exec(select(func.count()).select_from(Interaction)).one() == 0
        assert s.exec(select(func.count()).select_from(CalendarLink)).one() == 0


def test_cli_import_reports_what_it_did(cli, vault, northwind, tmp_path):
    path = tmp_path / "calendar.ics"
    path.write_text(export(*EVENTS), encoding="utf-8")
    code, out, err = cli("import", "ics", str(path), "--partner", "North")
    assert code == 0, err
    assert out.splitlines()[0].startswith("4 entries imported, 0 updated, 0 already imported")
    assert "Governance cadence: steering committee every 180 days" in out
    code, out, _ = cli("import", "ics", str(tmp_path / "missing.ics"), "--partner", "North")
    assert code == 1


def test_reading_refuses_a_file_without_a_calendar():
    with pytest.raises(InvalidInput, match="not"):
        calendar_import.read_meetings(b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n",
                                      name="x.ics", today=TODAY)
