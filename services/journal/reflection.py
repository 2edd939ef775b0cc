"""The guided reflection after a difficult meeting: a template that becomes an interaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from models.tables import Interaction
from services import journal
from services.journal import commitments

PROMPTS = {
    "happened": "What happened",
    "felt": "How I felt",
    "they_need": "What they may need",
    "next_steps": "What I will do next",
}


@dataclass
class Reflection:
    partner_id: int
    title: str
    occurred_at: datetime
    happened: str = ""
    felt: str = ""
    they_need: str = ""
    next_steps: str = ""
    difficulty: int = 4
    kind: str = "meeting"
    participant_ids: list[int] = field(default_factory=list)
    ours: list[str] = field(default_factory=list)     # commitments we made
    theirs: list[str] = field(default_factory=list)   # commitments they made
    ours_due: date | None = None                      # when ours fall due
    theirs_due: date | None = None


def _section(title: str, body: str) -> str:
    return f"## {title}\n\n{body.strip()}\n" if body.strip() else ""


def compose(reflection: Reflection) -> tuple[str, str]:
    """(notes, private reflection): what happened and what they need are shareable notes; how
    I felt and what I will do next stay private."""
    notes = _section(PROMPTS["happened"], reflection.happened) + "\n" + _section(
        PROMPTS["they_need"], reflection.they_need)
    private = _section(PROMPTS["felt"], reflection.felt) + "\n" + _section(
        PROMPTS["next_steps"], reflection.next_steps)
    return notes.strip(), private.strip()


def record_reflection(*, session: Session, reflection: Reflection) -> Interaction:
    notes, private = compose(reflection)
    interaction = journal.create_interaction(session=session, interaction_in={
        "partner_id": reflection.partner_id, "title": reflection.title,
        "occurred_at": reflection.occurred_at, "kind": reflection.kind, "notes": notes,
        "reflection": private, "difficulty": reflection.difficulty,
        "participant_ids": reflection.participant_ids, "tags": ["reflection"]})
    for owed_by, texts, due in (("us", reflection.ours, reflection.ours_due),
                                ("them", reflection.theirs, reflection.theirs_due)):
        for text in texts:
            if text.strip():
                commitments.add_commitment(session=session, commitment_in={
                    "partner_id": reflection.partner_id, "interaction_id": interaction.id,
                    "owed_by": owed_by, "text": text.strip(), "due": due})
    return interaction
