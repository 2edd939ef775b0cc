"""The entry in question: when the user asks about one entry, what that entry itself shows (its
difficulty, its people, the promises made there, the trust reading taken after it) is the first
angle, and the angles its signals raise come next. Texts in resources/playbook.toml [focus]."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from models.tables import OwedBy
from services.advice import forward
from services.advice.playbook import PLAYBOOK, Angle, urgency
from services.advice.signals import PartnerSnapshot


@cache
def focus_config(path: Path = PLAYBOOK) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))["focus"]


def entry_angle(s: PartnerSnapshot, entry) -> Angle:
    """What the selected entry itself shows: its difficulty, its people, the promises made
    there and the trust reading taken after it."""
    cfg = focus_config()
    people = [p for p in (s.person(i) for i in s.participants.get(entry.id, [])) if p]
    promises = [c for c in s.commitments if c.interaction_id == entry.id]
    reading = next((r for r in s.readings if r.interaction_id == entry.id), None)
    facts = {"title": entry.title, "when": f"{entry.occurred_at:%Y-%m-%d}",
             "kind": entry.kind.value, "difficulty": entry.difficulty,
             "people": (" with " + ", ".join(f"{p.name} ({p.stance.value})" for p in people))
             if people else "",
             "promises": ("; promises made there: " + "; ".join(
                 f"{'we' if c.owed_by == OwedBy.us else 'they'} owe '{c.text}' "
                 f"({c.status.value})" for c in promises)) if promises else "",
             "reading": (f"; trust reading after it (each 1-10): credibility "
                         f"{reading.credibility}, reliability {reading.reliability}, intimacy "
                         f"{reading.intimacy}, self-orientation {reading.self_orientation}")
             if reading else "",
             "person": people[0].name if people else "your counterpart",
             "soon": forward.when_step(s, entry)}
    step = ("first_step_hard" if entry.difficulty >= cfg["hard_at_least"] else
            "first_step_promises" if promises else "first_step")
    return Angle(rule="selected_entry", category=cfg["category"],
                 title=cfg["title"].format(**facts), why=cfg["why"].format(**facts),
                 first_step=cfg[step].format(**facts), cites=[entry.id],
                 urgency=urgency(cfg["severity"], s, entry.occurred_at))


def focus_first(s: PartnerSnapshot, entry, found: list[Angle]) -> list[Angle]:
    """The selected entry's own angle, then the angles its signals raise (they cite it, name
    its people or its promises), then the rest in their order."""
    names = [p.name for p in (s.person(i) for i in s.participants.get(entry.id, [])) if p]
    promises = [c.text for c in s.commitments if c.interaction_id == entry.id]

    def touches(a: Angle) -> bool:
        text = a.title + " " + a.why
        return entry.id in a.cites or any(n in text for n in names + promises)

    return [entry_angle(s, entry)] + sorted(found, key=lambda a: not touches(a))
