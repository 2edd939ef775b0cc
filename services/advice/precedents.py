"""What worked before: past episodes of the same kind (a trust drop, a broken promise of ours, a
stakeholder turned blocker), with this or another partner; what the user recorded doing next;
and whether the partner's trust index recovered, and how fast.

For an episode on day D: the baseline is the latest partner-level reading before it (for a drop,
the reading before the drop); the trough the lowest reading from D to D + TROUGH_DAYS; trust
recovered on the first later reading back to RECOVERED_SHARE of the baseline or above. What was done next: the
partner's entries after D (up to NEXT_ENTRIES within NEXT_DAYS; only those with a reflection or a
promise, when there are some) and our promises made in them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from models.enums import CommitmentStatus, OwedBy, Stance
from models.tables import Commitment, Interaction, Partner, StanceChange, TrustReading

KINDS = {"trust_drop": "drop in trust", "broken_promise": "broken promise of ours",
         "blocker": "stakeholder turning blocker"}
DROP_AT_LEAST = 1.0
TROUGH_DAYS = 30
NEXT_DAYS = 90
NEXT_ENTRIES = 3
RECOVERED_SHARE = 0.9   # back to 90% of the level before counts as recovered


@dataclass
class Episode:
    kind: str
    partner_id: int
    partner: str
    when: datetime
    what: str                          # 'Trust fell from 4.50 to 2.00', "'X' broken"...
    entry_id: int | None               # the entry where it happened, when known
    baseline: float | None = None
    trough: float | None = None
    recovered_at: datetime | None = None
    recovered_to: float | None = None
    recovery_entry_id: int | None = None
    next_entries: list[dict] = field(default_factory=list)   # id, date, kind, title
    next_promises: list[str] = field(default_factory=list)

    @property
    def recovered(self) -> bool:
        return self.recovered_at is not None

    @property
    def days_to_recover(self) -> int | None:
        return (self.recovered_at.date() - self.when.date()).days if self.recovered else None

    @property
    def gain(self) -> float | None:
        if not self.recovered or self.trough is None:
            return None
        return round(self.recovered_to - self.trough, 2)

    @property
    def cites(self) -> list[int]:
        ids = [self.entry_id] + [e["id"] for e in self.next_entries] + [self.recovery_entry_id]
        return list(dict.fromkeys(i for i in ids if i))

    def as_json(self) -> dict:
        return {"kind": self.kind, "partner": self.partner, "date": self.when.isoformat(),
                "what": self.what, "entry": self.entry_id, "baseline": self.baseline,
                "trough": self.trough, "recovered": self.recovered,
                "days_to_recover": self.days_to_recover, "gain": self.gain,
                "next_entries": self.next_entries, "next_promises": self.next_promises}


def _as_datetime(value) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(12, 0))
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class Point:
    """A partner-level trust reading, as much of it as the outcomes need."""

    taken_at: datetime
    trust_index: float
    interaction_id: int | None


@dataclass
class Series:
    """A partner's readings (oldest first) with what the outcomes need precomputed: their
    times, indices and the highest index from each reading on (so a trust that never came
    back is known at once)."""

    readings: list[Point]
    times: list[datetime] = field(init=False)
    index: list[float] = field(init=False)
    best_after: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.times = [r.taken_at for r in self.readings]
        self.index = [r.trust_index for r in self.readings]
        self.best_after = self.index[:]
        for n in range(len(self.index) - 2, -1, -1):
            self.best_after[n] = max(self.index[n], self.best_after[n + 1])


def _outcome(episode: Episode, series: Series) -> None:
    """Baseline, trough and recovery from the partner's readings (binary searches: a partner
    with thousands of readings and hundreds of episodes stays quick)."""
    start = bisect_left(series.times, episode.when)
    if episode.baseline is None:
        if not start:
            return
        episode.baseline = round(series.index[start - 1], 2)
    end = bisect_right(series.times, episode.when + timedelta(days=TROUGH_DAYS))
    if end <= start:
        return
    lowest = min(series.index[start:end])
    low = series.index.index(lowest, start, end)  # the earliest of the lowest
    episode.trough = round(series.index[low], 2)
    wanted = RECOVERED_SHARE * episode.baseline - 1e-9
    first = bisect_right(series.times, series.times[low])  # strictly after the trough
    if first >= len(series.index) or series.best_after[first] < wanted:
        return
    for n in range(first, len(series.index)):
        if series.index[n] >= wanted:
            r = series.readings[n]
            episode.recovered_at, episode.recovered_to = r.taken_at, round(series.index[n], 2)
            episode.recovery_entry_id = r.interaction_id
            return


def episodes(*, session: Session, drop: float = DROP_AT_LEAST) -> list[Episode]:
    """Every episode in the journal with its outcome (what was done next is not read here)."""
    names = dict(session.exec(select(Partner.id, Partner.name)).all())
    series: dict[int, list[Point]] = {}
    for pid, when, c, r, i, so, entry in session.exec(
            select(TrustReading.partner_id, TrustReading.taken_at, TrustReading.credibility,
                   TrustReading.reliability, TrustReading.intimacy,
                   TrustReading.self_orientation, TrustReading.interaction_id)
            .where(col(TrustReading.stakeholder_id).is_(None))
            .order_by(TrustReading.taken_at, TrustReading.id)):  # columns: no ORM objects
        series.setdefault(pid, []).append(Point(when, (c + r + i) / so, entry))
    found: list[Episode] = []
    for pid, readings in series.items():
        for before, after in zip(readings, readings[1:], strict=False):
            if before.trust_index - after.trust_index >= drop:
                found.append(Episode("trust_drop", pid, names[pid], after.taken_at,
                                     f"trust fell from {before.trust_index:.2f} to "
                                     f"{after.trust_index:.2f}", after.interaction_id,
                                     baseline=round(before.trust_index, 2)))
    for c in session.exec(select(Commitment).where(
            Commitment.owed_by == OwedBy.us, Commitment.status == CommitmentStatus.broken)):
        when = c.resolved_at or (c.due and _as_datetime(c.due)) or c.created_at
        found.append(Episode("broken_promise", c.partner_id, names[c.partner_id],
                             _as_datetime(when), f"we broke '{c.text}'", c.interaction_id))
    for change in session.exec(select(StanceChange).where(StanceChange.new == Stance.blocker)):
        found.append(Episode("blocker", change.partner_id, names[change.partner_id],
                             change.changed_at, f"a stakeholder moved from {change.old.value} "
                             "to blocker", None))
    prepared = {pid: Series(readings) for pid, readings in series.items()}
    for e in found:
        if e.partner_id in prepared:
            _outcome(e, prepared[e.partner_id])
    return sorted(found, key=lambda e: e.when)


def what_next(*, session: Session, episode: Episode) -> Episode:
    """Fill in what the user recorded doing next: the partner's entries after the episode (only those
    where they wrote a reflection or made a promise, if any: routine entries say little), and our
    promises made in them."""
    until = episode.when + timedelta(days=NEXT_DAYS)
    rows = [i for i in session.exec(select(Interaction).where(
        Interaction.partner_id == episode.partner_id, Interaction.occurred_at > episode.when,
        Interaction.occurred_at <= until).order_by(Interaction.occurred_at, Interaction.id)
        .limit(50)) if i.id != episode.entry_id]
    promised: dict[int, list[str]] = {}
    if rows:
        for entry_id, text in session.exec(select(Commitment.interaction_id, Commitment.text)
                                           .where(col(Commitment.interaction_id).in_(
                                               [i.id for i in rows]),
                                               Commitment.owed_by == OwedBy.us)
                                           .order_by(Commitment.id)):
            promised.setdefault(entry_id, []).append(text)
    telling = [i for i in rows if i.reflection.strip() or i.id in promised] or rows
    telling = telling[:NEXT_ENTRIES]
    episode.next_entries = [{"id": i.id, "date": i.occurred_at.isoformat(), "kind": i.kind.value,
                             "title": i.title} for i in telling]
    episode.next_promises = [t for i in telling for t in promised.get(i.id, [])]
    return episode


def with_next(*, session: Session, found: list[Episode], per_kind: int = 4) -> list[Episode]:
    """What was done next, read for the few episodes that can be shown: the best `per_kind`
    recovered ones of each kind (a handful of queries, whatever the journal's size)."""
    for kind in KINDS:
        for e in best(found, {kind}, limit=per_kind):
            what_next(session=session, episode=e)
    return found


def best(found: list[Episode], kinds: set[str], *, exclude_entries: set[int] = frozenset(),
         since: datetime | None = None, limit: int = 2, like=None) -> list[Episode]:
    """The recovered episodes of these kinds, fastest recovery first, then the most recent;
    none that is the current episode (its entry excluded, or newer than `since`). With `like`
    (episode -> how alike it is to now, by meaning), the most alike first (issue 22)."""
    chosen = [e for e in found if e.kind in kinds and e.recovered
              and e.entry_id not in exclude_entries and (since is None or e.when < since)]
    chosen.sort(key=lambda e: (-round(like(e), 2) if like else 0, e.days_to_recover,
                               -e.when.timestamp()))
    return chosen[:limit]


def sentence(e: Episode) -> str:
    """'In 2025-04 with Helix, after a drop in trust (...), you then ...; trust recovered +1.20
    in 45 days.'"""
    did = "; ".join(f"'{n['title']}' ({n['kind']}, {n['date'][:10]})" for n in e.next_entries)
    promised = "; ".join(f"'{t}'" for t in e.next_promises[:2])
    action = (f"you then had {did}" if did else "you recorded no entry in the next weeks") + (
        f" and promised {promised}" if promised else "")
    return (f"In {e.when:%Y-%m} with {e.partner}, after a {KINDS[e.kind]} ({e.what}), {action}; "
            f"trust recovered {e.gain:+.2f} (back to {e.recovered_to:.2f}) in "
            f"{e.days_to_recover} days")


def outline(e: Episode) -> str:
    """The same story told without that partner's titles, people or promises, for advice on
    another partner: 'In 2025-09 with Northwind Cloud, after a broken promise of ours, what
    helped was a meeting 7 days after and a small promise of ours; trust recovered ...'."""
    moves = []
    outward = [n for n in e.next_entries if n["kind"] != "internal"]
    if outward:
        n = outward[0]
        days = max((datetime.fromisoformat(n["date"]) - e.when).days, 1)
        moves.append(f"a {n['kind']} with them {days} days after")
    if e.next_promises:
        moves.append("a small promise of ours, kept")
    did = " and ".join(moves) or "no recorded step"
    return (f"In {e.when:%Y-%m} with {e.partner}, after a {KINDS[e.kind]}, what helped was "
            f"{did}; trust recovered {e.gain:+.2f} (back to {e.recovered_to:.2f}) in "
            f"{e.days_to_recover} days")
