"""Autosaved editor content, inside the encrypted file, so a crash loses nothing typed."""

from __future__ import annotations

import json
import uuid

from sqlmodel import Session, col, select

from models.tables import Draft, now
from services.store import flush

NEW_ENTRY = "interaction:new"


def draft_key(interaction_id: int | None, new_key: str | None = None) -> str:
    """An entry's draft key; a new entry's own key (`new_entry_key`) when it has one, so two
    unsaved new entries never overwrite each other's draft."""
    if interaction_id is not None:
        return f"interaction:{interaction_id}"
    return new_key or NEW_ENTRY


def new_entry_key() -> str:
    return f"{NEW_ENTRY}:{uuid.uuid4().hex[:12]}"


def save_draft(*, session: Session, key: str, content: dict) -> Draft:
    draft = session.get(Draft, key) or Draft(key=key, content_json="{}")
    draft.content_json = json.dumps(content, ensure_ascii=False, default=str)
    draft.updated_at = now()
    session.add(draft)
    flush(session)
    return draft


def list_drafts(*, session: Session) -> list[Draft]:
    return list(session.exec(select(Draft).order_by(col(Draft.updated_at).desc())))


def discard_draft(*, session: Session, key: str) -> None:
    draft = session.get(Draft, key)
    if draft is not None:
        session.delete(draft)
        flush(session)


def load_draft_content(draft: Draft) -> dict:
    return json.loads(draft.content_json)
