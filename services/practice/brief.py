"""The meeting-prep brief as plain data: what the PDF shows, built from the journal. Private
reflections are left out unless asked for. Rendering lives in ui/render/brief_pdf.py."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from models.tables import Advice, CommitmentStatus, Interaction, InteractionParticipant, OwedBy
from services.advice import lead, playbook, quotes
from services.advice.grounding import fragment_reason
from services.advice.signals import load_snapshot
from services.journal import excerpt, plain_text, trust
from services.practice import dashboard, since

SECTIONS = ("standing", "room", "recent", "commitments", "angles")
SECTION_TITLES = {"standing": "Where we stand", "room": "Who is in the room",
                  "recent": "Since the last meeting", "commitments": "Open commitments",
                  "angles": "Suggested angles and talking points"}


@dataclass
class BriefOptions:
    partner_id: int
    meeting_date: date | None = None
    purpose: str = ""
    prepared_by: str = ""
    sections: tuple[str, ...] = SECTIONS
    include_reflections: bool = False
    with_advice: bool = False
    recent: int = 10
    page_size: str = "A4"


@dataclass
class PersonLine:
    name: str
    side: str
    role: str
    influence: int
    stance: str
    active: bool
    last_contact: date | None
    last_line: str
    since: str = ""          # since we last spoke, one line (services/practice/since.py)


@dataclass
class EntryLine:
    id: int
    when: datetime
    kind: str
    title: str
    difficulty: int
    notes: str
    reflection: str


@dataclass
class PromiseLine:
    owed_by: str
    text: str
    due: date | None
    overdue_days: int


@dataclass
class BriefData:
    options: BriefOptions
    partner: str
    partner_kind: str
    summary: str
    generated: datetime
    trust_index: float | None = None
    trust_change: float | None = None
    ours: dashboard.Reliability | None = None
    theirs: dashboard.Reliability | None = None
    alerts: list[dashboard.Alert] = field(default_factory=list)
    series: list[trust.TrustPoint] = field(default_factory=list)
    people: list[PersonLine] = field(default_factory=list)
    entries: list[EntryLine] = field(default_factory=list)
    promises: list[PromiseLine] = field(default_factory=list)
    angles: list[playbook.Angle] = field(default_factory=list)
    advice: str | None = None          # only sentences that passed the grounding check
    advice_model: str | None = None
    advice_saved: datetime | None = None
    advice_stopped: bool = False
    # alliance practice (issue 14): the health checks (oldest first; the latest is the radar),
    # the stage and the next governance meeting (the default meeting when none is given)
    health: list = field(default_factory=list)
    stage: str | None = None
    governance: object | None = None

    def wants(self, section: str) -> bool:
        return section in self.options.sections


def first_sentence(text: str, chars: int = 160) -> str:
    flat = excerpt(text, 1000)
    for end in (". ", "! ", "? "):
        if end in flat:
            flat = flat.split(end, 1)[0] + end.strip()
            break
    return flat if len(flat) <= chars else flat[:chars].rsplit(" ", 1)[0] + "…"


def checked_text(advice: Advice) -> str | None:
    """The saved advice fit to print: its kept text; advice saved before the grounding check
    existed loses a last sentence that was cut off (a stopped answer's fragment)."""
    text = (advice.text or "").strip()
    if advice.parts_json and advice.parts_json != "[]":
        return text or None
    paragraphs = text.split("\n\n")
    while paragraphs:
        body = re.sub(r"^[^:]{1,120}: ", "", paragraphs[-1])  # an angle's title before the text
        if not fragment_reason(body) or body.endswith("]"):
            break
        paragraphs.pop()
    return "\n\n".join(paragraphs).strip() or None


def build_brief(*, session: Session, options: BriefOptions, today: date | None = None,
                no_contact_days: int = 30, trust_drop: float = 1.0) -> BriefData:
    """Read-only: nothing in the journal changes."""
    today = today or date.today()
    snap = load_snapshot(session=session, partner_id=options.partner_id, today=today,
                         limit=max(options.recent, 300))
    p = snap.partner
    data = BriefData(options=options, partner=p.name, partner_kind=p.kind, summary=p.summary,
                     generated=datetime.now())
    row = dashboard.portfolio(session=session, today=today, partner_id=p.id,
                              no_contact_days=no_contact_days, trust_drop=trust_drop)[0]
    data.trust_index, data.trust_change = row.trust_index, row.trust_change
    data.ours, data.theirs, data.alerts = row.ours, row.theirs, row.alerts
    data.series = trust.trust_series(session=session, partner_id=p.id)

    for person in snap.stakeholders:
        if not person.active:
            continue  # people who left are not in the room
        seen = snap.with_person(person.id)
        if not seen:  # older than the snapshot: one query
            older = session.exec(select(Interaction).join(InteractionParticipant)
                                 .where(InteractionParticipant.stakeholder_id == person.id)
                                 .order_by(col(Interaction.occurred_at).desc()).limit(1)).first()
            seen = [older] if older else []
        last = seen[0] if seen else None
        data.people.append(PersonLine(
            person.name, person.side.value, person.role, person.influence, person.stance.value,
            person.active, last.occurred_at.date() if last else None,
            f"{last.title}: {first_sentence(last.notes)}" if last and last.notes
            else (last.title if last else "")))
    _practice(session, data, snap, row, today)
    for i in snap.interactions[:options.recent]:
        data.entries.append(EntryLine(i.id, i.occurred_at, i.kind.value, i.title, i.difficulty,
                                      excerpt(i.notes),
                                      plain_text(i.reflection).strip()
                                      if options.include_reflections else ""))
    for c in snap.commitments:
        if c.status == CommitmentStatus.open:
            late = (today - c.due).days if c.due and c.due < today else 0
            data.promises.append(PromiseLine(c.owed_by.value, c.text, c.due, late))
    data.promises.sort(key=lambda c: (c.owed_by != OwedBy.us.value, -c.overdue_days,
                                      c.due or date.max))
    snap.meeting_date = options.meeting_date
    data.angles = quotes.quote_angles(
        lead.choose(playbook.angles(snap, no_contact_days=no_contact_days), kind="prepare"),
        snap, private=options.include_reflections)
    if options.with_advice:   # a small model's draft only once the user kept it
        latest = session.exec(select(Advice).where(Advice.partner_id == p.id,
                                                   col(Advice.draft).is_(False))
                              .order_by(col(Advice.created_at).desc(), col(Advice.id).desc())
                              ).first()
        if latest is not None:
            data.advice, data.advice_model = checked_text(latest), latest.model
            data.advice_saved, data.advice_stopped = latest.created_at, latest.stopped
            if not data.angles:
                data.angles = [playbook.Angle(**a) for a in json.loads(latest.angles_json)]
    return data


def _practice(session: Session, data: BriefData, snap, row, today: date) -> None:
    """Issue 14: the health checks, the stage, the next governance meeting as the default
    meeting ('Prepare for the QBR on D'), and who is in the room since we last spoke."""
    data.health, data.stage, data.governance = snap.checkups, row.stage, row.next_governance
    o, due = data.options, row.next_governance
    if due is not None and o.meeting_date is None and not o.purpose:
        o.purpose = default_purpose(due)
        if not due.overdue_days:
            o.meeting_date = due.due
    ids = {p.name: p.id for p in snap.stakeholders}
    for line in data.people:
        if line.active and line.name in ids:
            line.since = since.since_last_spoke(session=session, stakeholder_id=ids[line.name],
                                                today=today).line()


def default_purpose(due) -> str:
    """The brief's default meeting: the next governance meeting (services.governance.Due)."""
    if due.overdue_days:
        return f"Prepare for the {due.label}, due {due.due} ({due.overdue_days} days overdue)"
    return f"Prepare for the {due.label} on {due.due}"
