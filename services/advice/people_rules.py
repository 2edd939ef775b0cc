"""The playbook's rules about people: the stakeholder map read against the journal (a blocker or
a skeptic with influence, our own side not aligned, a champion who left or none at all, a
relationship that runs through one person). A stance is cited by the entries that show it and
asked to be confirmed when later entries say otherwise (services/advice/people_reading.py).
Texts in resources/playbook.toml."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from models.tables import Side, Stance
from services.advice import people_reading
from services.advice.signals import PartnerSnapshot, Signal


def _last_seen(s: PartnerSnapshot, person) -> tuple[str, list[int], datetime | None]:
    seen = s.with_person(person.id)
    if not seen:
        return "", [], None
    return (f"; last seen at '{seen[0].title}' ({seen[0].occurred_at:%Y-%m-%d})",
            [i.id for i in seen[:3]], seen[0].occurred_at)


def people(s: PartnerSnapshot, side: Side, stances: tuple, min_influence: int = 1,
           active: bool = True):
    return sorted((p for p in s.stakeholders if p.side == side and p.stance in stances
                   and p.influence >= min_influence and p.active == active),
                  key=lambda p: -p.influence)


def _person_signal(s: PartnerSnapshot, person, extra: dict | None = None) -> Signal:
    last, cites, when = _last_seen(s, person)
    return Signal({"name": person.name, "role": person.role or "no role noted",
                   "influence": person.influence, "stance": person.stance.value, "last": last,
                   **(extra or {})}, cites, when)


def _stance_signal(s: PartnerSnapshot, person, extra: dict | None = None) -> Signal:
    """An angle on someone's stance cites the entries that show it (a refusal), not the latest
    ones that mention them; when a later entry says otherwise, it asks to confirm the stance."""
    reading = people_reading.read_stance(s, person)
    shown = reading.shown_by[:3]
    last = (f"; shown at '{shown[0].title}' ({shown[0].occurred_at:%Y-%m-%d})" if shown else
            "; no entry shows it: the stance rests on your own judgement")
    facts = {"name": person.name, "role": person.role or "no role noted",
             "influence": person.influence, "stance": person.stance.value, "last": last,
             **(extra or {})}
    when = shown[0].occurred_at if shown else reading.set_at
    later = reading.contradicted_by
    if later is None:
        return Signal(facts, reading.cites, when)
    facts |= {"later": later.title, "later_date": f"{later.occurred_at:%Y-%m-%d}",
              "says": reading.contradiction.rstrip(".")}
    return Signal(facts, [later.id] + reading.cites, later.occurred_at, as_rule="stance_check")


def ally(s: PartnerSnapshot) -> str:
    """Who can carry an idea to a blocker: a champion if there is one, else a supporter named
    as a supporter (never a supporter called a champion)."""
    for stance in (Stance.champion, Stance.supporter):
        found = people(s, Side.partner, (stance,))
        if found:
            return f"a {stance.value} close to them ({found[0].name})"
    return "someone they trust"


def r_influential_blocker(s, cfg):
    found = people(s, Side.partner, (Stance.blocker,), cfg["min_influence"])
    if not found:
        return None
    return _stance_signal(s, found[0], {"ally": ally(s)})


def r_influential_skeptic(s, cfg):
    found = people(s, Side.partner, (Stance.skeptic,), cfg["min_influence"])
    return _stance_signal(s, found[0], {"ally": ally(s)}) if found else None


def r_internal_misalignment(s, cfg):
    found = people(s, Side.internal, (Stance.skeptic, Stance.blocker))
    return _stance_signal(s, found[0], {"ally": ally(s)}) if found else None


def r_champion_left(s, cfg):
    found = people(s, Side.partner, (Stance.champion, Stance.supporter), active=False)
    if not found:
        return None
    signal = _person_signal(s, found[0])
    after = people_reading.successor(s, found[0])
    if after is not None:   # the successor was met since: build on them, do not ask for them
        person, met = after
        signal.facts |= {"successor": person.name, "successor_role": person.role or "no role",
                         "times": len(met), "titles": "; ".join(f"'{i.title}'" for i in met[:2])}
        signal.cites = [i.id for i in met[:2]] + signal.cites[:1]
        signal.when, signal.as_rule = met[0].occurred_at, "successor_met"
    return signal


def r_no_champion(s, cfg):
    theirs = [p for p in s.stakeholders if p.side == Side.partner and p.active]
    if len(theirs) < 2 or any(p.stance == Stance.champion for p in theirs):
        return None
    supporters = people(s, Side.partner, (Stance.supporter,))
    return Signal({"count": len(theirs), "partner": s.partner.name,
                   "candidate": supporters[0].name if supporters else "a neutral contact"}, [])


def r_single_threaded(s, cfg):
    recent = [i for i in s.interactions if i.kind.value != "internal"][:10]
    if len(recent) < cfg["min_entries"]:
        return None
    counts = Counter(pid for i in recent for pid in set(s.participants.get(i.id, [])))
    if not counts:
        return None
    person_id, n = counts.most_common(1)[0]
    if n / len(recent) < cfg["share"] or len(counts) > 2:
        return None
    person = s.person(person_id)
    return Signal({"name": person.name, "share": round(100 * n / len(recent))},
                  [i.id for i in recent[:3]], recent[0].occurred_at)
