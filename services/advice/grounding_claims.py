"""The claims in a model's sentence that must match the context whole: a quotation (word for
word), a date (the whole date, in ISO or written form, not its parts found here and there) and a
promise (owed by the side that owes it). Used by services/advice/grounding.py; pure text, the cue
words in resources/grounding/<language>.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.advice.grounding_words import GroundingWords

MIN_QUOTED_WORDS = 2      # a one-word quotation is a scare quote, not a claim
OWED_SHARE = 0.6          # a sentence on a promise holds this share of its content words...
OWED_WORDS = 2            # ...or at least this many of them

_DOUBLE = re.compile(r"\"([^\"]+)\"|“([^”]+)”")
_SINGLE = re.compile(r"(?:^|(?<=[\s(\[]))'(\S.*?)'(?=[\s.,;:!?)\]]|$)")
_TOKEN = re.compile(r"[^\W_]+")
_ORDINAL = r"(?:st|nd|rd|th)?"


def _norm(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


def quotations(text: str) -> list[str]:
    """The spans the sentence puts in quotation marks, of MIN_QUOTED_WORDS words or more."""
    text = _norm(text)
    spans = [a or b for a, b in _DOUBLE.findall(text)] + _SINGLE.findall(text)
    return [s.strip() for s in spans if len(_TOKEN.findall(s)) >= MIN_QUOTED_WORDS]


def word_for_word(text: str) -> str:
    """Text as its words and numbers only, case and spacing aside, padded for whole-word search."""
    return " " + " ".join(_TOKEN.findall(_norm(text).casefold())) + " "


def quoted_in(span: str, known_flat: str) -> bool:
    return word_for_word(span) in known_flat


# --- dates: whole, in either form -------------------------------------------------------------
Day = tuple[int | None, int, int]  # (year or None, month, day)


@dataclass(frozen=True)
class Calendar:
    """Finds dates written as 2026-11-22, 22 November (2026) or November 22(, 2026)."""

    iso: re.Pattern
    day_month: re.Pattern
    month_day: re.Pattern
    months: dict[str, int]

    @classmethod
    def of(cls, lexicon: GroundingWords) -> Calendar:
        months = {m: n for n, m in enumerate(lexicon.months, start=1)}
        names = "|".join(months)
        return cls(
            iso=re.compile(r"(?<![\d.,:/-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d])"),
            day_month=re.compile(rf"\b(\d{{1,2}}){_ORDINAL}(?:\s+of)?\s+({names})\b"
                                 r"(?:,?\s+(\d{4})\b)?", re.IGNORECASE),
            month_day=re.compile(rf"\b({names})\s+(\d{{1,2}}){_ORDINAL}\b(?:,?\s+(\d{{4}})\b)?",
                                 re.IGNORECASE),
            months=months)

    def dates(self, text: str) -> list[tuple[str, Day, tuple[int, int]]]:
        """Each date as written, its (year, month, day) and where it stands in the text."""
        found: list[tuple[str, Day, tuple[int, int]]] = []

        def add(match: re.Match, year: str | None, month: int, day: str) -> None:
            if 1 <= month <= 12 and 1 <= int(day) <= 31 and not any(
                    a < match.end() and match.start() < b for _, _, (a, b) in found):
                found.append((match.group(0), (int(year) if year else None, month, int(day)),
                              match.span()))

        for m in self.iso.finditer(text):
            add(m, m.group(1), int(m.group(3)), m.group(4))
        for m in self.day_month.finditer(text):
            add(m, m.group(3), self.months[m.group(2).casefold()], m.group(1))
        for m in self.month_day.finditer(text):
            add(m, m.group(3), self.months[m.group(1).casefold()], m.group(2))
        return found


def date_known(day: Day, known: set[Day], numbers: set[str]) -> bool:
    """The context holds the date whole: same month and day, and the same year, or no year on
    one side (then a year the sentence states must be in the context on its own)."""
    year, month, date = day
    for k_year, k_month, k_date in known:
        if (k_month, k_date) != (month, date):
            continue
        if year is None or k_year == year or (k_year is None and str(year) in numbers):
            return True
    return False


# --- who owes whom ----------------------------------------------------------------------------
US, THEM = "us", "them"


def _cue(phrase: str, delivery: frozenset[str]) -> re.Pattern:
    verbs = "|".join(sorted(delivery))
    slots = {"{someone}": r"(?:[\w'-]+\s+){0,2}?[\w'-]+", "{deliver}": rf"(?:{verbs})"}
    parts = [slots.get(w, re.escape(w)) for w in phrase.split()]
    return re.compile(r"\b" + r"\s+".join(parts) + r"(?![\w'])", re.IGNORECASE)


@dataclass(frozen=True)
class Cues:
    asks_them: tuple[re.Pattern, ...]
    by_us: tuple[re.Pattern, ...]
    delivery_verbs: frozenset[str]

    @classmethod
    def of(cls, lexicon: GroundingWords) -> Cues:
        verbs = lexicon.delivery_verbs
        return cls(tuple(_cue(p, verbs) for p in lexicon.asks_them),
                   tuple(_cue(p, verbs) for p in lexicon.by_us), verbs)

    def doer(self, sentence: str) -> str:
        """Who the sentence has do it: THEM (it asks the other side), US (it promises it from
        us, or has you send or deliver it), or "" when it does not say or says both."""
        text = _norm(sentence)
        asks = any(c.search(text) for c in self.asks_them)
        promises = any(c.search(text) for c in self.by_us)
        if asks != promises:
            return THEM if asks else US
        first = _TOKEN.search(text)
        if not asks and first and first.group(0).casefold() in self.delivery_verbs:
            return US
        return ""


@dataclass(frozen=True)
class Obligation:
    owed_by: str          # US or THEM
    text: str
    stems: frozenset[str]


def reversed_obligation(stems: set[str], doer: str,
                        obligations: list[Obligation]) -> Obligation | None:
    """The promise the sentence is about, when it has the wrong side deliver it: the commitment
    it shares the most content words with (OWED_WORDS of them or OWED_SHARE), unless an equally
    close one runs the sentence's way."""
    if not doer:
        return None
    scored = []
    for ob in obligations:
        shared = len(stems & ob.stems)
        if ob.stems and (shared >= OWED_WORDS or shared / len(ob.stems) >= OWED_SHARE):
            scored.append((shared / len(ob.stems), ob))
    if not scored:
        return None
    best = max(score for score, _ in scored)
    closest = [ob for score, ob in scored if score == best]
    if any(ob.owed_by == doer for ob in closest):
        return None
    return closest[0]
