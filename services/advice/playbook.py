"""The playbook: deterministic rules over a partner's signals, each giving an angle with why, the
entries it rests on, and a first step. Instant, and needs no model.

Texts and thresholds live in resources/playbook.toml; each rule's detection is one function:
here, in people_rules (the stakeholder map), precedent_rules (what worked before) and forward
(the next meeting, your own plan, a healthy partner).
Angles are ranked by urgency = severity x recency (a signal from today weighs 1, from 45 days ago
0.5), most urgent first.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from models.tables import OwedBy
from services.advice import forward, people_rules, precedent_rules
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
    items = s.broken(owed_by, cfg["window_days"])
    if not items:
        return None
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
    "influential_blocker": people_rules.r_influential_blocker,
    "influential_skeptic": people_rules.r_influential_skeptic,
    "internal_misalignment": people_rules.r_internal_misalignment,
    "champion_left": people_rules.r_champion_left,
    "no_champion": people_rules.r_no_champion,
    "no_contact": r_no_contact,
    "repeated_difficult": r_repeated_difficult,
    "person_trust_fell": r_person_trust_fell,
    "single_threaded": people_rules.r_single_threaded,
    "no_governance": r_no_governance,
    "health_gap": r_health_gap,
    "health_drop": r_health_drop,
    "governance_overdue": r_governance_overdue,
    "what_worked_before": precedent_rules.r_what_worked_before,
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

