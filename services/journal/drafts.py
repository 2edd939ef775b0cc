"""Autosaved editor content, inside the encrypted file, so a crash loses nothing typed."""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from models.tables import Draft, now
from services.store import flush

NEW_ENTRY = "interaction:new"


def draft_key(interaction_id: int | None) -> str:
    return NEW_ENTRY if interaction_id is None else f"interaction:{interaction_id}"


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
