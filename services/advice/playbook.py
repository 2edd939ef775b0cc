"""The playbook: deterministic rules over a partner's signals, each giving an angle with why, the
entries it rests on, and a first step. Instant, and needs no model.

Texts and thresholds live in resources/playbook.toml; each rule's detection is one function here.
Angles are ranked by urgency = severity x recency (a signal from today weighs 1, from 45 days ago
0.5), most urgent first.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from models.tables import CommitmentStatus, OwedBy, Side, Stance
from services.advice import forward, people_reading, precedents
from services.advice.signals import PartnerSnapshot, Signal, since
from services.journal.trust import index_drop
from services.paths import resource
from services.practice import checkups

PLAYBOOK = resource("playbook.toml")
HALF_LIFE_DAYS = 45
UNCITED = "No entry shows this: it comes from what the journal records, not from a note."
GOVERNANCE_WORDS = ("steerco", "governance", "steering", "business review", "qbr")


@dataclass
class Angle:
    rule: str
    category: str
    title: str
    why: str
    first_step: str
    cites: list[int] = field(default_factory=list)
    urgency: float = 0.0
    leads: bool = False        # among the few answering the question asked (services/advice/lead.py)
    quotes: list[dict] = field(default_factory=list)   # the journal's own words (quotes.py)

    def as_dict(self) -> dict:
        return asdict(self)


@cache
def rules_config(path: Path = PLAYBOOK) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))["rules"]


def _fmt(value: float) -> str:
    return f"{value:.2f}"


def _more(items: list) -> str:
    return f" (and {len(items) - 1} more)" if len(items) > 1 else ""


def _last_seen(s: PartnerSnapshot, person) -> tuple[str, list[int], datetime | None]:
    seen = s.with_person(person.id)
    if not seen:
        return "", [], None
    return (f"; last seen at '{seen[0].title}' ({seen[0].occurred_at:%Y-%m-%d})",
            [i.id for i in seen[:3]], seen[0].occurred_at)


# --- rules: one function each, returning a Signal or None --------------------------------------
def _overdue(s: PartnerSnapshot, owed_by: OwedBy) -> Signal | None:
    items = sorted(s.overdue(owed_by), key=lambda c: c.due)
    if not items:
        return None
    c = items[0]
    return Signal({"text": c.text, "due": c.due.isoformat(), "days": (s.today - c.due).days,
                   "more": _more(items)},
                  [x.interaction_id for x in items if x.interaction_id], c.due)


def _broken(s: PartnerSnapshot, owed_by: OwedBy, cfg: dict) -> Signal | None:
    items = [c for c in s.commitments_of(owed_by, CommitmentStatus.broken)
             if s.days_ago(c.resolved_at or c.due or c.created_at) <= cfg["window_days"]]
    if not items:
        return None
    items.sort(key=lambda c: c.resolved_at or datetime.combine(c.due or s.today,
                                                               datetime.min.time()), reverse=True)
    c = items[0]
    return Signal({"text": c.text, "due": c.due.isoformat() if c.due else "no date",
                   "more": _more(items)},
                  [x.interaction_id for x in items if x.interaction_id],
                  c.resolved_at or c.due)


def _moved(before, after) -> str:
    parts = []
    for name, attr in (("credibility", "credibility"), ("reliability", "reliability"),
                       ("intimacy", "intimacy"), ("self-orientation", "self_orientation")):
        delta = getattr(after, attr) - getattr(before, attr)
        if delta:
            parts.append(f"{name} {'+' if delta > 0 else ''}{delta}")
    return f" ({', '.join(parts)})" if parts else ""


def _fell(s: PartnerSnapshot, readings, drop: float, extra: dict | None = None):
    pair = index_drop(readings, drop)
    if pair is None:
        return None
    before, after = pair
    title = next((i.title for i in s.interactions if i.id == after.interaction_id), "the latest "
                 "reading")
    return Signal({"before": _fmt(before.trust_index), "after": _fmt(after.trust_index),
                   "title": title, "moved": _moved(before, after), **(extra or {})},
                  [r.interaction_id for r in (after, before) if r.interaction_id], after.taken_at)


def _component(s: PartnerSnapshot, attr: str, cfg: dict) -> Signal | None:
    if not s.readings:
        return None
    latest = s.readings[-1]
    value = getattr(latest, attr)
    low = "at_most" in cfg and value <= cfg["at_most"]
    high = "at_least" in cfg and value >= cfg["at_least"]
    if not (low or high):
        return None
    title = next((i.title for i in s.interactions if i.id == latest.interaction_id), "undated")
    return Signal({"value": value, "title": title},
                  [latest.interaction_id] if latest.interaction_id else [], latest.taken_at)


def _people(s: PartnerSnapshot, side: Side, stances: tuple, min_influence: int = 1,
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
        found = _people(s, Side.partner, (stance,))
        if found:
            return f"a {stance.value} close to them ({found[0].name})"
    return "someone they trust"


def r_influential_blocker(s, cfg):
    found = _people(s, Side.partner, (Stance.blocker,), cfg["min_influence"])
    if not found:
        return None
    return _stance_signal(s, found[0], {"ally": ally(s)})


def r_influential_skeptic(s, cfg):
    found = _people(s, Side.partner, (Stance.skeptic,), cfg["min_influence"])
    return _stance_signal(s, found[0], {"ally": ally(s)}) if found else None


def r_internal_misalignment(s, cfg):
    found = _people(s, Side.internal, (Stance.skeptic, Stance.blocker))
    return _stance_signal(s, found[0], {"ally": ally(s)}) if found else None


def r_champion_left(s, cfg):
    found = _people(s, Side.partner, (Stance.champion, Stance.supporter), active=False)
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
    supporters = _people(s, Side.partner, (Stance.supporter,))
    return Signal({"count": len(theirs), "partner": s.partner.name,
                   "candidate": supporters[0].name if supporters else "a neutral contact"}, [])


def r_no_contact(s, cfg):
    last = s.last_contact
    if last is None:
        return None
    days = s.days_ago(last.occurred_at)
    if days < cfg["days"]:
        return None
    return Signal({"days": days, "partner": s.partner.name, "title": last.title}, [last.id])


def r_repeated_difficult(s, cfg):
    hard = [i for i in since(s, cfg["window_days"]) if i.difficulty >= cfg["at_least"]]
    if len(hard) < cfg["count"]:
        return None
    return Signal({"count": len(hard), "window": cfg["window_days"], "threshold": cfg["at_least"],
                   "titles": "; ".join(f"'{i.title}'" for i in hard[:3])},
                  [i.id for i in hard], hard[0].occurred_at)


def r_reliability_fell(s, cfg):
    """Reliability on its own 1-10 scale (7 to 4), not the trust index."""
    if len(s.readings) < 2:
        return None
    before, after = s.readings[-2], s.readings[-1]
    if before.reliability - after.reliability < cfg["drop"]:
        return None
    title = next((i.title for i in s.interactions if i.id == after.interaction_id),
                 "the latest reading")
    return Signal({"before": before.reliability, "after": after.reliability, "title": title},
                  [r.interaction_id for r in (after, before) if r.interaction_id], after.taken_at)


def r_person_trust_fell(s, cfg):
    found = []
    for person_id, readings in s.person_readings.items():
        person = s.person(person_id)
        signal = _fell(s, readings, cfg["drop"], {"name": person.name if person else "?"})
        if signal:
            found.append(signal)
    return max(found, key=lambda x: x.when) if found else None


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


def r_no_governance(s, cfg):
    window = since(s, cfg["window_days"])
    if len(s.interactions) < cfg["min_entries"]:
        return None
    for i in window:
        text = (i.title + " " + " ".join(s.tags.get(i.id, []))).lower()
        if any(word in text for word in GOVERNANCE_WORDS):
            return None
    return Signal({"partner": s.partner.name, "window": cfg["window_days"],
                   "count": len(window)}, [])


# --- alliance practice (issue 14) ------------------------------------------------------------
def r_health_gap(s, cfg):
    if not s.checkups:
        return None
    found = checkups.gaps(s.checkups[-1], cfg["at_least"])
    if not found:
        return None
    return Signal({"axis": found[0].label, "gaps": checkups.describe(found, "vs"),
                   "date": f"{s.checkups[-1].taken_on}"}, [], s.checkups[-1].taken_on)


def r_health_drop(s, cfg):
    if len(s.checkups) < 2:
        return None
    before, after = s.checkups[-2], s.checkups[-1]
    found = checkups.drops(before, after, cfg["at_least"])
    if not found:
        return None
    between = sorted((i for i in s.interactions
                      if before.taken_on < i.occurred_at.date() <= after.taken_on
                      and i.difficulty >= 3), key=lambda i: -i.difficulty)[:2]
    hard = ("; the hardest entries between the two checks: " + "; ".join(
        f"'{i.title}' ({i.occurred_at:%Y-%m-%d}, difficulty {i.difficulty}/5)" for i in between)
        if between else "")
    return Signal({"axis": found[0].label, "drops": checkups.describe(found, "to"),
                   "before": f"{before.taken_on}", "date": f"{after.taken_on}", "hard": hard},
                  [i.id for i in between], after.taken_on)


def r_governance_overdue(s, cfg):
    late = [d for d in s.governance if d.overdue_days]
    if not late:
        return None
    d = max(late, key=lambda d: d.overdue_days)
    held = f"; the last one was on {d.last_held}" if d.last_held else ""
    return Signal({"label": d.label, "due": f"{d.due}", "days": d.overdue_days,
                   "every": d.every_days, "held": held, "partner": s.partner.name},
                  [d.last_held_id] if d.last_held_id else [], d.due)


def current_episodes(s: PartnerSnapshot, cfg: dict) -> tuple[set[str], set[int]]:
    """The kinds of trouble the partner is in now, and the entries where they happened."""
    kinds, entries = set(), set()
    pair = index_drop(s.readings, cfg["drop"])
    if pair:
        kinds.add("trust_drop")
        entries.add(pair[1].interaction_id)
    broken = _broken(s, OwedBy.us, {"window_days": cfg["window_days"]})
    if broken:
        kinds.add("broken_promise")
        entries.update(broken.cites)
    if _people(s, Side.partner, (Stance.blocker,)):
        kinds.add("blocker")
    entries.discard(None)
    return kinds, entries


def _first_move(s: PartnerSnapshot, e) -> str:
    """What helped then, as a step to take here (an entry's title alone is not an action). An
    episode of another partner is restated in this partner's people and promises: its titles,
    people and promises are never pasted."""
    if e.partner_id != s.partner.id:
        return _restated(s, e)
    if e.next_promises:
        return f"a small promise like the one you made then ('{e.next_promises[0]}')"
    outward = [n for n in e.next_entries if n["kind"] != "internal"] or e.next_entries
    if not outward:
        return "a direct conversation about what happened"
    n = outward[0]
    days = max((datetime.fromisoformat(n["date"]) - e.when).days, 1)
    return f"a {n['kind']} with them, as you had then ('{n['title']}', {days} days after)"


def _restated(s: PartnerSnapshot, e) -> str:
    person = forward.counterpart(s)
    who = person.name if person else "your counterpart"
    moves = []
    outward = [n for n in e.next_entries if n["kind"] != "internal"]
    if outward:
        days = max((datetime.fromisoformat(outward[0]["date"]) - e.when).days, 1)
        moves.append(f"a {outward[0]['kind']} with {who} within {days} days")
    if e.next_promises:
        ours = sorted(s.commitments_of(OwedBy.us, CommitmentStatus.open),
                      key=lambda c: (c.due is None, c.due or s.today))
        moves.append(f"a small, dated promise to {who} on '{ours[0].text}' (a short status "
                     "note each week until it is delivered)" if ours else
                     f"one small, dated promise to {who} that you fully control")
    return " and ".join(moves) or f"a direct conversation with {who} about what happened"


def r_what_worked_before(s, cfg):
    """The best one or two past episodes of the same kind that recovered (one angle each)."""
    kinds, entries = current_episodes(s, cfg)
    if not kinds or not s.precedents:
        return None
    like = (lambda e: s.likeness([i for i in e.cites], sorted(entries))) \
        if s.likeness is not None and entries else None
    found = precedents.best(s.precedents, kinds, exclude_entries=entries, limit=cfg["limit"],
                            like=like)
    out = []
    for e in found:
        same = e.partner_id == s.partner.id
        out.append(Signal({"partner": e.partner, "month": f"{e.when:%Y-%m}",
                           "what": precedents.KINDS[e.kind],
                           "story": precedents.sentence(e) if same else precedents.outline(e),
                           "first": _first_move(s, e)},
                          e.cites, None))
    return out or None


RULES: dict[str, Callable] = {
    "our_overdue_promise": lambda s, cfg: _overdue(s, OwedBy.us),
    "our_broken_promise": lambda s, cfg: _broken(s, OwedBy.us, cfg),
    "their_overdue_promise": lambda s, cfg: _overdue(s, OwedBy.them),
    "their_broken_promise": lambda s, cfg: _broken(s, OwedBy.them, cfg),
    "trust_fell": lambda s, cfg: _fell(s, s.readings, cfg["drop"]),
    "reliability_fell": r_reliability_fell,
    "low_intimacy": lambda s, cfg: _component(s, "intimacy", cfg),
    "high_self_orientation": lambda s, cfg: _component(s, "self_orientation", cfg),
    "low_credibility": lambda s, cfg: _component(s, "credibility", cfg),
    "influential_blocker": r_influential_blocker,
    "influential_skeptic": r_influential_skeptic,
    "internal_misalignment": r_internal_misalignment,
    "champion_left": r_champion_left,
    "no_champion": r_no_champion,
    "no_contact": r_no_contact,
    "repeated_difficult": r_repeated_difficult,
    "person_trust_fell": r_person_trust_fell,
    "single_threaded": r_single_threaded,
    "no_governance": r_no_governance,
    "health_gap": r_health_gap,
    "health_drop": r_health_drop,
    "governance_overdue": r_governance_overdue,
    "what_worked_before": r_what_worked_before,
    # looking ahead (services/advice/forward.py)
    "next_meeting": forward.r_next_meeting,
    "own_plan": forward.r_own_plan,
    "thank_kept": forward.r_thank_kept,
    "widen": forward.r_widen,
    "keep_momentum": forward.r_keep_momentum,     # only when no other rule fires
}
ALONE = {"keep_momentum"}
RAISED_INSTEAD = {"stance_check", "successor_met"}   # a rule's finding, told with other texts


def urgency(severity: int, snapshot: PartnerSnapshot, when) -> float:
    """A standing condition with no dated evidence counts as HALF_LIFE_DAYS old."""
    days = max(0, snapshot.days_ago(when)) if when is not None else HALF_LIFE_DAYS
    return round(severity * HALF_LIFE_DAYS / (HALF_LIFE_DAYS + days), 3)


def angles(snapshot: PartnerSnapshot, *, no_contact_days: int = 30,
           only: set[str] | None = None) -> list[Angle]:
    """Every rule that fires, as an angle; most urgent first. A partner with no signal at all
    still gets one forward-looking angle (keep_momentum)."""
    config = rules_config()
    found = []
    for rule, detect in RULES.items():
        if only is not None and rule not in only or rule in ALONE and found:
            continue
        cfg = config[rule] | ({"days": no_contact_days} if rule == "no_contact" else {})
        signals = detect(snapshot, cfg)
        if signals is None:
            continue
        for signal in signals if isinstance(signals, list) else [signals]:  # one angle each
            found.append(_angle(snapshot, signal.as_rule or rule,
                                config[signal.as_rule] if signal.as_rule else cfg, signal))
    return sorted(found, key=lambda a: (-a.urgency, a.rule))


def _angle(snapshot: PartnerSnapshot, rule: str, cfg: dict, signal: Signal) -> Angle:
    facts, cites = signal.facts, list(dict.fromkeys(c for c in signal.cites if c))
    why = cfg["why"].format(**facts)
    if not cites and cfg.get("uncited", UNCITED):   # an angle with no entry to cite says so
        why += " " + cfg.get("uncited", UNCITED)
    return Angle(rule=rule, category=cfg["category"], title=cfg["title"].format(**facts),
                 why=why, first_step=cfg["first_step"].format(**facts), cites=cites,
                 urgency=urgency(cfg["severity"], snapshot, signal.when))

