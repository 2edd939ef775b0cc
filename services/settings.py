"""Preferences, kept inside the encrypted database (window geometry stays in QSettings)."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from models.tables import Setting
from services.store import commit

DEFAULTS: dict[str, Any] = {
    "idle_lock_minutes": 0,       # 0: never lock by itself
    "no_contact_days": 30,        # drift alert: no contact for this long
    "trust_drop_alert": 1.0,      # drift alert: trust index fell by this much
    "page_size": "A4",            # brief: A4 or Letter
    "model_path": "",             # empty: the bundled model
    "threads": 0,                 # 0: all cores
    "context_length": 2048,
    "temperature": 0.7,
    "max_tokens": 256,
}


def get_settings(*, session: Session) -> dict[str, Any]:
    values = dict(DEFAULTS)
    for row in session.exec(select(Setting)):
        values[row.key] = json.loads(row.value_json)
    return values


def save_settings(*, session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """Several preferences in one commit; returns all settings."""
    for key, value in values.items():
        row = session.get(Setting, key) or Setting(key=key, value_json="null")
        row.value_json = json.dumps(value)
        session.add(row)
    commit(session)
    return get_settings(session=session)
