"""Each playbook rule fires on a journal that shows its signal, and stays quiet on one that
does not; a healthy partner raises no alarm; angles are ranked by urgency."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from services import journal
from services.advice import playbook
from services.advice.signals import load_snapshot
from services.journal import commitments, trust

TODAY = date(2026, 6, 1)


def days_ago(n: int, hour: int = 10) -> datetime:
    return datetime.combine(TODAY - timedelta(days=n), datetime.min.time()).replace(hour=hour)


class Journal:
    """A healthy alliance, built through the services, that each test then bends."""

    def __init__(self, session):
        self.s = session
        self.partner = journal.create_partner(session=session, partner_in={"name": "Acme"})
        self.people = {}
        for name, stance, influence in (("Cara", "champion", 4), ("Sam", "supporter", 3),
                                        ("Nico", "neutral", 2)):
            self.person(name, stance=stance, influence=influence)
        self.entry(100, "Kick-off", ["Cara", "Sam"])
        self.entry(60, "Working session", ["Sam", "Nico"])
        self.entry(40, "Pipeline call", ["Cara"])
        self.entry(20, "Steering committee", ["Cara", "Sam"], tags=["steerco"])
        self.entry(5, "Deal support", ["Nico", "Sam"])
        self.reading(30, 8, 8, 7, 3)
        self.reading(4, 8, 8, 8, 3)

    def person(self, name, **extra):
        p = journal.create_stakeholder(session=self.s, stakeholder_in={
            "partner_id": self.partner.id, "name": name} | extra)
        self.people[name] = p
        return p

    def entry(self, ago, title, people=(), difficulty=1, tags=(), kind="meeting"):
        return journal.create_interaction(session=self.s, interaction_in={
            "partner_id": self.partner.id, "title": title, "occurred_at": days_ago(ago),
            "difficulty": difficulty, "tags": list(tags), "kind": kind,
            "participant_ids": [self.people[p].id for p in people]})

    def reading(self, ago, c, r, i, s, person=None, entry=None):
        return trust.add_reading(session=self.s, reading_in={
            "partner_id": self.partner.id, "credibility": c, "reliability": r, "intimacy": i,
            "self_orientation": s, "taken_at": days_ago(ago, 12),
            "stakeholder_id": self.people[person].id if person else None,
            "interaction_id": entry.id if entry else None})

    def promise(self, owed_by, due_ago, status="open", settled_ago=None):
        c = commitments.add_commitment(session=self.s, commitment_in={
            "partner_id": self.partner.id, "owed_by": owed_by, "text": f"{owed_by} promise",
            "due": TODAY - timedelta(days=due_ago), "status": status,
            "interaction_id": self.entry(due_ago + 30, "Where it was promised").id})
        if settled_ago is not None:
            c.resolved_at = days_ago(settled_ago)
            self.s.add(c)
            self.s.commit()
        return c

    def update(self, name, **changes):
        journal.update_stakeholder(session=self.s, stakeholder_id=self.people[name].id,
                                   stakeholder_in=changes)

    def angles(self, **kw):
        return playbook.angles(load_snapshot(session=self.s, partner_id=self.partner.id,
                                             today=TODAY), **kw)


def _many_with_cara(j):
    for n in range(10):
        j.entry(3 - n * 0.1, f"Call {n}", ["Cara"])


def _no_governance(j, steerco_ago):
    for n in range(4):
        j.entry(10 + n, f"Sync {n}", ["Sam"])
    j.update("Cara", stance="champion")
    if steerco_ago is None:
        journal.update_interaction(session=j.s, interaction_id=_find(j, "Steering committee"),
                                   interaction_in={"title": "Planning", "tags": []})


def _find(j, title):
    return next(i.id for i in journal.list_interactions(session=j.s) if i.title == title)


def _checkups(j, *views):
    from services.practice import checkups

    for n, (ours, theirs) in enumerate(views):
        data = {"partner_id": j.partner.id, "taken_on": TODAY - timedelta(days=100 - 90 * n)}
        for axis, mine, their in zip(checkups.AXES, ours, theirs, strict=True):
            data[axis], data[f"their_{axis}"] = mine, their
        checkups.add_checkup(session=j.s, checkup_in=data)


def _qbr_due(j, days_ago):
    from services.practice import governance

    governance.add_cadence(session=j.s, cadence_in={
        "partner_id": j.partner.id, "kind": "qbr", "every_days": 90,
        "next_due": TODAY - timedelta(days=days_ago)})


def _precedent(j, back_to):
    """Another partner's drop (4.50 -> 2.00) 100 days ago, then a reading at `back_to`
    (c, r, i, s); Acme's trust falls now (8.00 -> 5.00)."""
    other = journal.create_partner(session=j.s, partner_in={"name": "Helix"})

    def read(ago, c, r, i, s, entry=None):
        trust.add_reading(session=j.s, reading_in={
            "partner_id": other.id, "credibility": c, "reliability": r, "intimacy": i,
            "self_orientation": s, "taken_at": days_ago(ago, 12), "interaction_id": entry})
    read(110, 7, 6, 5, 4)
    read(100, 5, 3, 4, 6)
    visit = journal.create_interaction(session=j.s, interaction_in={
        "partner_id": other.id, "title": "Went to see them", "occurred_at": days_ago(98),
        "reflection": "Owned it."})
    read(55, *back_to, entry=visit.id)
    j.reading(1, 7, 6, 7, 4)


# rule -> (bend the journal so it fires, bend it almost as far so it does not)
CASES = {
    "health_gap": (lambda j: _checkups(j, ((4, 3, 3), (2, 3, 3))),
                   lambda j: _checkups(j, ((4, 3, 3), (3, 3, 3)))),
    "health_drop": (lambda j: _checkups(j, ((4, 4, 4), (None,) * 3), ((4, 2, 4), (None,) * 3)),
                    lambda j: _checkups(j, ((4, 4, 4), (None,) * 3), ((4, 3, 4), (None,) * 3))),
    "governance_overdue": (lambda j: _qbr_due(j, 1), lambda j: _qbr_due(j, 0)),
    "what_worked_before": (lambda j: _precedent(j, (7, 6, 5, 4)),      # back to 4.50
                           lambda j: _precedent(j, (6, 5, 5, 4))),     # 4.00: under 90%
    "our_overdue_promise": (lambda j: j.promise("us", 10), lambda j: j.promise("us", -10)),
    "our_broken_promise": (lambda j: j.promise("us", 25, "broken", settled_ago=20),
                           lambda j: j.promise("us", 420, "broken", settled_ago=400)),
    "their_overdue_promise": (lambda j: j.promise("them", 3), lambda j: j.promise("them", -3)),
    "their_broken_promise": (lambda j: j.promise("them", 25, "broken", settled_ago=20),
                             lambda j: j.promise("them", 25, "kept", settled_ago=20)),
    "trust_fell": (lambda j: j.reading(1, 7, 6, 7, 4), lambda j: j.reading(1, 8, 8, 7, 3)),
    "reliability_fell": (lambda j: j.reading(1, 9, 5, 9, 3), lambda j: j.reading(1, 8, 7, 8, 3)),
    "low_intimacy": (lambda j: j.reading(1, 8, 8, 3, 3), lambda j: j.reading(1, 8, 8, 5, 3)),
    "high_self_orientation": (lambda j: j.reading(1, 9, 9, 9, 7),
                              lambda j: j.reading(1, 9, 9, 9, 6)),
    "low_credibility": (lambda j: j.reading(1, 4, 9, 9, 3), lambda j: j.reading(1, 5, 8, 8, 3)),
    "influential_blocker": (lambda j: j.person("Tom", stance="blocker", influence=5),
                            lambda j: j.person("Tom", stance="blocker", influence=3)),
    "influential_skeptic": (lambda j: j.person("Zoe", stance="skeptic", influence=4),
                            lambda j: j.person("Zoe", stance="skeptic", influence=3)),
    "internal_misalignment": (lambda j: j.person("Chris", side="internal", stance="blocker"),
                              lambda j: j.person("Chris", side="internal", stance="supporter")),
    "champion_left": (lambda j: j.update("Cara", active=False),
                      lambda j: j.update("Nico", active=False)),
    "no_champion": (lambda j: j.update("Cara", stance="supporter"),
                    lambda j: j.update("Sam", stance="neutral")),
    "no_contact": (lambda j: [journal.delete_interaction(session=j.s, interaction_id=_find(
                       j, t)) for t in ("Deal support", "Steering committee", "Pipeline call")],
                   lambda j: journal.delete_interaction(session=j.s, interaction_id=_find(
                       j, "Deal support"))),
    "repeated_difficult": (lambda j: (j.entry(30, "Escalation", difficulty=4),
                                      j.entry(10, "Angry call", difficulty=5)),
                           lambda j: (j.entry(120, "Escalation", difficulty=4),
                                      j.entry(10, "Angry call", difficulty=5))),
    "person_trust_fell": (lambda j: (j.reading(20, 8, 8, 8, 3, person="Sam"),
                                     j.reading(2, 6, 5, 6, 5, person="Sam")),
                          lambda j: (j.reading(20, 6, 5, 6, 5, person="Sam"),
                                     j.reading(2, 8, 8, 8, 3, person="Sam"))),
    "single_threaded": (_many_with_cara, lambda j: [j.entry(3, f"Call {n}", ["Cara", "Sam",
                                                                            "Nico"][n % 3:][:1])
                                                    for n in range(10)]),
    "no_governance": (lambda j: _no_governance(j, None), lambda j: _no_governance(j, 20)),
    # issue 21: looking ahead, and stances that age
    "next_meeting": (lambda j: _qbr_due(j, -10), lambda j: _qbr_due(j, 1)),
    "own_plan": (lambda j: _plan(j, done=False), lambda j: _plan(j, done=True)),
    "thank_kept": (lambda j: j.promise("them", 10, "kept", settled_ago=5),
                   lambda j: j.promise("them", 200, "kept", settled_ago=190)),
    "widen": (lambda j: j.person("Vera", stance="neutral", influence=4),
              lambda j: (j.person("Vera", stance="neutral", influence=4),
                         j.entry(10, "Lunch with Vera", ["Vera"]))),
    "stance_check": (lambda j: _stance(j, later="Tom forwarded us a lead, unprompted."),
                     lambda j: _stance(j, later="Tom refused the joint forecast again.")),
    "successor_met": (lambda j: _successor(j, first_met=10), lambda j: _successor(j, 60)),
    "keep_momentum": (lambda j: None, lambda j: j.promise("us", 10)),
}


def _plan(j, *, done: bool):
    entry = journal.create_interaction(session=j.s, interaction_in={
        "partner_id": j.partner.id, "title": "Hard review", "occurred_at": days_ago(6),
        "difficulty": 4, "reflection": "## What I will do next\n\n"
        "- Send Cara the pilot results with one clear ask.\n- Book the follow-up workshop."})
    if done:   # a later entry shows both steps done
        journal.create_interaction(session=j.s, interaction_in={
            "partner_id": j.partner.id, "title": "Follow-up workshop booked",
            "occurred_at": days_ago(2), "notes": "Sent Cara the pilot results with one clear "
            "ask; she booked the follow-up workshop."})
    return entry


def _stance(j, *, later: str):
    j.person("Tom", stance="blocker", influence=5)
    refusal = j.entry(60, "Tom refuses co-sell targets", ["Tom"], difficulty=4)
    journal.update_interaction(session=j.s, interaction_id=refusal.id, interaction_in={
        "notes": "Tom refused to carry partner targets."})
    j.entry(8, "Tom in the pipeline review", ["Tom"], difficulty=2)
    journal.update_interaction(session=j.s, interaction_id=_find(j, "Tom in the pipeline "
                                                                 "review"),
                               interaction_in={"notes": later})


def _successor(j, first_met):
    j.update("Cara", active=False)
    j.person("Dee", stance="neutral", influence=5)
    j.entry(first_met, "First meeting with Dee", ["Dee"])
    j.entry(3, "Dee's review", ["Dee"])


def test_there_are_at_least_fifteen_rules_each_with_text_and_a_case():
    config = playbook.rules_config()
    assert len(playbook.RULES) >= 15
    assert set(playbook.RULES) | playbook.RAISED_INSTEAD == set(config) == set(CASES)
    for rule in config.values():
        assert {"category", "severity", "title", "why", "first_step"} <= set(rule)


def test_a_healthy_partner_gets_a_next_step_and_no_alarm(session):
    angles = Journal(session).angles()
    assert [a.rule for a in angles] == ["keep_momentum"]
    assert "Deal support" in angles[0].why and "Cara" in angles[0].first_step


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_on_its_signal(session, rule):
    j = Journal(session)
    CASES[rule][0](j)
    fired = [a for a in j.angles() if a.rule == rule]
    assert len(fired) == 1, [a.rule for a in j.angles()]
    angle = fired[0]
    assert angle.title and angle.why and angle.first_step and angle.urgency > 0
    assert "{" not in angle.title + angle.why + angle.first_step


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_stays_quiet_just_short_of_it(session, rule):
    j = Journal(session)
    CASES[rule][1](j)
    assert rule not in [a.rule for a in j.angles()]


def test_angles_cite_the_entries_behind_them(session):
    j = Journal(session)
    hard = j.entry(8, "The blow-up", ["Cara"], difficulty=5)
    j.reading(1, 6, 4, 6, 5, entry=hard)
    angle = next(a for a in j.angles() if a.rule == "trust_fell")
    assert hard.id in angle.cites and "The blow-up" in angle.why
    assert "reliability -4" in angle.why


def test_more_recent_and_more_severe_comes_first(session):
    j = Journal(session)
    j.promise("them", 200)            # severity 2, very old: least urgent
    j.promise("us", 2)                # severity 5, fresh: most urgent
    j.person("Zoe", stance="skeptic", influence=4)
    ranked = j.angles()
    assert ranked[0].rule == "our_overdue_promise"
    assert ranked[-1].rule == "their_overdue_promise"
    assert [a.urgency for a in ranked] == sorted((a.urgency for a in ranked), reverse=True)


def test_no_contact_threshold_is_a_setting(session):
    j = Journal(session)
    assert "no_contact" not in [a.rule for a in j.angles(no_contact_days=30)]
    assert "no_contact" in [a.rule for a in j.angles(no_contact_days=3)]


# --- issue 11: angles that read the journal right ------------------------------------------------
def test_reliability_is_reported_on_its_own_scale(session):
    j = Journal(session)                    # the last reading: reliability 8 (index 8.00)
    j.reading(1, 8, 4, 8, 3)                # reliability 8 -> 4 (index 8.00 -> 6.67)
    angle = next(a for a in j.angles() if a.rule == "reliability_fell")
    assert "Reliability fell from 8 to 4 (out of 10)" in angle.why
    assert "8.00" not in angle.why and "6.67" not in angle.why


def test_a_supporter_is_never_called_a_champion(session):
    j = Journal(session)
    j.update("Cara", stance="supporter")   # Cara (influence 4) and Sam: supporters, no champion
    j.person("Tom", stance="blocker", influence=5)
    by_rule = {a.rule: a for a in j.angles()}
    blocker, none = by_rule["influential_blocker"], by_rule["no_champion"]
    assert "a supporter close to them (Cara)" in blocker.first_step
    assert "champion close to them" not in blocker.first_step
    assert "(Cara)" in none.first_step       # the same person, named the same way
    j.update("Sam", stance="champion")
    blocker = next(a for a in j.angles() if a.rule == "influential_blocker")
    assert "a champion close to them (Sam)" in blocker.first_step


def test_the_selected_entry_comes_first_and_reaches_the_prompt(session):
    from services.advice import advisor, prompts

    j = Journal(session)
    j.person("Zoe", stance="skeptic", influence=5)       # an angle that has nothing to do with it
    hard = j.entry(3, "Pricing escalation", ["Sam", "Nico"], difficulty=4)
    commitments.add_commitment(session=session, commitment_in={
        "partner_id": j.partner.id, "owed_by": "us", "text": "Revised price list",
        "due": TODAY + timedelta(days=7), "interaction_id": hard.id})
    j.reading(2, 7, 6, 5, 5, entry=hard)
    calm = j.entry(2, "Joint webinar planning", ["Cara"])

    def ask(entry):
        return advisor.gather(session=session, today=TODAY, request=advisor.AdviceRequest(
            partner_id=j.partner.id, kind="trust",
            interaction_id=entry.id if entry else None))

    none, first, second = ask(None), ask(hard), ask(calm)
    assert all(a.rule != "selected_entry" for a in none.angles)
    top = first.angles[0]
    assert top.rule == "selected_entry" and top.cites == [hard.id]
    assert "difficulty 4/5" in top.why and "Sam (supporter)" in top.why
    assert "we owe 'Revised price list' (open)" in top.why and "reliability 6" in top.why
    assert "follow up with Sam" in top.first_step
    assert second.angles[0].title == "Start from this entry: Joint webinar planning"
    assert [a.title for a in first.angles] != [a.title for a in second.angles]
    assert f"[#{hard.id}]" in prompts.angle_prompt(first, first.angles[-1])[1]
