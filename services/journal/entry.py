"""What the entry editor loads and saves in one unit of work: the interaction, its people and
tags, an optional trust reading, and the draft it replaces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from models.tables import Interaction, Stakeholder, TrustReading
from services import journal
from services.journal import drafts, trust
from services.sync import capture as sync_capture


@dataclass
class EntryData:
    partner_id: int
    stakeholders: list[Stakeholder]
    interaction: Interaction | None = None
    participant_ids: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    reading: TrustReading | None = None


def load_entry(*, session: Session, interaction_id: int | None = None,
               partner_id: int | None = None) -> EntryData:
    if interaction_id is None:
        journal.get_partner(session=session, partner_id=partner_id)
        return EntryData(partner_id, journal.list_stakeholders(session=session,
                                                               partner_id=partner_id))
    item = journal.get_interaction(session=session, interaction_id=interaction_id)
    reading = _entry_reading(session, interaction_id)
    return EntryData(
        item.partner_id, journal.list_stakeholders(session=session, partner_id=item.partner_id),
        item, [p.id for p in journal.participants(session=session, interaction_id=item.id)],
        journal.tags(session=session, interaction_id=item.id), reading)


def _entry_reading(session: Session, interaction_id: int) -> TrustReading | None:
    """The partner-level reading taken after this entry, if any."""
    return session.exec(select(TrustReading).where(
        TrustReading.interaction_id == interaction_id,
        TrustReading.stakeholder_id.is_(None)).order_by(TrustReading.id.desc())).first()


def form_data(content: dict) -> dict:
    """The editor's form (its `content()`) as the fields `save_entry` takes."""
    return {"partner_id": content["partner_id"], "title": content["title"],
            "occurred_at": datetime.fromisoformat(content["when"]), "kind": content["kind"],
            "notes": content["notes"], "reflection": content["reflection"],
            "difficulty": content["difficulty"], "participant_ids": content["participant_ids"],
            "tags": [t for t in content["tags"].split(",") if t.strip()]}


def save_entry(*, session: Session, interaction_id: int | None, data: dict,
               reading: dict | None = None, draft: str | None = None,
               base: dict | None = None) -> Interaction:
    """Create or update the interaction, add the trust reading, and drop its draft (`draft`:
    a new entry's own draft key).

    `base` is what the form showed when it opened the entry: only the fields the user changed
    are written, so a change another device made meanwhile (sync) to the others stays; free
    text both changed keeps both versions, as a conflict to review."""
    if interaction_id is None:
        item = journal.create_interaction(session=session, interaction_in=data)
    else:
        changes = {k: v for k, v in data.items()
                   if k != "partner_id" and (base is None or base.get(k) != v)}
        if base is not None:
            stored = journal.get_interaction(session=session, interaction_id=interaction_id)
            session.info.setdefault(sync_capture.UNSEEN, set()).update(
                ("interaction", str(interaction_id), name) for name in ("notes", "reflection")
                if name in changes and getattr(stored, name) != base.get(name))
        item = journal.update_interaction(session=session, interaction_id=interaction_id,
                                          interaction_in=changes)
    if reading:
        stored = _entry_reading(session, item.id) if interaction_id is not None else None
        if stored is None:
            trust.add_reading(session=session, reading_in=reading | {
                "partner_id": item.partner_id, "interaction_id": item.id,
                "taken_at": item.occurred_at})
        else:  # the entry's own reading, adjusted: not a second reading of the same meeting
            trust.update_reading(session=session, reading_id=stored.id, reading_in=reading)
    drafts.discard_draft(session=session, key=drafts.draft_key(interaction_id, draft))
    return item
