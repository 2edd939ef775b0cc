"""'What worked before' as a playbook rule: the current episodes of trouble, the past ones of
the same kind that recovered (by meaning when the index is there), and what helped then as a
step to take here, restated in this partner's people and promises when it was another's."""

from __future__ import annotations

from datetime import datetime

from models.tables import CommitmentStatus, OwedBy, Side, Stance
from services.advice import forward, precedents
from services.advice.people_rules import people
from services.advice.signals import PartnerSnapshot, Signal
from services.journal.trust import index_drop


def current_episodes(s: PartnerSnapshot, cfg: dict) -> tuple[set[str], set[int]]:
    """The kinds of trouble the partner is in now, and the entries where they happened."""
    kinds, entries = set(), set()
    pair = index_drop(s.readings, cfg["drop"])
    if pair:
        kinds.add("trust_drop")
        entries.add(pair[1].interaction_id)
    broken = s.broken(OwedBy.us, cfg["window_days"])
    if broken:
        kinds.add("broken_promise")
        entries.update(c.interaction_id for c in broken)
    if people(s, Side.partner, (Stance.blocker,)):
        kinds.add("blocker")
    entries.discard(None)
    return kinds, entries


def _first_move(s: PartnerSnapshot, e) -> str:
    """What helped then, as a step to take here (an entry's title alone is not an action). An
    episode of another partner is restated in this partner's people and promises: its titles,
    people and promises are never pasted."""
    if e.partner_id != s.partner.id:
        return _restated(s, e)
    if e.next_promises:
        return f"a small promise like the one you made then ('{e.next_promises[0]}')"
    outward = [n for n in e.next_entries if n["kind"] != "internal"] or e.next_entries
    if not outward:
        return "a direct conversation about what happened"
    n = outward[0]
    days = max((datetime.fromisoformat(n["date"]) - e.when).days, 1)
    return f"a {n['kind']} with them, as you had then ('{n['title']}', {days} days after)"


def _restated(s: PartnerSnapshot, e) -> str:
    person = forward.counterpart(s)
    who = person.name if person else "your counterpart"
    moves = []
    outward = [n for n in e.next_entries if n["kind"] != "internal"]
    if outward:
        days = max((datetime.fromisoformat(outward[0]["date"]) - e.when).days, 1)
        moves.append(f"a {outward[0]['kind']} with {who} within {days} days")
    if e.next_promises:
        ours = sorted(s.commitments_of(OwedBy.us, CommitmentStatus.open),
                      key=lambda c: (c.due is None, c.due or s.today))
        moves.append(f"a small, dated promise to {who} on '{ours[0].text}' (a short status "
                     "note each week until it is delivered)" if ours else
                     f"one small, dated promise to {who} that you fully control")
    return " and ".join(moves) or f"a direct conversation with {who} about what happened"


def r_what_worked_before(s, cfg):
    """The best one or two past episodes of the same kind that recovered (one angle each)."""
    kinds, entries = current_episodes(s, cfg)
    if not kinds or not s.precedents:
        return None
    like = (lambda e: s.likeness([i for i in e.cites], sorted(entries))) \
        if s.likeness is not None and entries else None
    found = precedents.best(s.precedents, kinds, exclude_entries=entries, limit=cfg["limit"],
                            like=like)
    out = []
    for e in found:
        same = e.partner_id == s.partner.id
        out.append(Signal({"partner": e.partner, "month": f"{e.when:%Y-%m}",
                           "what": precedents.KINDS[e.kind],
                           "story": precedents.sentence(e) if same else precedents.outline(e),
                           "first": _first_move(s, e)},
                          e.cites, None))
    return out or None
