"""Preferences: one typed model, kept inside the encrypted database (window geometry stays in
QSettings). Services and windows read `Preferences` attributes; nothing reads raw keys."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, select

from models.tables import Setting
from services.errors import InvalidInput
from services.store import flush


class Preferences(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    idle_lock_minutes: int = Field(10, ge=0, le=24 * 60)     # 0: never lock by itself
    no_contact_days: int = Field(30, ge=1, le=3650)          # drift alert: no contact this long
    trust_drop_alert: float = Field(1.0, gt=0, le=30)        # drift alert: trust index fell this much
    page_size: Literal["A4", "Letter"] = "A4"                # the brief's paper
    colour_scheme: Literal["system", "light", "dark"] = "system"  # follows the desktop
    # voice (issue 15): words the speech model should spell right (products, acronyms),
    # besides the partner's and its people's names; comma- or line-separated
    glossary: str = Field("", max_length=4000)
    model_path: str = ""                                     # empty: the bundled model
    threads: int = Field(0, ge=0, le=256)                    # 0: all cores
    context_length: int = Field(2048, ge=256, le=131072)
    temperature: float = Field(0.0, ge=0, le=2)   # greedy: the same journal, the same advice
    max_tokens: int = Field(256, ge=1, le=8192)
    # the model library (issue 12; services/advice/model_library.py): the entry in use ("": the
    # model_path above, empty meaning the bundled model) and the entries the user added
    model_name: str = Field("", max_length=80)
    model_library: list[dict] = Field(default_factory=list, max_length=200)


def _checked(values: dict) -> Preferences:
    try:
        return Preferences.model_validate(values)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(f"Setting {where}: {first.get('msg', 'invalid value')}.") from err


def get_settings(*, session: Session) -> Preferences:
    stored = {row.key: json.loads(row.value_json) for row in session.exec(select(Setting))}
    known = {k: v for k, v in stored.items() if k in Preferences.model_fields}
    try:
        return Preferences.model_validate(known)
    except ValidationError:  # a value from an older version that no longer fits: its default
        return Preferences.model_validate(
            {k: v for k, v in known.items() if _fits(k, v)})


def _fits(key: str, value) -> bool:
    try:
        Preferences.model_validate({key: value})
        return True
    except ValidationError:
        return False


def save_settings(*, session: Session, values: dict) -> Preferences:
    """Several preferences in one use case; returns all of them. Unknown keys are refused."""
    unknown = set(values) - set(Preferences.model_fields)
    if unknown:
        raise InvalidInput(f"Unknown setting: {', '.join(sorted(unknown))}.")
    merged = _checked(get_settings(session=session).model_dump() | values)
    for key in values:
        row = session.get(Setting, key) or Setting(key=key, value_json="null")
        row.value_json = json.dumps(getattr(merged, key))
        session.add(row)
    flush(session)
    return merged
