"""Dates are bounded where they are parsed (issue 18, item 18): every date a user or a file
gives for a journal fact falls in the years 1900-2100, checked once in the Create/Update models
(models.tables.journal_date) and in the CLI's day parser; and a journal that already holds a
year-1 row (stored before the bound) still draws its Health chart and its brief."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from PySide6.QtCore import QDate, QDateTime, QTime

from models.tables import TrustReading
from services import journal
from services.errors import InvalidInput
from services.journal import commitments, trust
from services.practice import checkups, governance
from services.store import flush, use_case
from ui.dates import date_edit, datetime_edit
from ui.partner_health import PartnerHealth

OUTSIDE = [date(1, 1, 1), date(1899, 12, 31), date(2101, 1, 1), date(9999, 12, 31)]
EDGES = [date(1900, 1, 1), date(2100, 12, 31)]


@pytest.fixture
def partner(vault):
    with use_case(vault, write=True) as s:
        return journal.create_partner(session=s, partner_in={"name": "Northwind Cloud"}).id


def use(session, partner_id: int, day: date, what: str):
    """One use case per kind of dated journal fact, given `day`."""
    when = datetime.combine(day, datetime.min.time())
    if what == "entry":
        return journal.create_interaction(session=session, interaction_in={
            "partner_id": partner_id, "title": "Call", "occurred_at": when})
    if what == "entry edited":
        entry = journal.create_interaction(session=session, interaction_in={
            "partner_id": partner_id, "title": "Call"})
        return journal.update_interaction(session=session, interaction_id=entry.id,
                                          interaction_in={"occurred_at": when})
    if what == "trust reading":
        return trust.add_reading(session=session, reading_in={
            "partner_id": partner_id, "credibility": 5, "reliability": 5, "intimacy": 5,
            "self_orientation": 5, "taken_at": when})
    if what == "promise":
        return commitments.add_commitment(session=session, commitment_in={
            "partner_id": partner_id, "owed_by": "us", "text": "Send the plan", "due": day})
    if what == "promise edited":
        promise = commitments.add_commitment(session=session, commitment_in={
            "partner_id": partner_id, "owed_by": "us", "text": "Send the plan"})
        return commitments.update_commitment(session=session, commitment_id=promise.id,
                                             commitment_in={"due": day})
    if what == "health check":
        return checkups.add_checkup(session=session, checkup_in={
            "partner_id": partner_id, "strategic": 3, "operational": 3, "relational": 3,
            "taken_on": day})
    return governance.add_cadence(session=session, cadence_in={
        "partner_id": partner_id, "kind": "qbr", "every_days": 90, "next_due": day})


FACTS = ["entry", "entry edited", "trust reading", "promise", "promise edited", "health check",
         "governance date"]


@pytest.mark.timeout(20)
@pytest.mark.parametrize("what", FACTS)
def test_every_dated_fact_takes_only_the_journals_years(vault, partner, what):
    for day in OUTSIDE:
        with pytest.raises(InvalidInput, match=f"years 1900-2100, not {day.year}"), \
                use_case(vault, write=True) as s:
            use(s, partner, day, what)
    for day in EDGES:
        with use_case(vault, write=True) as s:
            assert use(s, partner, day, what).id


@pytest.mark.timeout(30)
@pytest.mark.parametrize("argv,flag", [
    (["trust", "add", "--credibility", "5", "--reliability", "5", "--intimacy", "5",
      "--self-orientation", "5", "--date", "0001-01-01"], "taken_at"),
    (["log", "--title", "Call", "--date", "0001-01-01"], "occurred_at"),
    (["commitment", "add", "--owed-by", "us", "--text", "x", "--due", "0001-01-01"], "--due"),
    (["checkup", "add", "--strategic", "3", "--operational", "3", "--relational", "3",
      "--date", "1899-12-31"], "--date"),
    (["governance", "add", "--kind", "qbr", "--every", "90", "--next", "2101-01-01"], "--next"),
    (["brief", "-o", "BRIEF", "--meeting-date", "0001-01-01"], "--meeting-date"),
])
def test_the_command_line_refuses_a_date_outside_the_years_in_one_line(cli, vault, partner,
                                                                       tmp_path, argv, flag):
    pdf = tmp_path / "brief.pdf"
    code, out, err = cli(*[str(pdf) if a == "BRIEF" else a for a in argv],
                         "--partner", "Northwind")
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert flag in err and "years 1900-2100" in err
    assert not pdf.exists()


def old_reading(vault, partner_id: int) -> int:
    """A reading dated year 1, stored as versions before the bound stored it (no check)."""
    with use_case(vault, write=True) as s:
        trust.add_reading(session=s, reading_in={
            "partner_id": partner_id, "credibility": 6, "reliability": 6, "intimacy": 6,
            "self_orientation": 3, "taken_at": datetime(2026, 3, 1, 10)})
        old = TrustReading(partner_id=partner_id, taken_at=datetime(1, 1, 1), credibility=5,
                           reliability=5, intimacy=5, self_orientation=5)
        s.add(old)
        flush(s)
        return old.id


@pytest.mark.timeout(60)
def test_a_stored_year_one_reading_is_left_off_the_trend_and_the_brief_is_written(
        cli, vault, partner, tmp_path):
    old = old_reading(vault, partner)
    with use_case(vault) as s:
        series = trust.trust_series(session=s, partner_id=partner)
        assert [p.taken_at.year for p in series] == [2026]
        assert old in [r.id for r in trust.list_readings(session=s, partner_id=partner)]
    code, out, err = cli("brief", "--partner", "Northwind", "-o", str(tmp_path / "b.pdf"))
    assert code == 0 and "Traceback" not in err, err
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")
    with use_case(vault, write=True) as s:  # the entry editor can still adjust its parts
        assert trust.update_reading(session=s, reading_id=old,
                                    reading_in={"credibility": 7}).credibility == 7


@pytest.mark.timeout(60)
def test_the_health_tab_paints_a_journal_holding_a_year_one_reading(qtbot, ctx, vault,
                                                                     partner):
    old_reading(vault, partner)
    health = PartnerHealth(ctx)
    qtbot.addWidget(health)
    health.resize(900, 600)
    health.show()
    health.load(partner, "Northwind Cloud")
    qtbot.waitUntil(lambda: len(health.chart.points) == 1, timeout=5000)
    image = health.chart.grab()  # a paint that raised left "Recursive repaint detected" after
    assert not image.isNull()
    health.chart.repaint()
    assert [p.taken_at.year for p in health.chart.points] == [2026]


@pytest.mark.timeout(20)
def test_every_date_field_takes_only_the_journals_years(qtbot):
    day = date_edit(QDate(1, 1, 1), "Due date")
    stamp = datetime_edit(QDateTime(QDate(9999, 1, 1), QTime(10, 0)), "When")
    for edit in (day, stamp):
        qtbot.addWidget(edit)
        assert (edit.minimumDate(), edit.maximumDate()) == (QDate(1900, 1, 1),
                                                            QDate(2100, 12, 31))
    assert day.date() == QDate(1900, 1, 1)  # a stored year-1 date shows clamped
    assert stamp.date() == QDate(2100, 12, 31)
