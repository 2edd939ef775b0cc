"""Dashboard services on hand-made journals with known answers."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from models.tables import OwedBy, StanceChange
from services import journal
from services.journal import commitments, trust
from services.practice import dashboard

TODAY = date(2026, 6, 1)


def at(days_ago: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time()).replace(
        hour=11)


@pytest.fixture
def acme(session):
    p = journal.create_partner(session=session, partner_in={"name": "Acme"})
    return p


def entry(session, partner, days_ago, title="Meeting", kind="meeting", people=()):
    return journal.create_interaction(session=session, interaction_in={
        "partner_id": partner.id, "title": title, "occurred_at": at(days_ago), "kind": kind,
        "participant_ids": [p.id for p in people]})


def reading(session, partner, days_ago, c, r, i, s, entry_id=None, person=None):
    return trust.add_reading(session=session, reading_in={
        "partner_id": partner.id, "credibility": c, "reliability": r, "intimacy": i,
        "self_orientation": s, "taken_at": at(days_ago), "interaction_id": entry_id,
        "stakeholder_id": person.id if person else None})


def promise(session, partner, owed_by, due_ago, status="open", settled_ago=None):
    c = commitments.add_commitment(session=session, commitment_in={
        "partner_id": partner.id, "owed_by": owed_by, "text": f"{owed_by}/{status}/{due_ago}",
        "due": TODAY - timedelta(days=due_ago), "status": status})
    if settled_ago is not None:
        c.resolved_at = at(settled_ago)
        session.add(c)
        session.commit()
    return c


def test_trust_series_for_partner_and_person(session, acme):
    dana = journal.create_stakeholder(session=session, stakeholder_in={
        "partner_id": acme.id, "name": "Dana"})
    e = entry(session, acme, 30, "Steering committee")
    reading(session, acme, 30, 6, 3, 6, 5, entry_id=e.id)       # (6+3+6)/5 = 3.0
    reading(session, acme, 10, 8, 8, 8, 4)                      # 24/4 = 6.0
    reading(session, acme, 12, 5, 5, 5, 5, person=dana)          # a person's: not the partner's
    series = trust.trust_series(session=session, partner_id=acme.id)
    assert [p.index for p in series] == [3.0, 6.0]
    assert series[0].interaction_title == "Steering committee" and series[1].interaction_id is None
    assert (series[0].credibility, series[0].self_orientation) == (6, 5)
    assert [p.index for p in trust.trust_series(session=session, partner_id=acme.id,
                                                stakeholder_id=dana.id)] == [3.0]


def test_reliability_both_sides(session, acme):
    promise(session, acme, "us", 40, "kept", settled_ago=45)    # on time
    promise(session, acme, "us", 40, "kept", settled_ago=30)    # 10 days late
    promise(session, acme, "us", 20, "broken", settled_ago=14)  # 6 days late
    promise(session, acme, "us", 5)                              # open, 5 days overdue
    promise(session, acme, "us", -5)                             # open, not yet due
    promise(session, acme, "them", 10, "dropped", settled_ago=9)
    sides = dashboard.reliability(commitments.list_commitments(session=session), TODAY)
    ours, theirs = sides[OwedBy.us], sides[OwedBy.them]
    assert (ours.kept, ours.broken, ours.open, ours.overdue) == (2, 1, 2, 1)
    assert ours.rate == pytest.approx(2 / 3)
    assert ours.average_days_late == pytest.approx((10 + 6 + 5) / 3)
    assert theirs.rate is None and theirs.average_days_late is None


def kinds(session, **kw):
    return sorted(a.kind for a in dashboard.alerts(session=session, today=TODAY, **kw))


def test_trust_drop_alert_at_its_threshold(session, acme):
    e = entry(session, acme, 2)
    reading(session, acme, 20, 8, 8, 8, 4)    # 6.0
    reading(session, acme, 2, 7, 7, 6, 4, entry_id=e.id)   # 5.0: fell by exactly 1.0
    assert kinds(session, trust_drop=1.0) == ["trust_drop"]
    assert kinds(session, trust_drop=1.01) == []
    alert = dashboard.alerts(session=session, today=TODAY, trust_drop=1.0)[0]
    assert alert.cites == [e.id] and "6.00 to 5.00" in alert.text


def test_stance_shift_alert(session, acme):
    tom = journal.create_stakeholder(session=session, stakeholder_in={
        "partner_id": acme.id, "name": "Tom", "influence": 4, "stance": "supporter",
        "touch_max_days": 3650})  # the test reads today's alerts: keeping in touch aside
    low = journal.create_stakeholder(session=session, stakeholder_in={
        "partner_id": acme.id, "name": "Ivy", "influence": 3, "stance": "supporter"})
    e = entry(session, acme, 3, people=[tom])
    journal.update_stakeholder(session=session, stakeholder_id=low.id,
                               stakeholder_in={"stance": "blocker"})  # influence 3: no alert
    assert kinds(session) == []
    journal.update_stakeholder(session=session, stakeholder_id=tom.id,
                               stakeholder_in={"stance": "skeptic"})
    history = session.exec(select(StanceChange).where(StanceChange.stakeholder_id == tom.id)).all()
    assert [(h.old.value, h.new.value) for h in history] == [("supporter", "skeptic")]
    found = dashboard.alerts(session=session, today=date.today(), no_contact_days=9999)
    assert [a.kind for a in found] == ["stance_shift"] and found[0].cites == [e.id]
    journal.update_stakeholder(session=session, stakeholder_id=tom.id,
                               stakeholder_in={"stance": "champion"})  # won back: the alert goes
    assert [a.kind for a in dashboard.alerts(session=session, today=date.today(),
                                             no_contact_days=9999)] == []


def test_no_contact_alert_at_its_threshold(session, acme):
    last = entry(session, acme, 30, "Last call")
    entry(session, acme, 1, "Our own prep", kind="internal")  # internal work is not contact
    assert kinds(session, no_contact_days=30) == ["no_contact"]
    assert kinds(session, no_contact_days=31) == []
    assert dashboard.alerts(session=session, today=TODAY, no_contact_days=30)[0].cites \
        == [last.id]


def test_our_overdue_alert_and_not_theirs(session, acme):
    entry(session, acme, 1)
    made = entry(session, acme, 20, "Where we promised")
    c = commitments.add_commitment(session=session, commitment_in={
        "partner_id": acme.id, "owed_by": "us", "text": "Send the plan",
        "due": TODAY - timedelta(days=1), "interaction_id": made.id})
    promise(session, acme, "them", 10)
    promise(session, acme, "us", 0)   # due today: not yet overdue
    found = dashboard.alerts(session=session, today=TODAY)
    assert [(a.kind, a.cites) for a in found] == [("our_overdue", [made.id])]
    commitments.set_status(session=session, commitment_id=c.id, status="kept")
    assert kinds(session) == []


def test_portfolio_rows(session, acme):
    other = journal.create_partner(session=session, partner_in={"name": "Blue"})
    entry(session, acme, 3)
    reading(session, acme, 20, 8, 8, 8, 4)
    reading(session, acme, 2, 6, 6, 6, 4)
    rows = {r.name: r for r in dashboard.portfolio(session=session, today=TODAY)}
    assert list(rows) == ["Acme", "Blue"]
    assert rows["Acme"].trust_index == pytest.approx(4.5)
    assert rows["Acme"].trust_change == pytest.approx(-1.5)
    assert rows["Acme"].last_contact == at(3) and [a.kind for a in rows["Acme"].alerts] \
        == ["trust_drop"]
    assert rows["Blue"].trust_index is None and rows["Blue"].last_contact is None
    assert rows["Blue"].alerts == [] and other.id == rows["Blue"].partner_id
