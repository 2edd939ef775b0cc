"""The journal quoted: for each angle, the one or two sentences from the partner's entries that
best support it, word for word, with their [#id] (issue 22).

Candidates are the sentences of the entries the angle cites (its evidence: an angle that
cites none says so, and is not given words it does not rest on). A sentence supports
an angle by the words it shares with the angle's claim and the people it names. Sentences from
a private reflection are marked private: the app shows them, the brief only when reflections
are included. Pure text and the index: no model writes anything here.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from services.advice.grounding import content_stems
from services.advice.signals import PartnerSnapshot

SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
HEADING = re.compile(r"^\s*#+\s")
MAX_QUOTE = 240
MIN_SUPPORT = 2
PER_ANGLE = 2


@dataclass(frozen=True)
class Quote:
    interaction_id: int
    text: str
    private: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def _sentences(entry, private: bool):
    for text, is_private in ((entry.notes, False), (entry.reflection, True)):
        if is_private and not private:
            continue
        for m in SENTENCE.finditer(text or ""):
            sentence = m.group().strip(" -*•\t")
            if len(sentence.split()) >= 4 and not HEADING.match(m.group()):
                yield sentence, is_private


def _clip(sentence: str) -> str:
    if len(sentence) <= MAX_QUOTE:
        return sentence
    return sentence[:MAX_QUOTE].rsplit(" ", 1)[0] + "…"


def support(angle, s: PartnerSnapshot, *, private: bool = True) -> list[Quote]:
    """The sentences that best support the angle, at most PER_ANGLE, from different entries
    where it can."""
    claim = f"{angle.title} {angle.why} {angle.first_step}"
    wanted = content_stems(claim)
    names = {w for p in s.stakeholders for w in p.name.split() if len(w) > 2 and w in claim}
    by_id = {i.id: i for i in s.interactions}
    pool = [by_id[i] for i in angle.cites if i in by_id]
    scored = []
    said = " ".join(claim.casefold().split())
    for rank, entry in enumerate(pool):
        for sentence, is_private in _sentences(entry, private):
            if " ".join(sentence.casefold().rstrip(".").split()) in said:
                continue      # the angle already says it
            shared = len(wanted & content_stems(sentence))
            named = sum(n in sentence for n in names)
            score = shared + 2 * named
            if score >= MIN_SUPPORT:
                scored.append((score, -rank, entry.id, sentence, is_private))
    scored.sort(reverse=True)
    if not scored:
        return []
    best = scored[0]
    rest = [x for x in scored[1:] if x[3] != best[3]]     # routine notes repeat word for word
    other = next((x for x in rest if x[2] != best[2]), None) or (rest[0] if rest else None)
    return [Quote(x[2], _clip(x[3]), x[4]) for x in (best, other)[:PER_ANGLE] if x]


def quote_angles(angles, s: PartnerSnapshot, *, private: bool = True):
    """Fill each angle's quotes from the entries it cites."""
    for angle in angles:
        angle.quotes = [q.as_dict() for q in support(angle, s, private=private)]
    return angles
