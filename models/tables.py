"""The journal's tables, in the Base / Create / Update / table pattern.

Create models validate input; table models are what the session stores. Enumerations are
stored by their (lower-case) names, which equal their values.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import NaiveDatetime, field_validator
from sqlalchemy import Index, LargeBinary
from sqlmodel import Field, SQLModel

from models.enums import (
    CommitmentStatus,
    GovernanceKind,
    InteractionKind,
    OwedBy,
    PartnerStatus,
    Side,
    Stage,
    Stance,
)


def now() -> datetime:
    """Now, as local wall-clock time: journal times are when things happened, where they did."""
    return datetime.now().replace(microsecond=0)


# Every date a user or a file gives for a journal fact (an entry, a trust reading, a promise's due
# date, a health check, a governance date, a calendar event) falls within these years; checked
# where it is parsed, by the Create/Update models below and by the calendar import.
FIRST_YEAR, LAST_YEAR = 1900, 2100


def in_journal_years(value: date | None) -> bool:
    """Whether a stored date can be shown on a time axis (older journals may hold others)."""
    return value is None or FIRST_YEAR <= value.year <= LAST_YEAR


def journal_date(value, what: str = "The date"):
    """`value` (a date or datetime, or None) if it falls within the journal's years."""
    if not in_journal_years(value):
        raise ValueError(f"{what} must fall in the years {FIRST_YEAR}-{LAST_YEAR}, "
                         f"not {value.year}")
    return value


def dated(*fields: str):
    """The validator that bounds a model's date fields (one line in each Create/Update model)."""
    return field_validator(*fields)(lambda cls, v: journal_date(v))


def _required_text(value: str, what: str) -> str:
    if value is None or not value.strip():
        raise ValueError(f"{what} cannot be empty")
    if "\x00" in value:
        raise ValueError(f"{what} contains a NUL character")
    return value.strip()


def _no_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("text contains a NUL character")
    return value


# --- partner ---------------------------------------------------------------------------------
class PartnerBase(SQLModel):
    name: str = Field(max_length=200)
    kind: str = Field(default="strategic", max_length=80)
    status: PartnerStatus = PartnerStatus.active
    summary: str = ""
    stage: Stage | None = None    # lifecycle: explore, negotiate, launch, run, renew, exit


class PartnerCreate(PartnerBase):
    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _required_text(v, "A partner's name")

    @field_validator("summary")
    @classmethod
    def _summary(cls, v: str) -> str:
        return _no_nul(v)


class PartnerUpdate(SQLModel):
    name: str | None = None
    kind: str | None = None
    status: PartnerStatus | None = None
    summary: str | None = None
    stage: Stage | None = None


class Partner(PartnerBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    created_at: NaiveDatetime = Field(default_factory=now)


# --- stakeholder -----------------------------------------------------------------------------
class StakeholderBase(SQLModel):
    partner_id: int = Field(foreign_key="partner.id", index=True)
    name: str = Field(max_length=200)
    side: Side = Side.partner
    role: str = ""
    influence: int = Field(default=3, ge=1, le=5)
    stance: Stance = Stance.neutral
    notes: str = ""
    active: bool = True
    email: str = Field(default="", max_length=254)   # matches calendar attendees
    # keep in touch: days between contacts, ideally and at most (None: by influence)
    touch_ideal_days: int | None = Field(default=None, ge=1, le=3650)
    touch_max_days: int | None = Field(default=None, ge=1, le=3650)


class StakeholderCreate(StakeholderBase):
    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _required_text(v, "A stakeholder's name")

    @field_validator("notes", "role")
    @classmethod
    def _text(cls, v: str) -> str:
        return _no_nul(v)


class StakeholderUpdate(SQLModel):
    name: str | None = None
    side: Side | None = None
    role: str | None = None
    influence: int | None = Field(default=None, ge=1, le=5)
    stance: Stance | None = None
    notes: str | None = None
    active: bool | None = None
    email: str | None = Field(default=None, max_length=254)
    touch_ideal_days: int | None = Field(default=None, ge=1, le=3650)
    touch_max_days: int | None = Field(default=None, ge=1, le=3650)


class Stakeholder(StakeholderBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class StanceChange(SQLModel, table=True):
    """A stakeholder's stance moved (recorded by the journal service on every change)."""

    __tablename__ = "stance_change"
    id: int | None = Field(default=None, primary_key=True)
    stakeholder_id: int = Field(foreign_key="stakeholder.id", ondelete="CASCADE")
    partner_id: int = Field(foreign_key="partner.id", index=True)
    old: Stance
    new: Stance
    changed_at: NaiveDatetime = Field(default_factory=now)


# --- interaction -----------------------------------------------------------------------------
class InteractionBase(SQLModel):
    partner_id: int = Field(foreign_key="partner.id", index=True)
    occurred_at: NaiveDatetime = Field(default_factory=now, index=True)
    kind: InteractionKind = InteractionKind.meeting
    title: str = Field(max_length=300)
    notes: str = ""
    reflection: str = ""
    difficulty: int = Field(default=0, ge=0, le=5)


class InteractionCreate(InteractionBase):
    participant_ids: list[int] = []
    tags: list[str] = []

    _occurred_at = dated("occurred_at")

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        return _required_text(v, "The title")

    @field_validator("notes", "reflection")
    @classmethod
    def _text(cls, v: str) -> str:
        return _no_nul(v)


class InteractionUpdate(SQLModel):
    occurred_at: NaiveDatetime | None = None
    kind: InteractionKind | None = None
    title: str | None = None
    notes: str | None = None
    reflection: str | None = None
    difficulty: int | None = Field(default=None, ge=0, le=5)
    participant_ids: list[int] | None = None
    tags: list[str] | None = None

    _occurred_at = dated("occurred_at")


class Interaction(InteractionBase, table=True):
    __table_args__ = (Index("ix_interaction_partner_occurred", "partner_id", "occurred_at"),)
    id: int | None = Field(default=None, primary_key=True)
    created_at: NaiveDatetime = Field(default_factory=now)
    updated_at: NaiveDatetime = Field(default_factory=now)


class InteractionParticipant(SQLModel, table=True):
    __tablename__ = "interaction_participant"
    interaction_id: int = Field(foreign_key="interaction.id", primary_key=True, ondelete="CASCADE")
    stakeholder_id: int = Field(foreign_key="stakeholder.id", primary_key=True, index=True,
                                ondelete="CASCADE")


class InteractionTag(SQLModel, table=True):
    __tablename__ = "interaction_tag"
    interaction_id: int = Field(foreign_key="interaction.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(primary_key=True, max_length=80, index=True)


# --- trust reading ---------------------------------------------------------------------------
class TrustReadingBase(SQLModel):
    partner_id: int = Field(foreign_key="partner.id", index=True)
    stakeholder_id: int | None = Field(default=None, foreign_key="stakeholder.id",
                                       ondelete="CASCADE")
    interaction_id: int | None = Field(default=None, foreign_key="interaction.id",
                                       ondelete="SET NULL")
    taken_at: NaiveDatetime = Field(default_factory=now, index=True)
    credibility: int = Field(ge=1, le=10)
    reliability: int = Field(ge=1, le=10)
    intimacy: int = Field(ge=1, le=10)
    self_orientation: int = Field(ge=1, le=10)
    note: str = ""


class TrustReadingCreate(TrustReadingBase):
    _taken_at = dated("taken_at")


class TrustReading(TrustReadingBase, table=True):
    __tablename__ = "trust_reading"
    id: int | None = Field(default=None, primary_key=True)

    @property
    def trust_index(self) -> float:
        """Maister's trust equation: (C + R + I) / S."""
        return (self.credibility + self.reliability + self.intimacy) / self.self_orientation


# --- commitment ------------------------------------------------------------------------------
class CommitmentBase(SQLModel):
    partner_id: int = Field(foreign_key="partner.id", index=True)
    interaction_id: int | None = Field(default=None, foreign_key="interaction.id",
                                       ondelete="SET NULL")
    owed_by: OwedBy
    text: str
    due: date | None = None
    status: CommitmentStatus = CommitmentStatus.open


class CommitmentCreate(CommitmentBase):
    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        return _required_text(v, "A commitment's text")

    _due = dated("due")


class CommitmentUpdate(SQLModel):
    text: str | None = None
    owed_by: OwedBy | None = None
    due: date | None = None
    status: CommitmentStatus | None = None

    @field_validator("text")
    @classmethod
    def _text(cls, v: str | None) -> str | None:
        return None if v is None else _required_text(v, "A commitment's text")

    _due = dated("due")


class Commitment(CommitmentBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: NaiveDatetime = Field(default_factory=now)
    resolved_at: NaiveDatetime | None = None


# --- advice ----------------------------------------------------------------------------------
class AdviceBase(SQLModel):
    partner_id: int = Field(foreign_key="partner.id", index=True)
    interaction_id: int | None = Field(default=None, foreign_key="interaction.id",
                                       ondelete="SET NULL")
    question: str
    angles_json: str = "[]"
    text: str = ""                # only sentences that passed the grounding check
    model: str = ""
    stopped: bool = False         # the user stopped it: text holds its complete sentences
    draft: bool = False           # a small model's text: not in the brief until the user keeps it
    parts_json: str = "[]"        # every sentence written: rule, text, kept, reason


class AdviceCreate(AdviceBase):
    cited_ids: list[int] = []


class Advice(AdviceBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: NaiveDatetime = Field(default_factory=now)


class AdviceCitation(SQLModel, table=True):
    __tablename__ = "advice_citation"
    advice_id: int = Field(foreign_key="advice.id", primary_key=True, ondelete="CASCADE")
    interaction_id: int = Field(foreign_key="interaction.id", primary_key=True,
                                ondelete="CASCADE")


# --- drafts and settings ---------------------------------------------------------------------
class Draft(SQLModel, table=True):
    """Autosaved editor content, keyed by what is being edited (e.g. 'interaction:new')."""

    key: str = Field(primary_key=True, max_length=120)
    content_json: str
    updated_at: NaiveDatetime = Field(default_factory=now)


class Setting(SQLModel, table=True):
    """User preferences, kept inside the encrypted file."""

    key: str = Field(primary_key=True, max_length=120)
    value_json: str


# --- alliance practice: health checks, governance cadence, calendar links ---------------------
class HealthCheckBase(SQLModel):
    """The alliance health check: strategic fit, operational execution and the relationship,
    each 1-5 with a line of evidence; `their_*` is the partner's view as I read it."""

    partner_id: int = Field(foreign_key="partner.id", index=True, ondelete="CASCADE")
    taken_on: date = Field(default_factory=date.today)
    strategic: int = Field(ge=1, le=5)
    operational: int = Field(ge=1, le=5)
    relational: int = Field(ge=1, le=5)
    their_strategic: int | None = Field(default=None, ge=1, le=5)
    their_operational: int | None = Field(default=None, ge=1, le=5)
    their_relational: int | None = Field(default=None, ge=1, le=5)
    strategic_evidence: str = ""
    operational_evidence: str = ""
    relational_evidence: str = ""
    note: str = ""


class HealthCheckCreate(HealthCheckBase):
    @field_validator("strategic_evidence", "operational_evidence", "relational_evidence", "note")
    @classmethod
    def _text(cls, v: str) -> str:
        return _no_nul(v)

    _taken_on = dated("taken_on")


class HealthCheck(HealthCheckBase, table=True):
    __tablename__ = "health_check"
    id: int | None = Field(default=None, primary_key=True)
    created_at: NaiveDatetime = Field(default_factory=now)


class GovernanceCadenceBase(SQLModel):
    """A governance meeting on a rhythm (QBR every 90 days...). `next_due` is the date set or
    the series' next occurrence; a meeting held later moves the due date on (services/governance)."""

    partner_id: int = Field(foreign_key="partner.id", index=True, ondelete="CASCADE")
    kind: GovernanceKind = GovernanceKind.qbr
    every_days: int = Field(ge=1, le=3650)
    next_due: date
    label: str = Field(default="", max_length=200)


class GovernanceCadenceCreate(GovernanceCadenceBase):
    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        return (_no_nul(v) or "").strip()

    _next_due = dated("next_due")


class GovernanceCadence(GovernanceCadenceBase, table=True):
    __tablename__ = "governance_cadence"
    id: int | None = Field(default=None, primary_key=True)
    created_at: NaiveDatetime = Field(default_factory=now)


class CalendarLink(SQLModel, table=True):
    """A calendar event already imported (by its iCalendar UID): a re-import updates the entry
    when the event's SEQUENCE grew, and never makes a twin."""

    __tablename__ = "calendar_link"
    uid: str = Field(primary_key=True, max_length=500)
    partner_id: int = Field(foreign_key="partner.id", index=True, ondelete="CASCADE")
    sequence: int = 0
    interaction_id: int | None = Field(default=None, foreign_key="interaction.id",
                                       ondelete="SET NULL")
    cadence_id: int | None = Field(default=None, foreign_key="governance_cadence.id",
                                   ondelete="SET NULL")
    imported_at: NaiveDatetime = Field(default_factory=now)


class VoiceRecording(SQLModel, table=True):
    """A voice memo the user chose to keep (issue 15): FLAC, 16 kHz mono, inside the encrypted
    file with the entry it became; deleted with the entry."""

    __tablename__ = "voice_recording"
    id: int | None = Field(default=None, primary_key=True)
    interaction_id: int = Field(foreign_key="interaction.id", index=True, ondelete="CASCADE")
    audio: bytes = Field(sa_type=LargeBinary)
    seconds: float = Field(ge=0)
    source: str = Field(default="microphone", max_length=20)   # microphone or file
    language: str = Field(default="", max_length=12)
    created_at: NaiveDatetime = Field(default_factory=now)


class EntryChunk(SQLModel, table=True):
    """A span of an entry's text (issue 22) with its sentence embedding: `field` is 'notes'
    (the title and notes, as one text) or 'reflection' (private); `start`/`end` are character
    offsets into that text; `vector` is float16 x the model's dimensions. Deleted with the
    entry; rewritten when the entry changes after `indexed_at`."""

    __tablename__ = "entry_chunk"
    id: int | None = Field(default=None, primary_key=True)
    interaction_id: int = Field(foreign_key="interaction.id", index=True, ondelete="CASCADE")
    field: str = Field(max_length=10)
    start: int
    end: int
    vector: bytes = Field(sa_type=LargeBinary)
    model: str = Field(max_length=80)
    indexed_at: NaiveDatetime = Field(default_factory=now)
from models import sync_tables  # noqa: E402,F401 - sync bookkeeping, in the same metadata
