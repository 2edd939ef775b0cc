"""Looking ahead: the next meeting (what each side owes before it, who will be in the room, a
three-item agenda), the user's own plan from a reflection, and what a healthy partner still
deserves (thanks for a promise kept, a stakeholder to widen to). Each is a playbook rule: a
function returning a Signal, its texts in resources/playbook.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from models.tables import CommitmentStatus, Interaction, OwedBy, Side, Stakeholder, Stance
from services.advice.grounding import content_stems
from services.advice.signals import PartnerSnapshot, Signal
from services.journal.reflection import PROMPTS

PLAN_HEADING = re.compile(r"^#+\s*" + re.escape(PROMPTS["next_steps"]) + r"\s*$",
                          re.IGNORECASE | re.MULTILINE)
STEP = re.compile(r"(?:^|\n)\s*(?:[-*•]|\d+[.)])\s+|(?<=[.!?])\s+")
DONE_SHARE = 0.6          # a later entry holding this share of a step's words did it
PLAN_FRESH_DAYS = 90
THANKS_DAYS = 120
WIDEN_UNSEEN_DAYS = 90


# --- the next meeting ------------------------------------------------------------------------
@dataclass
class Meeting:
    label: str
    day: date
    entry: Interaction | None = None      # an entry dated ahead
    room: list[Stakeholder] = field(default_factory=list)
    room_from: Interaction | None = None  # the entry the room is read from


def _room_of(s: PartnerSnapshot, entry: Interaction | None) -> list[Stakeholder]:
    if entry is None:
        return []
    people = [s.person(i) for i in s.participants.get(entry.id, [])]
    return [p for p in people if p is not None and p.active]


def next_meeting(s: PartnerSnapshot) -> Meeting | None:
    """The date the user named, else an entry dated ahead, else the soonest governance date
    from today on. The room: the future entry's people, else those of the last meeting of that
    kind, else of the latest meeting with them."""
    ahead = sorted((i for i in s.interactions if i.occurred_at.date() >= s.today
                    and i.kind.value != "internal" and i.occurred_at > datetime.combine(
                        s.today, datetime.min.time())), key=lambda i: i.occurred_at)
    due = sorted((d for d in s.governance if d.due >= s.today), key=lambda d: d.due)
    past = [i for i in s.interactions if i.occurred_at.date() < s.today
            and i.kind.value != "internal" and s.participants.get(i.id)]
    latest = past[0] if past else None
    if s.meeting_date is not None:   # the date the user named: an entry or a cadence on it
        entry = next((i for i in ahead if i.occurred_at.date() == s.meeting_date), None)
        cadence = next((d for d in s.governance if d.due == s.meeting_date), None)
        if entry is None and cadence is not None:
            due = [cadence]
        else:
            room_from = entry or latest
            return Meeting(entry.title if entry else "next meeting", s.meeting_date, entry,
                           _room_of(s, room_from), room_from)
    if ahead:
        return Meeting(ahead[0].title, ahead[0].occurred_at.date(), ahead[0],
                       _room_of(s, ahead[0]), ahead[0])
    if due:
        d = due[0]
        last = next((i for i in s.interactions if i.id == d.last_held_id), None) or latest
        return Meeting(d.label, d.due, None, _room_of(s, last), last)
    return None


def _open(s: PartnerSnapshot, owed_by: OwedBy, until: date):
    found = [c for c in s.commitments_of(owed_by, CommitmentStatus.open)
             if c.due is None or c.due <= until]
    return sorted(found, key=lambda c: (c.due is None, c.due or until))


def _promise(c, today: date) -> str:
    if c.due is None:
        return f"'{c.text}' (no date)"
    late = (today - c.due).days
    return f"'{c.text}' (due {c.due}{f', {late} days overdue' if late > 0 else ''})"


def agenda(s: PartnerSnapshot, ours: list, theirs: list) -> list[str]:
    """Three items a steering committee would recognise, from the journal: a joint win, both
    sides' open promises, and the one hard topic to settle."""
    items = []
    kept = sorted((c for c in s.commitments if c.status == CommitmentStatus.kept
                   and s.days_ago(c.resolved_at or c.created_at) <= THANKS_DAYS * 2),
                  key=lambda c: c.resolved_at or c.created_at, reverse=True)
    if kept:
        items.append(f"a joint win to open with: '{kept[0].text}' delivered")
    if ours or theirs:
        parts = ([f"ours {_promise(ours[0], s.today)}"] if ours else []) + (
            [f"theirs {_promise(theirs[0], s.today)}"] if theirs else [])
        items.append("both sides' open promises: " + "; ".join(parts))
    hard = next((i for i in s.interactions if i.occurred_at.date() <= s.today
                 and i.difficulty >= 3 and s.days_ago(i.occurred_at) <= 180), None)
    if hard is not None:
        items.append(f"one decision on what '{hard.title}' left open")
    fallbacks = ["what each side needs from the next quarter",
                 "who owns each next step, with a date", "the date of the next meeting"]
    return (items + fallbacks)[:3]


def r_next_meeting(s: PartnerSnapshot, cfg: dict) -> Signal | None:
    meeting = next_meeting(s)
    if meeting is None:
        return None
    ours, theirs = _open(s, OwedBy.us, meeting.day), _open(s, OwedBy.them, meeting.day)
    days = (meeting.day - s.today).days
    room = ", ".join(p.name for p in meeting.room) or "not known from the journal"
    room_from = (f" (as at '{meeting.room_from.title}')" if meeting.room_from is not None
                 and meeting.room_from is not meeting.entry else "")
    cites = [c.interaction_id for c in ours[:2] + theirs[:2] if c.interaction_id]
    if meeting.room_from is not None:
        cites.append(meeting.room_from.id)
    return Signal({"label": meeting.label, "date": f"{meeting.day}",
                   "when": "today" if days == 0 else f"in {days} days",
                   "ours": "; ".join(_promise(c, s.today) for c in ours[:3]) or "nothing open",
                   "theirs": "; ".join(_promise(c, s.today) for c in theirs[:3])
                   or "nothing open",
                   "room": room + room_from,
                   "agenda": " ".join(f"{n}. {item[0].upper() + item[1:]}."
                                      for n, item in enumerate(agenda(s, ours, theirs), 1))},
                  cites, meeting.day)


# --- the user's own plan ---------------------------------------------------------------------
def plan_steps(reflection: str) -> list[str]:
    """The steps under 'What I will do next' in a reflection (bullets, numbers or sentences)."""
    found = PLAN_HEADING.search(reflection or "")
    if not found:
        return []
    body = re.split(r"^#+\s", reflection[found.end():], maxsplit=1, flags=re.MULTILINE)[0]
    steps = [x.strip(" \n-*•") for x in STEP.split(body)]
    return [x for x in steps if len(content_stems(x)) >= 2]


def done_by(s: PartnerSnapshot, entry: Interaction, step: str) -> Interaction | None:
    """A later entry (up to today) whose words hold most of the step's: it was done."""
    wanted = content_stems(step)
    for later in reversed(s.interactions):                   # oldest first
        if later.occurred_at <= entry.occurred_at or later.occurred_at.date() > s.today:
            continue
        shared = wanted & content_stems(f"{later.title} {later.notes}")
        if len(shared) >= 2 and len(shared) >= DONE_SHARE * len(wanted):
            return later
    return None


def own_plan(s: PartnerSnapshot, focus: Interaction | None = None):
    """(entry, step, done) for the plan to build on: the selected entry's, else the latest
    within PLAN_FRESH_DAYS; steps a later entry shows done are skipped (and named)."""
    candidates = [focus] if focus is not None else [
        i for i in s.interactions if s.days_ago(i.occurred_at) <= PLAN_FRESH_DAYS
        and i.occurred_at.date() <= s.today]
    for entry in candidates:
        steps = plan_steps(entry.reflection)
        done = []
        for step in steps:
            later = done_by(s, entry, step)
            if later is None:
                return entry, step, done
            done.append((step, later))
    return None


def r_own_plan(s: PartnerSnapshot, cfg: dict):
    found = own_plan(s, s.focus)
    if found is None:
        return None
    entry, step, done = found
    already = "".join(f" Done since: '{d.rstrip('.')}' ('{later.title}', "
                      f"{later.occurred_at:%Y-%m-%d})."
                      for d, later in done)
    owed = sorted(s.overdue(OwedBy.us), key=lambda c: c.due)
    tie = (f" Tie it to what we owe: '{owed[0].text}' is {(s.today - owed[0].due).days} days "
           "overdue; name a date for it in the same message." if owed else "")
    return Signal({"step": step.rstrip("."), "title": entry.title,
                   "date": f"{entry.occurred_at:%Y-%m-%d}", "done": already, "tie": tie},
                  [entry.id] + [later.id for _, later in done], entry.occurred_at)


# --- a healthy partner still deserves attention --------------------------------------------
def counterpart(s: PartnerSnapshot) -> Stakeholder | None:
    theirs = [p for p in s.stakeholders if p.side == Side.partner and p.active]
    order = {Stance.champion: 0, Stance.supporter: 1, Stance.neutral: 2}
    theirs.sort(key=lambda p: (order.get(p.stance, 3), -p.influence))
    return theirs[0] if theirs else None


def r_thank_kept(s: PartnerSnapshot, cfg: dict) -> Signal | None:
    kept = sorted((c for c in s.commitments_of(OwedBy.them, CommitmentStatus.kept)
                   if s.days_ago(c.resolved_at or c.created_at) <= THANKS_DAYS),
                  key=lambda c: c.resolved_at or c.created_at, reverse=True)
    if not kept:
        return None
    c = kept[0]
    entry = next((i for i in s.interactions if i.id == c.interaction_id), None)
    people = _room_of(s, entry)
    theirs = [p for p in people if p.side == Side.partner] or [
        p for p in [counterpart(s)] if p]
    return Signal({"text": c.text, "person": theirs[0].name if theirs else "your counterpart"},
                  [c.interaction_id] if c.interaction_id else [],
                  c.resolved_at or c.created_at)


def r_widen(s: PartnerSnapshot, cfg: dict) -> Signal | None:
    person_ahead = counterpart(s)
    found = []
    for p in s.stakeholders:
        if p.side != Side.partner or not p.active or p.influence < cfg["min_influence"] or \
                p.stance not in (Stance.neutral, Stance.supporter) or p is person_ahead:
            continue
        seen = [i for i in s.with_person(p.id) if i.occurred_at.date() <= s.today]
        if not seen or s.days_ago(seen[0].occurred_at) > WIDEN_UNSEEN_DAYS:
            found.append((p, seen))
    if not found:
        return None
    person, seen = max(found, key=lambda t: t[0].influence)
    last = (f"last met at '{seen[0].title}' ({seen[0].occurred_at:%Y-%m-%d})" if seen
            else "not met in any entry yet")
    return Signal({"name": person.name, "role": person.role or "no role noted", "last": last,
                   "via": person_ahead.name if person_ahead else "your counterpart"},
                  [seen[0].id] if seen else [], None)


def when_step(s: PartnerSnapshot, entry: Interaction) -> str:
    """How soon, in words that fit the entry's age: 'within two days' only while it is fresh."""
    days = s.days_ago(entry.occurred_at)
    if days <= 7:
        return "Within two days"
    age = f"{days // 30} months" if days >= 60 else f"{days // 7} weeks"
    return f"It was {age} ago: this week"


def r_keep_momentum(s: PartnerSnapshot, cfg: dict) -> Signal | None:
    """When nothing else is raised: build on the latest contact (never an empty answer)."""
    last = s.last_contact
    person = counterpart(s)
    return Signal({"partner": s.partner.name,
                   "title": last.title if last else "no entry yet",
                   "date": f"{last.occurred_at:%Y-%m-%d}" if last else "",
                   "person": person.name if person else "your counterpart"},
                  [last.id] if last else [], last.occurred_at if last else None)
