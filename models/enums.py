"""The journal's enumerations, in a module with no heavy imports: the tables, the services, the
UI and the command line's choices all take them from here (one source for each list)."""

from __future__ import annotations

from enum import StrEnum


class PartnerStatus(StrEnum):
    prospect = "prospect"
    active = "active"
    paused = "paused"
    ended = "ended"


class Side(StrEnum):
    partner = "partner"
    internal = "internal"


class Stance(StrEnum):
    champion = "champion"
    supporter = "supporter"
    neutral = "neutral"
    skeptic = "skeptic"
    blocker = "blocker"


class InteractionKind(StrEnum):
    meeting = "meeting"
    call = "call"
    email = "email"
    workshop = "workshop"
    informal = "informal"
    internal = "internal"


class OwedBy(StrEnum):
    us = "us"
    them = "them"


class CommitmentStatus(StrEnum):
    open = "open"
    kept = "kept"
    broken = "broken"
    dropped = "dropped"


class QuestionKind(StrEnum):
    """What the user asks the advisor; `free` is a question in their own words."""

    trust = "trust"
    politics = "politics"
    strategy = "strategy"
    prepare = "prepare"
    free = "free"

    @property
    def label(self) -> str:
        return QUESTION_LABELS[self]

    @property
    def question(self) -> str:
        return QUESTION_TEXT[self]


QUESTION_LABELS = {
    QuestionKind.trust: "Rebuild trust after this entry",
    QuestionKind.politics: "Navigate politics with…",
    QuestionKind.strategy: "Align our strategies",
    QuestionKind.prepare: "Prepare for the next meeting",
    QuestionKind.free: "A free question…",
}
QUESTION_TEXT = {
    QuestionKind.trust: "How do I rebuild trust after this interaction?",
    QuestionKind.politics: "How do I navigate the politics around {person}?",
    QuestionKind.strategy: "How do we align our strategies?",
    QuestionKind.prepare: "How should I prepare for the next meeting?",
    QuestionKind.free: "{question}",
}


def values(enum: type[StrEnum]) -> list[str]:
    """The choices a command line offers for an enumeration."""
    return [member.value for member in enum]


class Stage(StrEnum):
    """Where an alliance is in its lifecycle."""

    explore = "explore"
    negotiate = "negotiate"
    launch = "launch"
    run = "run"
    renew = "renew"
    exit = "exit"


class GovernanceKind(StrEnum):
    """A governance meeting held on a rhythm: quarterly business review, joint business plan,
    steering committee, or another named one."""

    qbr = "qbr"
    jbp = "jbp"
    steering = "steering"
    other = "other"

    @property
    def label(self) -> str:
        return GOVERNANCE_LABELS[self]


GOVERNANCE_LABELS = {
    GovernanceKind.qbr: "QBR",
    GovernanceKind.jbp: "joint business plan",
    GovernanceKind.steering: "steering committee",
    GovernanceKind.other: "governance meeting",
}
