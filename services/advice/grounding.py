"""Model text is evidence, checked: every sentence a model writes is held against what the model
was given before it is shown or saved.

A sentence is withheld when it is cut off, names someone or something the context does not
hold (a full name must be one person's), quotes what no entry says word for word, states a
number or date the context does not hold (a date whole, not its parts), has the wrong side
deliver a promise (services/advice/grounding_claims.py), cites an entry that was not in the
prompt, repeats (the angle's title, an earlier sentence, the prompt's examples, the prompt
itself), borrows a word only the examples hold, says too little, or shares no content word
with its angle and the entries it cites. Pure text: no model, no database, no Qt.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from services.advice.grounding_claims import (
    Calendar,
    Cues,
    Obligation,
    date_known,
    quotations,
    quoted_in,
    reversed_obligation,
    word_for_word,
)
from services.advice.grounding_words import grounding_words

CITE = re.compile(r"\[#(\d+)\]")
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
TERMINAL = ".!?…"
CLOSERS = "\"'”’)]»"
MIN_CONTENT_WORDS = 3
SIMILAR = 0.8
COPIED_SHARE = 0.6

# The word lists live in resources/grounding/<language>.toml (services/advice/grounding_words.py).
LEXICON = grounding_words()
STOPWORDS = LEXICON.stop_words          # words that carry no topic of their own
COMMON_CAPITALISED = LEXICON.capitalised  # capitalised words that are not names
ADVICE_WORDS = LEXICON.advice_words     # any advice may use them: not borrowed from examples
NUMBER_WORDS = LEXICON.number_words
CALENDAR = Calendar.of(LEXICON)
CUES = Cues.of(LEXICON)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).replace("’", "'")


def words(text: str) -> list[str]:
    return WORD.findall(_norm(text))


def stem(word: str) -> str:
    """A light suffix stripper: promise, promised, promises and promising meet."""
    w = word.casefold().replace("'", "")
    for suffix in LEXICON.suffixes:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


ADVICE_STEMS = frozenset(stem(w) for w in ADVICE_WORDS)


def _base(word: str) -> str:
    """The word without a possessive: partner's -> partner."""
    folded = word.casefold()
    return folded[:-2] if folded.endswith("'s") else folded


def content_stems(text: str) -> set[str]:
    return {stem(_base(w)) for w in words(text) if _base(w) not in STOPWORDS and len(w) > 2}


def _numbers(text: str) -> set[str]:
    """Numbers and dates, whole and by their parts (2025-08-30 gives 2025, 8 and 30 too)."""
    found: set[str] = set()
    for token in NUMBER.findall(text):
        found.add(token.replace(",", ""))
        found.update(part.lstrip("0") or "0" for part in re.split(r"[.,:/-]", token))
    found.update(w.casefold() for w in words(text) if w.casefold() in NUMBER_WORDS)
    return found


def _flat(text: str) -> str:
    return " ".join(w.casefold() for w in words(CITE.sub(" ", text)))


def _similar(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if len(a) >= 20 and (a in b or b in a) and min(len(a), len(b)) / max(len(a), len(b)) > 0.5:
        return True
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= SIMILAR


def _alike(a: str, b: str) -> bool:
    """Two halves of one sentence that say the same thing ('ask X to move on, and ask her to
    move on')."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.7


def _trigrams(flat: str) -> set[tuple[str, ...]]:
    w = flat.split()
    return {tuple(w[n:n + 3]) for n in range(len(w) - 2)}


def _copied(flat: str, grounds: Grounds) -> bool:
    """Most of the sentence's word triples are in the prompt: pieces of it pasted together."""
    mine = _trigrams(flat)
    return bool(mine) and len(mine & grounds.trigrams) / len(mine) >= COPIED_SHARE


def _caseless(word: str) -> bool:
    """A word in a script without letter case (Arabic, Chinese, ...): it may be a name."""
    return not any(ch.isupper() or ch.islower() for ch in word)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


@dataclass
class Grounds:
    """What the model was given, prepared once for every sentence it writes on one angle (or
    one whole answer)."""

    journal: str                   # names, orgs, numbers, dates the model may use
    topic: str                     # the angle (title, why, first step) and its cited entries
    title: str = ""
    examples: str = ""             # the prompt's few-shot examples (not the journal)
    prompt: str = ""               # the rest of the prompt, which should not be copied back
    prompt_ids: frozenset[int] = frozenset()
    obligations: tuple[tuple[str, str], ...] = ()  # the commitments: (owed by "us"/"them", text)
    vocabulary: set[str] = field(init=False)
    known_stems: set[str] = field(init=False)
    numbers: set[str] = field(init=False)
    topic_stems: set[str] = field(init=False)
    example_only: set[str] = field(init=False)
    copies: list[str] = field(init=False)
    trigrams: set[tuple[str, ...]] = field(init=False)
    proper: set[str] = field(init=False)  # words the context writes with a capital: names
    flat_known: str = field(init=False)
    dates: set[tuple[int | None, int, int]] = field(init=False)
    promises: list[Obligation] = field(init=False)

    def __post_init__(self) -> None:
        known = " ".join((self.journal, self.topic, self.title))
        self.vocabulary = {w.casefold() for w in words(known)} | {_base(w) for w in words(known)}
        self.proper = {_base(w) for w in words(known) if w[0].isupper() or _caseless(w)}
        self.known_stems = {stem(w) for w in self.vocabulary}
        self.numbers = _numbers(known)
        self.flat_known = word_for_word(known)
        self.dates = {day for _, day, _ in CALENDAR.dates(known)}
        self.promises = [Obligation(owed_by, text, frozenset(content_stems(text)))
                         for owed_by, text in self.obligations]
        self.topic_stems = content_stems(self.topic + " " + self.title)
        self.example_only = (content_stems(self.examples) - content_stems(known)
                             - ADVICE_STEMS)
        self.copies = [_flat(s) for s in _sentences(self.examples) + _sentences(self.prompt)
                       + _sentences(self.topic)]
        self.copies = [c for c in self.copies if len(c.split()) >= 4]
        self.trigrams = _trigrams(_flat(self.prompt + "\n" + self.topic + "\n" + self.title))


@dataclass(frozen=True)
class Verdict:
    kept: bool
    reason: str = ""


KEPT = Verdict(True)


def fragment_reason(sentence: str) -> str:
    body = CITE.sub("", sentence).strip().rstrip(CLOSERS + " ")
    text = _norm(sentence)
    if len(words(sentence)) < 3:
        return "cut off: too short to be a sentence"
    if not body or body[-1] not in TERMINAL:
        return "cut off before the end of the sentence"
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        return "cut off: a quotation is left open"
    opens = len(re.findall(r"(?:^|[\s(\[])'(?=\S)", text))
    closes = len(re.findall(r"(?<=\S)'(?=[\s.,;:!?)\]]|$)", text))
    if opens > closes or (text.count("(") != text.count(")")):
        return "cut off: a quotation or bracket is left open"
    return ""


def _contraction(word: str) -> bool:
    """I'd, we'll, don't, it's: a pronoun or function word with a contracted ending."""
    head, _, ending = word.casefold().partition("'")
    if ending not in LEXICON.contraction_endings:
        return False
    return head in STOPWORDS or (ending == "t" and head.endswith("n") and head[:-1] in STOPWORDS)


def _name_candidates(sentence: str, known: set[str] | frozenset[str] = frozenset()
                     ) -> list[tuple[str, bool, bool]]:
    """Capitalised words, and words in scripts without case, that are not common words:
    the names, organisations and products a sentence mentions. Each comes with whether it opens
    the sentence and whether it follows the previous candidate with only a space between (one
    full name). A sentence's first word that is not a `known` name and is followed by "the",
    "a", "her"... is a verb ("Investigate the delay"), not a name."""
    text = _norm(CITE.sub(" ", sentence))
    tokens = list(re.finditer(WORD.pattern + r"|[.!?:;,—–\"“(]", text))
    found: list[tuple[str, bool, bool]] = []
    opener, last = True, None
    for n, match in enumerate(tokens):
        token = match.group(0)
        if not WORD.fullmatch(token):
            opener, last = token != "," or opener, None
            continue
        folded = _base(token)
        capital = token[0].isupper() or _caseless(token)
        after = tokens[n + 1].group(0) if n + 1 < len(tokens) else ""
        verb = opener and after in LEXICON.after_verb and folded not in known
        if (capital and folded not in COMMON_CAPITALISED and not _contraction(token)
                and not (opener and folded in STOPWORDS) and not verb):
            joined = last is not None and not text[last.end():match.start()].strip() \
                and "'" not in last.group(0)
            found.append((token, opener, joined))
            last = match
        else:
            last = None
        opener = False
    return found


def invented_names(sentence: str, grounds: Grounds) -> list[str]:
    """The names, organisations and products the sentence holds that the context does not, and
    full names put together from two people ("Dana Becker" when the journal has Dana Whitfield
    and Tom Becker): names the context holds, side by side as it never writes them."""
    invented, run = [], []
    candidates = _name_candidates(sentence, grounds.vocabulary)
    for name, opener, joined in [*candidates, ("", False, False)]:
        if not joined and len(run) >= 2 and all(_base(w) in grounds.proper for w in run) \
                and word_for_word(" ".join([*run[:-1], _base(run[-1])])) not in grounds.flat_known:
            invented.append(" ".join(run))
        run = [*run, name] if joined else [name]
        if name and name.casefold() not in grounds.vocabulary \
                and _base(name) not in grounds.vocabulary \
                and not (opener and stem(name) in grounds.known_stems | ADVICE_STEMS):
            invented.append(name)
            run = []
    return invented


def check(sentence: str, grounds: Grounds, earlier: Iterable[str] = ()) -> Verdict:
    """Kept, or withheld with a short reason a user can read."""
    reason = fragment_reason(sentence)
    if reason:
        return Verdict(False, reason)
    for ident in CITE.findall(sentence):
        if int(ident) not in grounds.prompt_ids:
            return Verdict(False, f"cites [#{ident}], which was not in what the model was given")
    for quoted in quotations(sentence):
        if not quoted_in(quoted, grounds.flat_known):
            return Verdict(False, f"quotes '{quoted}', which no entry says word for word")
    for name in invented_names(sentence, grounds):
        return Verdict(False, f"names '{name}', who is not in your journal")
    reason = _unknown_number(sentence, grounds)
    if reason:
        return Verdict(False, reason)
    promise = reversed_obligation(content_stems(sentence), CUES.doer(sentence), grounds.promises)
    if promise is not None:
        owes = "we owe" if promise.owed_by == "us" else "they owe"
        return Verdict(False, f"reverses who owes it: {owes} '{promise.text}'")
    flat = _flat(sentence)
    if grounds.title and _similar(flat, _flat(grounds.title)):
        return Verdict(False, "repeats the angle's title")
    for before in earlier:
        if _similar(flat, _flat(before)):
            return Verdict(False, "repeats an earlier sentence")
    halves = re.split(r",? (?:and|then|or) |; ", flat)
    if len(halves) >= 2 and any(_alike(a, b) for n, a in enumerate(halves)
                                for b in halves[n + 1:] if len(a.split()) >= 3):
        return Verdict(False, "repeats itself")
    if any(_similar(flat, c) for c in _flat_examples(grounds)):
        return Verdict(False, "repeats the prompt's examples")
    if any(_similar(flat, c) for c in grounds.copies) or _copied(flat, grounds):
        return Verdict(False, "copies the prompt back")
    stems = content_stems(sentence)
    borrowed = sorted(stems & grounds.example_only)
    if borrowed:
        return Verdict(False, f"borrows '{borrowed[0]}' from the prompt's examples, not your "
                              "journal")
    if len(stems) < MIN_CONTENT_WORDS:
        return Verdict(False, "says too little to act on")
    if not stems & grounds.topic_stems:
        return Verdict(False, "off topic: shares no word with its angle or the entries cited")
    return KEPT


def _unknown_number(sentence: str, grounds: Grounds) -> str:
    """Why a date or number the sentence states is not the context's: a date must be found
    whole (2026-11-22 as 22 November, not 2026, 11 and 22 here and there); a plain number whole
    or by its parts (4/5)."""
    rest = sentence
    for written, day, (start, end) in sorted(CALENDAR.dates(sentence), key=lambda d: -d[2][0]):
        if not date_known(day, grounds.dates, grounds.numbers):
            return f"states '{written}', which is not in your journal"
        rest = rest[:start] + " " + rest[end:]
    for number in NUMBER.findall(rest):
        if number.replace(",", "") not in grounds.numbers and not all(
                (p.lstrip("0") or "0") in grounds.numbers for p in re.split(r"[.,:/-]", number)):
            return f"states '{number}', which is not in your journal"
    for w in words(rest):
        if w.casefold() in NUMBER_WORDS and w.casefold() not in grounds.numbers:
            return f"states '{w}', which is not in your journal"
    return ""


def _flat_examples(grounds: Grounds) -> list[str]:
    return [c for c in (_flat(s) for s in _sentences(grounds.examples)) if len(c.split()) >= 4]


# --- streaming: sentence by sentence -----------------------------------------------------------
_END = re.compile("".join(rf"(?<!\b{re.escape(a)})" for a in LEXICON.abbreviations)
                  + r"[.!?…][\"'”’)\]»]*(?:\s*\[#\d+\])*(?=\s+[^\s\[a-z])|\n+")


LIST_MARKER = re.compile(r"\s*(?:\d{1,2}|[a-zA-Z])[.)]\s*")
_BREAK = re.compile(r"\n[ \t]*\n")
LOOK_BACK = 64        # characters before a new piece that a sentence end may still involve
MAX_SENTENCE = 2000   # characters without a sentence end: a ramble, handed on as one


class SentenceBuffer:
    """Collects streamed pieces and hands back whole sentences (with their [#id]s) as they
    end; what remains at the end of the stream is given by rest()."""

    def __init__(self):
        self.text = self.carry = self.tail = ""
        self.breaks = 0  # paragraph breaks in what was handed on

    def feed(self, piece: str) -> list[str]:
        return [sentence for _paragraph, sentence in self.feed_numbered(piece)]

    def feed_numbered(self, piece: str) -> list[tuple[int, str]]:
        """Whole sentences, each with the number of its paragraph (from 1). Only the new text
        and the few characters before it are searched (no end was found in the rest): a
        stream without a sentence end costs linear time, not quadratic; one that runs past
        MAX_SENTENCE characters is handed on as it is (the check then judges it)."""
        start = max(0, len(self.text) - LOOK_BACK)
        self.text += piece
        done = []
        while True:
            match = _END.search(self.text, start)
            start = 0
            if match is None:
                if len(self.text) <= MAX_SENTENCE:
                    return done
                cut = MAX_SENTENCE
            else:
                cut = match.end()
            sentence, self.text = self.text[:cut], self.text[cut:]
            if LIST_MARKER.fullmatch(sentence):  # "1." opens a list item, not a sentence
                self.carry += sentence
                continue
            sentence, self.carry = self.carry + sentence, ""
            if sentence.strip():
                done.append((self.paragraph, sentence.strip()))
            self._consume(sentence)
            if not self.text.startswith("\n"):
                self._consume(self.text[:len(self.text) - len(self.text.lstrip(" \t"))])
                self.text = self.text.lstrip(" \t")

    @property
    def paragraph(self) -> int:
        """The paragraph the next sentence belongs to (from 1)."""
        return 1 + self.breaks

    def _consume(self, text: str) -> None:
        """Count the paragraph breaks in `text`, one that straddles the last piece included."""
        joined = self.tail + text
        self.breaks += len(_BREAK.findall(joined)) - len(_BREAK.findall(self.tail))
        self.tail = joined[-LOOK_BACK:]

    def rest(self) -> str:
        rest, self.text, self.carry = (self.carry + self.text).strip(), "", ""
        return rest


def clean(sentence: str) -> str:
    """A sentence as shown: without list markers, Markdown emphasis or chat-turn markers."""
    text = re.sub(r"<(?:start|end)_of_turn>|<\|[a-z_]+\|>", "", sentence)
    text = re.sub(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+", "", text).replace("**", "").replace("__", "")
    return re.sub(r"^#+\s*", "", text).strip()
