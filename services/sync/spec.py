"""What syncs, and how a row is known on every device.

Each synced table is listed parents first. A row's portable id (uid) is random for rows a user
creates, and derived from a natural key for rows every device could create on its own: a link
(an entry's tag, a participant, a citation) from its parents' uids, a setting from its name, a
calendar event from its UID, a partner from its name when that name is new, and the sample
journal's rows from their place in it. Values travel as SQLite stores them (text dates, 0/1
booleans); a foreign key travels as its parent's uid; bytes as base64.

Not synced: drafts (typed text not yet saved is the device's own), meaning vectors (each device
computes its own), and the preferences that belong to a machine (the model, threads).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlmodel import SQLModel

from models import tables  # noqa: F401 - the journal's tables, in the metadata

NAMESPACE = uuid.UUID("6f1c2f4e-8a51-4c1e-9d3b-2a7c5e0b9d41")
DELETED = "_deleted"   # the tombstone: a field like any other, last writer wins
# preferences that describe the journal and follow it; the rest stay with the machine
SYNCED_SETTINGS = frozenset({"no_contact_days", "trust_drop_alert", "page_size", "glossary"})
# free text that keeps both versions when two devices change it without seeing each other
TEXT = {
    "partner": {"summary"},
    "stakeholder": {"notes"},
    "interaction": {"notes", "reflection"},
    "trust_reading": {"note"},
    "commitment": {"text"},
    "health_check": {"note"},
}
ORDER = ("partner", "stakeholder", "stance_change", "interaction", "interaction_participant",
         "interaction_tag", "trust_reading", "commitment", "advice", "advice_citation",
         "health_check", "governance_cadence", "calendar_link", "voice_recording", "setting")


@dataclass(frozen=True)
class Spec:
    name: str
    key: tuple[str, ...]                 # the local primary key's columns
    fields: tuple[str, ...]              # synced columns (the local integer id excluded)
    parents: dict[str, str] = field(default_factory=dict)   # column -> parent table
    blobs: frozenset[str] = frozenset()
    text: frozenset[str] = frozenset()
    set_null: frozenset[str] = frozenset()   # links the database empties when the parent goes

    @property
    def serial(self) -> bool:
        """Keyed by an integer the database hands out (its uid is kept beside it)."""
        return self.key == ("id",)

    def natural_uid(self, values: dict) -> str | None:
        """The uid of a row known by what it is (links, settings, calendar events)."""
        if self.serial:
            return None
        return derived(self.name, *(str(values[k]) for k in self.key))

    def local_key(self, row: dict) -> str:
        return "\x1f".join(str(row[k]) for k in self.key)


def derived(*parts: str) -> str:
    return uuid.uuid5(NAMESPACE, "\x1f".join(parts)).hex


def new_uid() -> str:
    return uuid.uuid4().hex


def _spec(table) -> Spec:
    key = tuple(c.name for c in table.primary_key.columns)
    parents = {c.name: next(iter(c.foreign_keys)).column.table.name
               for c in table.columns if c.foreign_keys}
    fields = tuple(c.name for c in table.columns if c.name != "id")
    blobs = frozenset(c.name for c in table.columns if c.type.python_type is bytes)
    set_null = frozenset(c.name for c in table.columns
                         if any(fk.ondelete == "SET NULL" for fk in c.foreign_keys))
    return Spec(table.name, key, fields, parents, blobs, frozenset(TEXT.get(table.name, ())),
                set_null)


SPECS: dict[str, Spec] = {name: _spec(SQLModel.metadata.tables[name]) for name in ORDER}
RANK = {name: i for i, name in enumerate(ORDER)}
