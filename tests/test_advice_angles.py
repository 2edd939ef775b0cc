"""Angles a senior alliance manager would sign (issue 21): each test builds a journal that showed
the fault before (a stale stance leading, a blocker cited by his friendly entries, a healthy
partner with no answer, 'prepare' blind to the meeting ahead, 'within two days' for an old
entry, another partner's precedent pasted, the user's own plan ignored) and checks the fix."""

from __future__ import annotations

from datetime import timedelta

from services import journal
from services.advice import advisor, lead
from services.journal import commitments
from services.practice import governance
from tests.test_playbook import TODAY, Journal, _find, _precedent, days_ago


def gather(j, **request):
    return advisor.gather(session=j.s, request=advisor.AdviceRequest(
        partner_id=j.partner.id, **request), today=TODAY)


def noted(j, ago, title, people, notes, difficulty=1):
    entry = j.entry(ago, title, people, difficulty=difficulty)
    journal.update_interaction(session=j.s, interaction_id=entry.id,
                               interaction_in={"notes": notes})
    return entry


def test_a_stance_later_entries_contradict_is_to_confirm_cites_them_and_does_not_lead(session):
    j = Journal(session)
    j.person("Tom", stance="blocker", influence=5)
    refusal = noted(j, 300, "Tom refuses co-sell targets", ["Tom"],
                    "Tom said his reps will not carry partner targets.", difficulty=4)
    friendly = noted(j, 12, "Tom forwards a prospect", ["Tom"],
                     "Tom forwarded a German insurer, unprompted.", difficulty=0)
    angles = gather(j, kind="politics", stakeholder_id=j.people["Tom"].id).angles
    tom = [a for a in angles if "Tom" in a.title]
    assert [a.rule for a in tom] == ["stance_check"]      # not "work around the blocker"
    check = tom[0]
    assert not check.leads and check not in lead.leading(angles)
    assert check.cites[0] == friendly.id and refusal.id in check.cites
    assert "Tom forwarded a German insurer" in check.why


def test_a_blocker_is_cited_by_his_refusal_not_his_latest_entries(session):
    j = Journal(session)
    j.person("Tom", stance="blocker", influence=5)
    refusal = noted(j, 200, "EMEA leadership: Tom refuses targets", ["Tom", "Sam"],
                    "Tom refused to carry partner-sourced targets.", difficulty=4)
    later = [noted(j, ago, f"Pipeline call {ago}", ["Tom", "Sam"], "Routine numbers.",
                   difficulty=2) for ago in (40, 20, 9)]
    angle = next(a for a in gather(j, kind="politics").angles
                 if a.rule == "influential_blocker")
    assert angle.cites == [refusal.id]
    assert not set(angle.cites) & {e.id for e in later}
    assert "Tom refuses targets" in angle.why


def test_a_stance_no_entry_shows_says_so(session):
    j = Journal(session)
    j.person("Zoe", stance="skeptic", influence=4)
    angle = next(a for a in gather(j).angles if a.rule == "influential_skeptic")
    assert angle.cites == [] and "no entry shows it" in angle.why


def test_a_healthy_partner_gets_forward_looking_items(session):
    j = Journal(session)
    governance.add_cadence(session=j.s, cadence_in={
        "partner_id": j.partner.id, "kind": "qbr", "every_days": 90,
        "next_due": TODAY + timedelta(days=12)})
    j.promise("them", 10, "kept", settled_ago=4)
    j.person("Vera", stance="neutral", influence=4, role="CFO")
    angles = gather(j, kind="strategy").angles
    rules = {a.rule for a in angles}
    assert {"next_meeting", "thank_kept", "widen"} <= rules
    assert sum(a.leads for a in angles) == 3


def test_prepare_knows_the_meeting_ahead_what_is_owed_the_room_and_an_agenda(session):
    j = Journal(session)
    governance.add_cadence(session=j.s, cadence_in={
        "partner_id": j.partner.id, "kind": "other", "every_days": 120,
        "label": "Architecture board", "next_due": TODAY + timedelta(days=5)})
    j.promise("us", 10)                      # ours, overdue before the board
    j.promise("them", -3)                    # theirs, due before it
    angles = gather(j, kind="prepare").angles
    first = angles[0]
    assert first.rule == "next_meeting" and first.leads
    assert f"{TODAY + timedelta(days=5)}" in first.title and "in 5 days" in first.title
    assert "we owe: 'us promise'" in first.why and "They owe: 'them promise'" in first.why
    assert "In the room: Sam, Nico (as at 'Deal support')" in first.why   # the latest meeting
    assert all(f"{n}. " in first.first_step for n in (1, 2, 3))
    # the other questions do not lead with it
    assert gather(j, kind="trust").angles[0].rule != "next_meeting"
    # the brief names the governance date: the same meeting, with its own label and room
    named = gather(j, kind="prepare", meeting_date=TODAY + timedelta(days=5)).angles[0]
    assert named.title == first.title and named.why == first.why


def test_prepare_takes_the_date_the_user_names(session):
    j = Journal(session)
    day = TODAY + timedelta(days=9)
    first = gather(j, kind="prepare", meeting_date=day).angles[0]
    assert first.rule == "next_meeting" and f"{day}" in first.title


def test_the_question_chooses_the_leading_angles(session):
    j = Journal(session)
    j.promise("us", 10)                                      # trust
    j.person("Tom", stance="blocker", influence=5)           # politics
    j.person("Zoe", stance="skeptic", influence=4)           # politics
    _no_governance_partner = j.entry(1, "Planning", ["Sam"])  # noqa: F841
    lead_of = {kind: [a.rule for a in gather(j, kind=kind).angles if a.leads]
               for kind in ("trust", "politics")}
    assert lead_of["trust"][0] == "our_overdue_promise"
    assert lead_of["politics"][:2] == ["influential_blocker", "influential_skeptic"]
    free = [a.rule for a in gather(j, kind="free", question="How do I handle Zoe, the skeptic?")
            .angles if a.leads]
    assert free[0] == "influential_skeptic"
    assert all(len([a for a in gather(j, kind=k).angles if a.leads]) <= 3
               for k in ("trust", "politics", "strategy", "prepare"))


def test_within_two_days_only_for_a_recent_entry(session):
    j = Journal(session)
    old = j.entry(120, "Escalation in March", ["Cara"], difficulty=4)
    fresh = j.entry(2, "Escalation this week", ["Cara"], difficulty=4)
    old_step = gather(j, interaction_id=old.id).angles[0].first_step
    fresh_step = gather(j, interaction_id=fresh.id).angles[0].first_step
    assert fresh_step.startswith("Within two days")
    assert "two days" not in old_step and old_step.startswith("It was 4 months ago")


def test_another_partners_precedent_is_restated_in_this_partners_people(session):
    j = Journal(session)
    _precedent(j, (7, 6, 5, 4))
    other = journal.resolve_partner(session=j.s, name="Helix")
    dana = journal.create_stakeholder(session=j.s, stakeholder_in={
        "partner_id": other.id, "name": "Dana Whitfield"})
    visit = next(i for i in journal.list_interactions(session=j.s, partner_id=other.id))
    commitments.add_commitment(session=j.s, commitment_in={
        "partner_id": other.id, "owed_by": "us", "interaction_id": visit.id,
        "text": f"Weekly listing status note to {dana.name.split()[0]}"})
    j.promise("us", 5)
    angle = next(a for a in gather(j).angles if a.rule == "what_worked_before")
    text = angle.why + angle.first_step
    assert "Dana" not in text and "Weekly listing" not in text and "Went to see" not in text
    assert "Cara" in angle.first_step and "'us promise'" in angle.first_step


def test_your_own_plan_leads_quoted_and_a_done_step_is_dropped(session):
    j = Journal(session)
    hard = journal.create_interaction(session=j.s, interaction_in={
        "partner_id": j.partner.id, "title": "Hard review", "occurred_at": days_ago(6),
        "difficulty": 4, "reflection": "## How I felt\n\nTired.\n\n## What I will do next\n\n"
        "- Call Cara about the missed integration date.\n"
        "- Send Cara a written recovery plan with owners and dates."})
    journal.create_interaction(session=j.s, interaction_in={
        "partner_id": j.partner.id, "title": "Call with Cara", "occurred_at": days_ago(3),
        "notes": "Called Cara about the missed integration date; she listened."})
    angles = gather(j, kind="trust").angles
    plan = angles[0]
    assert plan.rule == "own_plan" and plan.leads
    assert "Send Cara a written recovery plan with owners and dates" in plan.title
    assert "Done since: 'Call Cara about the missed integration date'" in plan.why
    assert hard.id in plan.cites and _find(j, "Call with Cara") in plan.cites


def test_cli_shows_the_leading_angles_then_all_and_json_carries_leads_and_timing(cli):
    import json

    assert cli("demo")[0] == 0
    code, out, _ = cli("advise", "--partner", "Kestrel", "--about", "prepare", "--no-model")
    assert code == 0 and out.count("\n1. ") == 1 and "\n4. " not in out
    assert "Prepare the Joint architecture board" in out and "more angle" in out and "--all" in out
    code, everything, _ = cli("advise", "--partner", "Kestrel", "--no-model", "--all")
    assert "\n4. " in everything and "more angle" not in everything
    code, out, _ = cli("advise", "--partner", "Kestrel", "--no-model", "--json",
                       "--meeting-date", "2099-01-05")
    data = json.loads(out)
    assert sum(a["leads"] for a in data["angles"]) == 3
    assert data["angles"][0]["rule"] == "next_meeting" and "2099-01-05" in data["angles"][0][
        "title"]
    assert data["timing"]["angles_seconds"] >= 0 and data["timing"]["first_kept_seconds"] is None
