"""What the journal shows about one person: the entries that show their stance (a refusal, a
veto), the later entries that say otherwise (their words, a better trust reading, a meeting
that went well), and who came after someone who left.

A stance is a judgement the user made once; entries keep coming. An angle built on a stance
cites the entries that show it, and asks to confirm it when later entries contradict it. The
word lists live in resources/playbook.toml [words].
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from models.tables import Interaction, Stakeholder
from services.advice.signals import PartnerSnapshot
from services.paths import resource

SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
MEETING_WENT_WELL = 1      # difficulty rated 1/5 with them present: a meeting that went well
MEETINGS = ("meeting", "workshop", "call", "informal")
NEAR = 6                   # words after a name that may carry what they did
TRUST_ROSE = 0.5           # a person's trust index up by this much says otherwise


@cache
def word_lists() -> dict[str, frozenset[str]]:
    data = tomllib.loads(resource("playbook.toml").read_text(encoding="utf-8"))["words"]
    return {key: frozenset(w.casefold() for w in values) for key, values in data.items()}


def _words(text: str) -> list[str]:
    return WORD.findall(text.casefold().replace("’", "'"))


def says(sentence: str, person: Stakeholder, kind: str) -> bool:
    """Whether the sentence says the person is against us (kind 'against') or for us ('for'):
    one of the kind's words within NEAR words after their name, as its subject would be
    ('Tom refuses', 'Fatima proposed'), and none of the other kind's."""
    other = "for" if kind == "against" else "against"
    words = _words(sentence)
    names = {w.casefold() for f in name_forms(person) for w in _words(f)}
    for n, w in enumerate(words):
        if w in names:
            window = " " + " ".join(words[n + 1:n + 1 + NEAR]) + " "
            if any(f" {x} " in window for x in word_lists()[kind]) and not any(
                    f" {x} " in window for x in word_lists()[other]):
                return True
    return False


def name_forms(person: Stakeholder) -> set[str]:
    """The ways notes name a person: the full name, the first name and the surname (titles
    and a parenthesised note such as '(Kestrel)' left out)."""
    plain = re.sub(r"\(.*?\)", "", person.name).strip()
    parts = [p for p in plain.replace(".", " ").split() if p.casefold() not in
             {"dr", "mr", "mrs", "ms", "prof", "sir"}]
    forms = {plain}
    if parts:
        forms.update({parts[0], parts[-1]})
    return {f for f in forms if len(f) > 1}


def about(entry: Interaction, person: Stakeholder) -> list[str]:
    """The sentences of an entry (notes, reflection, then title) that name the person."""
    forms = name_forms(person)
    found = []
    for text in (entry.notes, entry.reflection, entry.title):
        for sentence in SENTENCE.findall(text or ""):
            words = set(WORD.findall(sentence))
            if any(f in words or (" " in f and f in sentence) for f in forms):
                found.append(sentence.strip())
    return found


@dataclass
class StanceReading:
    """Why the journal holds a stance, and whether later entries contradict it."""

    person: Stakeholder
    set_at: datetime | None                    # the recorded stance change, when there is one
    shown_by: list[Interaction]                # entries that show the stance, best first
    contradicted_by: Interaction | None = None
    contradiction: str = ""                    # what that entry says (a sentence or a reading)

    @property
    def cites(self) -> list[int]:
        return [i.id for i in self.shown_by[:3]]


def _present(s: PartnerSnapshot, entry: Interaction, person: Stakeholder) -> bool:
    return person.id in s.participants.get(entry.id, [])


def shown_by(s: PartnerSnapshot, person: Stakeholder) -> list[Interaction]:
    """Entries whose sentences about the person say they are against us, most telling first:
    the more such sentences, the harder meeting, the more recent."""
    found = []
    for entry in s.interactions:
        hits = [x for x in about(entry, person) if says(x, person, "against")]
        if hits:
            found.append((len(hits), entry.difficulty, entry.occurred_at, entry))
    found.sort(key=lambda t: (t[0], t[1], t[2]), reverse=True)
    return [t[3] for t in found]


def _stance_set_at(s: PartnerSnapshot, person: Stakeholder) -> datetime | None:
    changes = [c for c in s.stance_changes if c.stakeholder_id == person.id
               and c.new == person.stance]
    return max((c.changed_at for c in changes), default=None)


def _rising_reading(s: PartnerSnapshot, person: Stakeholder, after: datetime | None):
    readings = s.person_readings.get(person.id, [])
    for before, later in zip(readings, readings[1:], strict=False):
        if (after is None or later.taken_at > after) and \
                later.trust_index - before.trust_index >= TRUST_ROSE:
            return later
    return None


def read_stance(s: PartnerSnapshot, person: Stakeholder) -> StanceReading:
    """The entries showing a skeptic's or a blocker's stance, and the latest entry after it
    that says otherwise: their own words for us, a meeting with them that went well, or a
    trust reading of them that rose."""
    shown = shown_by(s, person)
    set_at = _stance_set_at(s, person)
    since = set_at or max((e.occurred_at for e in shown), default=None)
    reading = StanceReading(person, set_at, shown)
    for entry in s.interactions:                         # newest first
        if since is not None and entry.occurred_at <= since:
            break
        if entry.occurred_at.date() > s.today:           # a meeting still ahead says nothing
            continue
        sentences = about(entry, person)
        kind_words = [x for x in sentences if says(x, person, "for")]
        against = any(says(x, person, "against") for x in sentences)
        went_well = (_present(s, entry, person) and entry.kind.value in MEETINGS
                     and 1 <= entry.difficulty <= MEETING_WENT_WELL and not against)
        if against:                 # their latest word is against us: the stance stands
            break
        if kind_words or went_well:
            reading.contradicted_by = entry
            reading.contradiction = kind_words[0] if kind_words else (
                f"{person.name} was there and it went well (difficulty {entry.difficulty}/5)")
            return reading
    rose = _rising_reading(s, person, since)
    if rose is not None and rose.interaction_id:
        entry = next((i for i in s.interactions if i.id == rose.interaction_id), None)
        if entry is not None:
            reading.contradicted_by = entry
            reading.contradiction = (f"your trust reading of {person.name} rose to "
                                     f"{rose.trust_index:.2f}")
    return reading


def successor(s: PartnerSnapshot, person: Stakeholder) -> tuple[Stakeholder, list] | None:
    """Someone on their side first met after the person was last seen, with the entries since
    (the most influential such person): the one to make the new sponsor."""
    seen = s.with_person(person.id)
    left = seen[0].occurred_at if seen else None
    if left is None:
        return None
    best = None
    for other in s.stakeholders:
        if other.id == person.id or other.side != person.side or not other.active:
            continue
        met = [i for i in s.with_person(other.id) if i.occurred_at.date() <= s.today]
        if met and min(i.occurred_at for i in met) > left and (
                best is None or other.influence > best[0].influence):
            best = (other, met)
    return best
