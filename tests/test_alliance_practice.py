"""Alliance practice (issue 14) on hand-made journals with known answers, each beside a journal
one day (or one point) short of triggering: health-check gaps and drops, governance due dates,
keeping in touch, since we last spoke, what worked before; the portfolio and its CLI."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import func, select

from models.tables import HealthCheck, OwedBy, Partner, StanceChange
from services import journal
from services.advice import playbook, precedents
from services.advice.signals import load_snapshot
from services.errors import InvalidInput
from services.journal import commitments, demo, trust
from services.practice import checkups, dashboard, governance, keep_in_touch, since
from services.store import use_case

TODAY = date(2026, 6, 1)


def at(days_ago: int, hour: int = 11) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time()).replace(
        hour=hour)


@pytest.fixture
def acme(session):
    return journal.create_partner(session=session, partner_in={"name": "Acme"})


def person(session, partner, name, influence=3, **extra):
    return journal.create_stakeholder(session=session, stakeholder_in={
        "partner_id": partner.id, "name": name, "influence": influence, **extra})


def entry(session, partner, days_ago, title="Meeting", kind="meeting", people=(), tags=(),
          reflection=""):
    return journal.create_interaction(session=session, interaction_in={
        "partner_id": partner.id, "title": title, "occurred_at": at(days_ago), "kind": kind,
        "participant_ids": [p.id for p in people], "tags": list(tags),
        "reflection": reflection})


def reading(session, partner, days_ago, c, r, i, s, entry_id=None):
    return trust.add_reading(session=session, reading_in={
        "partner_id": partner.id, "credibility": c, "reliability": r, "intimacy": i,
        "self_orientation": s, "taken_at": at(days_ago), "interaction_id": entry_id})


def check(session, partner, days_ago, ours, theirs=(None, None, None)):
    data = {"partner_id": partner.id, "taken_on": TODAY - timedelta(days=days_ago)}
    for axis, mine, their in zip(checkups.AXES, ours, theirs, strict=True):
        data[axis], data[f"their_{axis}"] = mine, their
    return checkups.add_checkup(session=session, checkup_in=data)


def alerts(session, partner, today=TODAY) -> dict[str, list[dashboard.Alert]]:
    row = dashboard.portfolio(session=session, today=today, partner_id=partner.id)[0]
    found: dict[str, list] = {}
    for a in row.alerts:
        found.setdefault(a.kind, []).append(a)
    return found


# --- health check ----------------------------------------------------------------------------
def test_a_gap_of_two_between_the_views_is_an_alert_and_an_angle(session, acme):
    check(session, acme, 3, (4, 3, 3), (2, 2, None))
    assert [(g.axis, g.before, g.after) for g in checkups.gaps(
        checkups.history(session=session, partner_id=acme.id)[-1])] == [("strategic", 4, 2)]
    (gap,) = alerts(session, acme)["health_gap"]
    assert gap.text.endswith("(strategic fit 4 vs 2)") and gap.when == TODAY - timedelta(3)
    angles = playbook.angles(load_snapshot(session=session, partner_id=acme.id, today=TODAY),
                             only={"health_gap"})
    assert [a.title for a in angles] == ["Close the gap in how we see the alliance: strategic fit"]


def test_a_gap_of_one_raises_nothing(session, acme):
    check(session, acme, 3, (3, 3, 3), (2, 4, 2))
    assert "health_gap" not in alerts(session, acme)
    assert playbook.angles(load_snapshot(session=session, partner_id=acme.id, today=TODAY),
                           only={"health_gap", "health_drop"}) == []


def test_a_drop_of_two_since_the_previous_check_is_an_alert_and_one_short_is_not(session, acme):
    check(session, acme, 100, (4, 4, 4))
    check(session, acme, 10, (4, 3, 3))                     # fell by 1: nothing
    assert "health_drop" not in alerts(session, acme)
    check(session, acme, 2, (4, 1, 3))                      # operational 3 -> 1
    (drop,) = alerts(session, acme)["health_drop"]
    assert "operational execution 3 to 1" in drop.text
    (angle,) = playbook.angles(load_snapshot(session=session, partner_id=acme.id, today=TODAY),
                               only={"health_drop"})
    assert angle.title == "Find out why the operational execution score fell"


def test_a_checkup_out_of_range_is_refused(session, acme):
    with pytest.raises(InvalidInput):
        checkups.add_checkup(session=session, checkup_in={
            "partner_id": acme.id, "strategic": 6, "operational": 3, "relational": 3})


# --- governance ------------------------------------------------------------------------------
def test_governance_due_date_moves_on_from_the_last_meeting_held(session, acme):
    governance.add_cadence(session=session, cadence_in={
        "partner_id": acme.id, "kind": "qbr", "every_days": 90,
        "next_due": TODAY - timedelta(days=200)})
    entry(session, acme, 120, "Q1 business review", tags=["qbr"])
    entry(session, acme, 20, "QBR prep (ours only)", kind="internal", tags=["qbr"])  # not held
    (due,) = governance.due_dates(session=session, today=TODAY)[acme.id]
    assert due.due == TODAY - timedelta(days=30) and due.last_held == TODAY - timedelta(120)
    assert due.overdue_days == 30


def test_governance_overdue_the_day_after_it_was_due_not_on_the_day(session, acme):
    governance.add_cadence(session=session, cadence_in={
        "partner_id": acme.id, "kind": "steering", "every_days": 180,
        "next_due": TODAY - timedelta(days=400)})
    entry(session, acme, 180, "Steering committee", tags=["steerco"])  # due today
    assert "governance_overdue" not in alerts(session, acme)
    (late,) = alerts(session, acme, TODAY + timedelta(days=1))["governance_overdue"]
    assert late.text == f"steering committee overdue by 1 days (due {TODAY})"
    row = dashboard.portfolio(session=session, today=TODAY, partner_id=acme.id)[0]
    assert row.next_governance.due == TODAY and row.next_governance.overdue_days == 0


def test_a_later_date_set_by_hand_wins_and_adding_again_changes_the_cadence(session, acme):
    first = governance.add_cadence(session=session, cadence_in={
        "partner_id": acme.id, "kind": "qbr", "every_days": 90,
        "next_due": TODAY + timedelta(days=40)})
    entry(session, acme, 80, "QBR", tags=["qbr"])  # + 90 = in 10 days; the set date is later
    again = governance.add_cadence(session=session, cadence_in={
        "partner_id": acme.id, "kind": "qbr", "every_days": 60,
        "next_due": TODAY + timedelta(days=45)})
    assert again.id == first.id and len(governance.list_cadences(session=session)) == 1
    assert governance.due_dates(session=session, today=TODAY)[acme.id][0].due \
        == TODAY + timedelta(days=45)


def test_stage_is_set_and_shown_on_the_portfolio(session, acme):
    governance.set_stage(session=session, partner_id=acme.id, stage="renew")
    assert dashboard.portfolio(session=session, today=TODAY)[0].stage == "renew"
    with pytest.raises(InvalidInput):
        governance.set_stage(session=session, partner_id=acme.id, stage="retire")


# --- keeping in touch ------------------------------------------------------------------------
def test_losing_touch_past_the_ideal_and_an_alert_past_the_maximum(session, acme):
    ann = person(session, acme, "Ann", influence=3)          # default: ideal 60, at most 120
    met = entry(session, acme, 0, people=[ann])
    assert keep_in_touch.cadence_of(ann) == (60, 120)

    def state(days):
        row = dashboard.portfolio(session=session, today=TODAY + timedelta(days=days),
                                  partner_id=acme.id)[0]
        return [t.name for t in row.losing_touch], [a.text for a in row.alerts
                                                    if a.kind == "out_of_touch"]
    assert state(60) == ([], [])
    assert state(61) == (["Ann"], [])
    assert state(120) == (["Ann"], [])
    (touch, alert) = state(121)
    assert alert == ["No contact with Ann for 121 days (at most 120)"]
    row = dashboard.portfolio(session=session, today=TODAY + timedelta(121),
                              partner_id=acme.id)[0]
    assert next(a for a in row.alerts if a.kind == "out_of_touch").cites == [met.id]


def test_any_entry_the_person_attended_resets_it_and_own_cadence_wins(session, acme):
    bob = person(session, acme, "Bob", influence=5)
    person(session, acme, "Never Met", influence=1)
    entry(session, acme, 100, people=[bob])
    entry(session, acme, 30, people=[])                           # without Bob: no reset
    last = entry(session, acme, 12, kind="email", people=[bob])  # an e-mail counts
    keep_in_touch.set_cadence(session=session, stakeholder_id=bob.id, ideal_days=11,
                              max_days=None)
    touches = {t.name: t for t in keep_in_touch.touch_list(session=session, today=TODAY)}
    assert (touches["Bob"].days, touches["Bob"].last_entry_id) == (12, last.id)
    assert touches["Bob"].ideal_days == 11 and touches["Bob"].losing_touch
    assert touches["Never Met"].days is None and not touches["Never Met"].past_max
    with pytest.raises(InvalidInput):
        keep_in_touch.set_cadence(session=session, stakeholder_id=bob.id, ideal_days=None,
                                  max_days=5)


def test_last_seen_reaches_past_a_partners_recent_window(session, acme, monkeypatch):
    monkeypatch.setattr(keep_in_touch, "RECENT_WINDOW", 2)
    old = person(session, acme, "Old Friend")
    first = entry(session, acme, 300, people=[old])
    for n in range(3):
        entry(session, acme, n + 1)
    (touch,) = keep_in_touch.touch_list(session=session, today=TODAY)
    assert (touch.days, touch.last_entry_id) == (300, first.id)


# --- since we last spoke ---------------------------------------------------------------------
def test_since_we_last_spoke_counts_only_what_came_after(session, acme):
    cara = person(session, acme, "Cara")
    dev = person(session, acme, "Dev", stance="neutral")
    before = entry(session, acme, 11, "The day before", people=[dev])
    met = entry(session, acme, 10, "Last time with Cara", people=[cara, dev])
    after = entry(session, acme, 9, "Without her", people=[dev])
    reading(session, acme, 11, 6, 6, 6, 3)                           # before: not counted
    trust.add_reading(session=session, reading_in={                  # about the last meeting
        "partner_id": acme.id, "credibility": 2, "reliability": 2, "intimacy": 2,
        "self_orientation": 9, "taken_at": at(10, 13), "interaction_id": met.id})
    reading(session, acme, 9, 6, 6, 6, 4, after.id)
    made = commitments.add_commitment(session=session, commitment_in={
        "partner_id": acme.id, "interaction_id": after.id, "owed_by": OwedBy.us,
        "text": "Send the plan"})
    commitments.add_commitment(session=session, commitment_in={
        "partner_id": acme.id, "interaction_id": before.id, "owed_by": OwedBy.them,
        "text": "Old promise"})
    settled = commitments.add_commitment(session=session, commitment_in={
        "partner_id": acme.id, "interaction_id": before.id, "owed_by": OwedBy.them,
        "text": "Pilot data", "status": "kept"})
    settled.resolved_at = at(8)
    session.add(StanceChange(stakeholder_id=dev.id, partner_id=acme.id, old="neutral",
                             new="skeptic", changed_at=at(9, 15)))
    session.add(StanceChange(stakeholder_id=dev.id, partner_id=acme.id, old="supporter",
                             new="neutral", changed_at=at(11, 15)))
    session.flush()
    found = since.since_last_spoke(session=session, stakeholder_id=cara.id, today=TODAY)
    assert (found.last_entry_id, found.days) == (met.id, 10)
    assert [e["id"] for e in found.entries] == [after.id]
    assert [c["id"] for c in found.opened] == [made.id]
    assert [c["text"] for c in found.settled] == ["Pilot data"]
    assert [r["index"] for r in found.readings] == [4.5]
    assert [(s["old"], s["new"]) for s in found.stance_changes] == [("neutral", "skeptic")]
    assert found.line() == (f"Last seen {TODAY - timedelta(10)} (10 days): 1 entry without "
                            "them; 1 promise made; 'Pilot data' kept; trust 4.50; Dev neutral → "
                            "skeptic.")
    dev_since = since.since_last_spoke(session=session, stakeholder_id=dev.id, today=TODAY)
    assert dev_since.last_entry_id == after.id and dev_since.entries == []
    assert dev_since.readings == [] and len(dev_since.stance_changes) == 1  # same hour: not after


def test_since_for_someone_never_met(session, acme):
    eve = person(session, acme, "Eve")
    assert since.since_last_spoke(session=session, stakeholder_id=eve.id,
                                  today=TODAY).line() == "Not met yet in the journal."


# --- what worked before ----------------------------------------------------------------------
@pytest.fixture
def helix_story(session):
    """A drop of 2.50 (4.50 -> 2.00) 100 days ago; 4.00 after 30 days (short of 90% of 4.50);
    4.50 after 45 days: recovered +2.50 in 45 days."""
    helix = journal.create_partner(session=session, partner_in={"name": "Helix"})
    start = reading(session, helix, 110, 7, 6, 5, 4)
    hard = entry(session, helix, 100, "Registration dispute")
    reading(session, helix, 100, 5, 3, 4, 6, hard.id)
    entry(session, helix, 99, "Routine pipeline update", kind="email")
    visit = entry(session, helix, 98, "Went to see Rafael", reflection="Owned it in person.")
    commitments.add_commitment(session=session, commitment_in={
        "partner_id": helix.id, "interaction_id": visit.id, "owed_by": OwedBy.us,
        "text": "Written rules of engagement"})
    reading(session, helix, 70, 6, 5, 5, 4)
    back = entry(session, helix, 55, "Back on track")
    reading(session, helix, 55, 7, 6, 5, 4, back.id)
    return helix, start, hard, visit, back


def test_a_trust_drop_recovers_with_its_time_and_gain(session, helix_story):
    helix, _start, hard, visit, back = helix_story
    (e,) = precedents.episodes(session=session)
    assert (e.kind, e.entry_id, e.baseline, e.trough) == ("trust_drop", hard.id, 4.5, 2.0)
    assert (e.days_to_recover, e.gain, e.recovery_entry_id) == (45, 2.5, back.id)
    precedents.what_next(session=session, episode=e)
    assert [n["id"] for n in e.next_entries] == [visit.id]        # the routine e-mail says little
    assert e.next_promises == ["Written rules of engagement"]
    assert e.cites == [hard.id, visit.id, back.id]
    assert precedents.episodes(session=session, drop=2.51) == []  # the drop is 2.50


def test_a_reading_short_of_the_baseline_is_not_a_recovery(session, helix_story):
    helix = helix_story[0]
    for r in trust.list_readings(session=session, partner_id=helix.id):
        if r.taken_at == at(55):
            session.delete(r)
    session.flush()
    (e,) = precedents.episodes(session=session)
    assert e.trough == 2.0 and not e.recovered  # 4.00 is under 90% of 4.50 (4.05)


def test_what_worked_before_becomes_an_angle_for_a_partner_in_the_same_trouble(
        session, helix_story):
    helix, _start, hard, visit, back = helix_story
    acme = journal.create_partner(session=session, partner_in={"name": "Acme"})
    reading(session, acme, 20, 7, 7, 6, 4)
    now_bad = entry(session, acme, 5, "Tense call")
    reading(session, acme, 5, 5, 4, 4, 6, now_bad.id)
    (angle,) = playbook.angles(load_snapshot(session=session, partner_id=acme.id, today=TODAY),
                               only={"what_worked_before"})
    assert angle.title == f"What worked before: Helix, {at(100):%Y-%m}"
    assert "trust recovered +2.50" in angle.why
    assert "in 45 days" in angle.why and angle.cites == [hard.id, visit.id, back.id]
    # a step to take here, restated from what was done then (a visit, a promise), never
    # Helix's own titles or promises pasted (issue 21)
    assert "'Went to see Rafael'" not in angle.why and "Rafael" not in angle.first_step
    assert angle.first_step == ("Do what helped then: a meeting with your counterpart within 2 "
                                "days and one small, dated promise to your counterpart that "
                                "you fully control.")
    # Helix itself, calm now: no current trouble, so no precedent is offered
    assert playbook.angles(load_snapshot(session=session, partner_id=helix.id, today=TODAY),
                           only={"what_worked_before"}) == []


# --- the sample journal ----------------------------------------------------------------------
def test_the_sample_journal_shows_every_practice(vault):
    with use_case(vault, write=True) as s:
        counts = demo.load_sample(session=s)
    assert counts["health_checks"] >= 5 and counts["governance_cadences"] >= 4
    with use_case(vault) as s:
        rows = {r.name: r for r in dashboard.portfolio(session=s)}
        kinds = {a.kind for r in rows.values() for a in r.alerts}
        assert {"governance_overdue", "out_of_touch", "health_gap", "health_drop"} <= kinds
        north = rows["Northwind Cloud"]
        assert north.stage == "run" and north.next_governance.label == "QBR"
        assert north.next_governance.overdue_days > 0
        assert any(t.name == "Dana Whitfield" and t.past_max for t in north.losing_touch)
        history = s.exec(select(func.count()).select_from(HealthCheck)
                         .join(Partner).where(Partner.name == "Northwind Cloud")).one()
        assert history == 3
        recovered = [e for e in precedents.episodes(session=s)
                     if e.kind == "trust_drop" and e.recovered]
        assert any(e.partner == "Northwind Cloud" for e in recovered)


# --- the command line ------------------------------------------------------------------------
def test_cli_practice_commands_and_portfolio_json(cli, vault):
    with use_case(vault, write=True) as s:
        acme = journal.create_partner(session=s, partner_in={"name": "Acme Corp"})
        ann = person(s, acme, "Ann Lee", influence=5)
        journal.create_interaction(session=s, interaction_in={
            "partner_id": acme.id, "title": "Kick-off", "participant_ids": [ann.id],
            "occurred_at": datetime.now() - timedelta(days=70)})
    assert cli("partner", "set", "acme", "--stage", "launch")[0] == 0
    assert cli("checkup", "add", "--partner", "Acme", "--strategic", "5", "--operational", "3",
               "--relational", "4", "--their-strategic", "2")[0] == 0
    past = (date.today() - timedelta(days=3)).isoformat()
    assert cli("governance", "add", "--partner", "Acme", "--kind", "qbr", "--every", "90",
               "--next", past)[0] == 0
    code, out, err = cli("portfolio", "--json")
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["stage"] == "launch" and row["next_governance"]["overdue_days"] == 3
    assert row["health"]["ours"] == {"strategic": 5, "operational": 3, "relational": 4}
    assert {a["kind"] for a in row["alerts"]} >= {"governance_overdue", "health_gap",
                                                  "out_of_touch", "no_contact"}
    touch = next(a for a in row["alerts"] if a["kind"] == "out_of_touch")
    assert touch["entries"] == [1]
    code, out, _ = cli("since", "--partner", "Acme", "--stakeholder", "Ann Lee", "--json")
    assert code == 0 and json.loads(out)["days"] == 70
    code, out, _ = cli("touch")
    assert code == 0 and "! Ann Lee (Acme Corp): 70 days; ideal 30, at most 60" in out
    code, out, _ = cli("stakeholder", "set", "--partner", "Acme", "--name", "Ann Lee",
                       "--ideal-days", "80", "--max-days", "100", "--email", "ann@acme.test")
    assert code == 0 and "every 80 days (at most 100), e-mail ann@acme.test" in out
    assert cli("touch")[1] == ""


@pytest.mark.parametrize("argv", [
    ["checkup", "add", "--partner", "Acme", "--strategic", "9", "--operational", "3",
     "--relational", "3"],
    ["checkup", "add", "--partner", "Nobody", "--strategic", "3", "--operational", "3",
     "--relational", "3"],
    ["governance", "add", "--partner", "Acme", "--kind", "qbr", "--every", "0"],
    ["governance", "add", "--partner", "Acme", "--kind", "qbr", "--every", "90", "--next", "x"],
    ["partner", "set", "Acme", "--stage", "retired"],
    ["since", "--partner", "Acme", "--stakeholder", "Nobody"],
])
def test_cli_practice_user_errors_are_one_line_and_save_nothing(cli, vault, argv):
    with use_case(vault, write=True) as s:
        journal.create_partner(session=s, partner_in={"name": "Acme"})
    code, out, err = cli(*argv)
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    with use_case(vault) as s:
        assert checkups.history(session=s) == [] and governance.list_cadences(session=s) == []


def test_export_holds_health_checks_and_governance(vault, tmp_path):
    from services.journal import export

    with use_case(vault, write=True) as s:
        demo.load_sample(session=s)
    with use_case(vault) as s:
        data = export.journal_data(session=s)
        target = export.export(session=s, fmt="markdown", target=tmp_path / "journal.md")
    north = next(p for p in data["partners"] if p["name"] == "Northwind Cloud")
    assert [h["strategic"] for h in north["health_checks"]] == [4, 4, 4]
    assert {g["kind"] for g in north["governance"]} == {"qbr", "steering"}
    assert north["stage"] == "run"
    text = target.read_text(encoding="utf-8")
    assert "### Health checks" in text and "strategic 4/2" in text
    assert "qbr every 90 days, next due" in text


def test_deleting_a_partner_takes_its_checks_cadences_and_calendar_links(vault):
    from models.tables import CalendarLink, GovernanceCadence

    with use_case(vault, write=True) as s:
        gone = journal.create_partner(session=s, partner_in={"name": "Gone"})
        check(s, gone, 1, (3, 3, 3))
        cadence = governance.add_cadence(session=s, cadence_in={
            "partner_id": gone.id, "kind": "qbr", "every_days": 90, "next_due": TODAY})
        s.add(CalendarLink(uid="x@y", partner_id=gone.id, cadence_id=cadence.id))
        s.flush()
    with use_case(vault, write=True) as s:
        journal.delete_partner(session=s, partner_id=gone.id, with_interactions=True)
    with use_case(vault) as s:
        for table in (HealthCheck, GovernanceCadence, CalendarLink):
            assert s.exec(select(func.count()).select_from(table)).one() == 0, table
