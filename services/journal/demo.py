"""The embedded sample journal (resources/sample_journal.toml), loaded relative to today."""

from __future__ import annotations

import random
import re
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import Session

from models.tables import StanceChange
from services import journal
from services.errors import Conflict
from services.journal import commitments, trust
from services.paths import resource
from services.practice import checkups, governance
from services.sync import capture as sync_capture

SAMPLE = resource("sample_journal.toml")
ROUTINE_EVERY_DAYS = 22
SPAN_DAYS = 545  # eighteen months


def unwrap(text: str) -> str:
    """Join the hard-wrapped lines of the TOML source into paragraphs (a list keeps one line
    per '- ' item)."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(re.sub(r" (?=- )", "\n", " ".join(line.strip() for line in p.splitlines()))
                         if p.lstrip().startswith("- ") else
                         " ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def load_sample(*, session: Session, today: date | None = None, source: Path = SAMPLE) -> dict:
    """Load the sample journal; refuses if any of its partners is already in the journal."""
    today = today or date.today()
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    for p in data["partner"]:
        if journal.find_partner(session=session, name=p["name"]):
            raise Conflict(f"The sample journal is already loaded ('{p['name']}' exists).")
    # every device that loads the sample makes the same rows: synced, they are one, not twins
    session.info[sync_capture.NATURAL] = "sample-journal"
    rng = random.Random(7)
    counts = {"partners": 0, "stakeholders": 0, "interactions": 0, "commitments": 0,
              "trust_readings": 0, "health_checks": 0, "governance_cadences": 0}

    def when(days_ago: int, hour: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(hour, rng.choice((0, 30))))

    for p in data["partner"]:
        partner = journal.create_partner(session=session, partner_in={
            k: p[k] for k in ("name", "kind", "status", "stage") if k in p}
            | {"summary": unwrap(p["summary"])})
        counts["partners"] += 1
        people = {}
        for s in p["stakeholder"]:
            fields = {k: v for k, v in s.items() if k not in ("was", "touch")}
            if "touch" in s:  # a keep-in-touch cadence of their own
                fields |= {"touch_ideal_days": s["touch"]["ideal"],
                           "touch_max_days": s["touch"]["max"]}
            person = journal.create_stakeholder(session=session, stakeholder_in=fields | {
                "partner_id": partner.id, "notes": unwrap(s.get("notes", ""))})
            people[person.name] = person
            counts["stakeholders"] += 1
            if "was" in s:  # a stance that moved: recorded as the journal would have
                session.add(StanceChange(
                    stakeholder_id=person.id, partner_id=partner.id, old=s["was"]["stance"],
                    new=person.stance, changed_at=when(s["was"]["days_ago"], 18)))
                session.flush()
        for entry in p["interaction"]:
            occurred = when(entry["days_ago"], rng.randint(9, 17))
            interaction = journal.create_interaction(session=session, interaction_in={
                "partner_id": partner.id, "occurred_at": occurred, "kind": entry["kind"],
                "title": entry["title"], "notes": unwrap(entry["notes"]),
                "reflection": unwrap(entry.get("reflection", "")),
                "difficulty": entry.get("difficulty", 0), "tags": entry.get("tags", []),
                "participant_ids": [people[n].id for n in entry.get("with", [])]})
            counts["interactions"] += 1
            readings = [(None, entry["trust"])] if "trust" in entry else []
            readings += [(people[r["name"]].id, r) for r in entry.get("stakeholder_trust", [])]
            for stakeholder_id, r in readings:
                trust.add_reading(session=session, reading_in={
                    "partner_id": partner.id, "stakeholder_id": stakeholder_id,
                    "interaction_id": interaction.id, "taken_at": occurred + timedelta(hours=2),
                    "credibility": r["c"], "reliability": r["r"], "intimacy": r["i"],
                    "self_orientation": r["s"]})
                counts["trust_readings"] += 1
            for c in entry.get("commitment", []):
                due = occurred.date() + timedelta(days=c["due_in"])
                promise = commitments.add_commitment(session=session, commitment_in={
                    "partner_id": partner.id, "interaction_id": interaction.id,
                    "owed_by": c["owed_by"], "text": c["text"], "status": c["status"],
                    "due": due})
                if promise.resolved_at is not None:  # settled around its due date, not today
                    settled = min(due + timedelta(days=rng.randint(-5, 3)), today)
                    promise.resolved_at = datetime.combine(settled, time(17, 0))
                    session.add(promise)
                    session.flush()
                counts["commitments"] += 1
        for c in p.get("checkup", []):  # the health-check history (issue 14)
            checkups.add_checkup(session=session, checkup_in={
                k: v for k, v in c.items() if k != "days_ago"} | {
                "partner_id": partner.id, "taken_on": today - timedelta(days=c["days_ago"])})
            counts["health_checks"] += 1
        for g in p.get("governance", []):  # next_in < 0: overdue unless held since
            governance.add_cadence(session=session, cadence_in={
                "partner_id": partner.id, "kind": g["kind"], "every_days": g["every"],
                "label": g.get("label", ""), "next_due": today + timedelta(days=g["next_in"])})
            counts["governance_cadences"] += 1
        contacts = [s for s in people.values() if s.side == "partner" and s.active]
        first_met: dict[str, int] = {}   # a routine entry only with someone the story has met
        for entry in p.get("interaction", []):
            for name in entry.get("with", []):
                first_met[name] = max(first_met.get(name, -1), entry["days_ago"])
        for n, days_ago in enumerate(range(SPAN_DAYS, 3, -ROUTINE_EVERY_DAYS)):
            template = data["routine"][(n + counts["partners"]) % len(data["routine"])]
            contact = contacts[n % len(contacts)]
            if first_met.get(contact.name, SPAN_DAYS) < days_ago:
                met = [c for c in contacts if first_met.get(c.name, SPAN_DAYS) >= days_ago]
                contact = met[n % len(met)] if met else contact
            # a routine call with a skeptic or a blocker is never one that 'went well'
            against = contact.stance in ("blocker", "skeptic")
            journal.create_interaction(session=session, interaction_in={
                "partner_id": partner.id, "kind": template["kind"],
                "occurred_at": when(days_ago - rng.randint(0, 5), rng.randint(8, 18)),
                "title": template["title"].format(name=contact.name),
                "notes": unwrap(template["notes"]),
                "difficulty": max(rng.choice((0, 0, 1, 1, 2)), 2 if against else 0),
                "participant_ids": [] if template["kind"] == "internal" else [contact.id]})
            counts["interactions"] += 1
    return counts
