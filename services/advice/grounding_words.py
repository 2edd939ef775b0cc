"""The words the grounding check needs, per language: stop words, capitalised words that are not
names, words that tell a name from a contraction or a verb, the cues of who owes whom, words any
advice may use, numbers as words, stemming suffixes and the abbreviations a full stop does not end
a sentence after. They live in resources/grounding/<code>.toml, not in code.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from services.errors import BrokenResource
from services.paths import resource

DEFAULT_LANGUAGE = "en"
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")

# Each section's lists; a section's lists are joined into one set (the order of suffixes counts).
SECTIONS = {
    "stop_words": ("function", "vague"),
    "capitalised": ("openers", "pronouns", "connectives", "weekdays", "months", "abbreviations"),
    "names": ("contraction_endings", "after_verb"),
    "obligations": ("asks_them", "by_us", "delivery_verbs"),
    "advice": ("words",),
    "numbers": ("words",),
    "stemming": ("suffixes",),
    "sentences": ("abbreviations",),
}


@dataclass(frozen=True)
class GroundingWords:
    """One language's words, each list read once from its resource file."""

    language: str
    stop_words: frozenset[str]       # carry no topic of their own
    capitalised: frozenset[str]      # capitalised words that are not names
    advice_words: frozenset[str]     # any advice may use them: not borrowed from examples
    number_words: frozenset[str]     # numbers written as words
    suffixes: tuple[str, ...]        # stripped by the light stemmer, first match wins
    abbreviations: tuple[str, ...]   # a full stop after them does not end a sentence
    months: tuple[str, ...] = ()     # January to December, in order (dates written as words)
    contraction_endings: frozenset[str] = frozenset()  # I'd, we'll, don't: not names
    after_verb: frozenset[str] = frozenset()  # "Investigate the ...": the first word is a verb
    asks_them: tuple[str, ...] = ()  # cues: the sentence asks the other side to do it
    by_us: tuple[str, ...] = ()      # cues: the sentence promises it from us
    delivery_verbs: frozenset[str] = frozenset()  # send, deliver: "Send ..." is yours to do


def words_path(language: str) -> Path:
    return resource(f"grounding/{language}.toml")


def read_lists(language: str = DEFAULT_LANGUAGE) -> dict[str, dict[str, list[str]]]:
    """The file's lists by section and name, as written; a missing or malformed file, or a word
    twice in one list, is refused with one line."""
    if not LANGUAGE_CODE.fullmatch(language):
        raise BrokenResource(f"No grounding words for language '{language}': not a language code.")
    path = words_path(language)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BrokenResource(f"No grounding words for language '{language}': {path} is missing."
                             ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise BrokenResource(f"The grounding words in {path} cannot be read: {reason}.") from None
    lists: dict[str, dict[str, list[str]]] = {}
    for section, names in SECTIONS.items():
        table = data.get(section)
        if not isinstance(table, dict):
            raise BrokenResource(f"The grounding words in {path} lack the section [{section}].")
        lists[section] = {}
        for name in names:
            found = table.get(name)
            if (not isinstance(found, list) or not found
                    or not all(isinstance(w, str) and w.strip() == w and w for w in found)):
                raise BrokenResource(f"The grounding words in {path}: [{section}] {name} must be "
                                     "a list of words.")
            twice = sorted({w for w in found if found.count(w) > 1})
            if twice:
                raise BrokenResource(f"The grounding words in {path}: [{section}] {name} holds "
                                     f"'{twice[0]}' twice.")
            lists[section][name] = found
    return lists


def grounding_words(language: str = DEFAULT_LANGUAGE) -> GroundingWords:
    """The words for `language` (a code such as "en"), read once per process."""
    return _load(language)


@cache
def _load(language: str) -> GroundingWords:
    lists = read_lists(language)

    def joined(section: str) -> frozenset[str]:
        return frozenset(w for found in lists[section].values() for w in found)

    return GroundingWords(
        language=language, stop_words=joined("stop_words"), capitalised=joined("capitalised"),
        advice_words=joined("advice"), number_words=joined("numbers"),
        suffixes=tuple(lists["stemming"]["suffixes"]),
        abbreviations=tuple(lists["sentences"]["abbreviations"]),
        months=tuple(lists["capitalised"]["months"]),
        contraction_endings=frozenset(lists["names"]["contraction_endings"]),
        after_verb=frozenset(lists["names"]["after_verb"]),
        asks_them=tuple(lists["obligations"]["asks_them"]),
        by_us=tuple(lists["obligations"]["by_us"]),
        delivery_verbs=frozenset(lists["obligations"]["delivery_verbs"]))
