"""The alliance health check: strategic fit, operational execution and the relationship, each
scored 1-5 with a line of evidence, my view beside the partner's view as I read it. A gap of
GAP_AT_LEAST between the two views on any axis, or a drop of DROP_AT_LEAST on any axis of my view
since the previous check, is an alert and a playbook angle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from models.tables import HealthCheck, HealthCheckCreate
from services.journal import get_partner
from services.store import flush, validated

AXES = ("strategic", "operational", "relational")
AXIS_LABELS = {"strategic": "strategic fit", "operational": "operational execution",
               "relational": "relationship"}
GAP_AT_LEAST = 2
DROP_AT_LEAST = 2


def add_checkup(*, session: Session, checkup_in: HealthCheckCreate | dict) -> HealthCheck:
    data = validated(HealthCheckCreate, checkup_in)
    get_partner(session=session, partner_id=data.partner_id)
    check = HealthCheck.model_validate(data)
    session.add(check)
    flush(session)
    return check


def history(*, session: Session, partner_id: int | None = None) -> list[HealthCheck]:
    """Oldest first (one partner, or every partner)."""
    query = select(HealthCheck).order_by(HealthCheck.taken_on, HealthCheck.id)
    if partner_id is not None:
        query = query.where(HealthCheck.partner_id == partner_id)
    return list(session.exec(query))


def by_partner(*, session: Session) -> dict[int, list[HealthCheck]]:
    """Every partner's history (oldest first) in one query: the portfolio's way."""
    found: dict[int, list[HealthCheck]] = {}
    for check in history(session=session):
        found.setdefault(check.partner_id, []).append(check)
    return found


def ours(check: HealthCheck) -> tuple[int, int, int]:
    return tuple(getattr(check, a) for a in AXES)


def theirs(check: HealthCheck) -> tuple[int | None, ...]:
    return tuple(getattr(check, f"their_{a}") for a in AXES)


@dataclass(frozen=True)
class AxisFinding:
    axis: str
    before: int       # a gap: my view; a drop: the previous check
    after: int        # a gap: their view as I read it; a drop: this check

    @property
    def label(self) -> str:
        return AXIS_LABELS[self.axis]

    @property
    def size(self) -> int:
        return abs(self.before - self.after)


def gaps(check: HealthCheck, at_least: int = GAP_AT_LEAST) -> list[AxisFinding]:
    """Axes where my view and theirs (as I read it) are `at_least` apart, widest first."""
    found = [AxisFinding(a, getattr(check, a), getattr(check, f"their_{a}")) for a in AXES
             if getattr(check, f"their_{a}") is not None
             and abs(getattr(check, a) - getattr(check, f"their_{a}")) >= at_least]
    return sorted(found, key=lambda f: -f.size)


def drops(before: HealthCheck, after: HealthCheck,
          at_least: int = DROP_AT_LEAST) -> list[AxisFinding]:
    """Axes of my view that fell by `at_least` from one check to the next, largest first."""
    found = [AxisFinding(a, getattr(before, a), getattr(after, a)) for a in AXES
             if getattr(before, a) - getattr(after, a) >= at_least]
    return sorted(found, key=lambda f: -f.size)


def latest_findings(checks: list[HealthCheck]) -> tuple[list[AxisFinding], list[AxisFinding]]:
    """(gaps, drops) of the latest check of a history (oldest first)."""
    if not checks:
        return [], []
    latest = checks[-1]
    return gaps(latest), (drops(checks[-2], latest) if len(checks) >= 2 else [])


def describe(findings: list[AxisFinding], what: str) -> str:
    """'strategic fit 4 vs 2; relationship 5 vs 3' (what='vs') or '... 4 to 2' (what='to')."""
    return "; ".join(f"{f.label} {f.before} {what} {f.after}" for f in findings)


def day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
