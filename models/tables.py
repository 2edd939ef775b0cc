"""The journal's tables, in the Base / Create / Update / table pattern.

Create models validate input; table models are what the session stores. Enumerations are
stored by their (lower-case) names, which equal their values.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import NaiveDatetime, field_validator
from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.enums import (
    CommitmentStatus,
    InteractionKind,
    OwedBy,
    PartnerStatus,
    Side,
    Stance,
)


def now() -> datetime:
    """Now, as local wall-clock time: journal times are when things happened, where they did."""
    return datetime.now().replace(microsecond=0)


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
    pass


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


class CommitmentUpdate(SQLModel):
    text: str | None = None
    due: date | None = None
    status: CommitmentStatus | None = None


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
