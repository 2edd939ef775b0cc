"""The deterministic half of suggestions: promises (who owes what, by when), people named and
warning signs, found by word lists (resources/suggest/en.toml, the playbook's 'against' words)
over the words of a note, typed or heard (no punctuation, names misheard). Linear in the text:
each word is looked at a bounded number of times, and the caller bounds the text and the time.
"""

from __future__ import annotations

import re
import time
import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from services import voice
from services.journal import suggest_dates
from services.paths import resource

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|'ll|’ll")
STOP = re.compile(r"[.!?;:\n]")
CLAUSE = 30          # words a promise may run to
NEAR = 6             # words after a name that may say what they did
STANCES = ("champion", "supporter", "neutral", "skeptic", "blocker")


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    ours: bool = False          # our side (a promise they make is ours)
    stance: str = "neutral"


@dataclass
class Proposal:
    """One suggestion: `quote` is the text's own words, at `start` in it."""

    kind: str                   # promise | person | new_person | sign
    quote: str
    start: int
    fields: dict = field(default_factory=dict)
    source: str = "rules"
    number: int = 0

    @property
    def end(self) -> int:
        return self.start + len(self.quote)


@dataclass(frozen=True)
class Token:
    low: str
    start: int
    end: int


@cache
def words() -> dict:
    data = tomllib.loads(resource("suggest/en.toml").read_text(encoding="utf-8"))
    playbook = tomllib.loads(resource("playbook.toml").read_text(encoding="utf-8"))["words"]
    signs = data["signs"]
    leave = {w.casefold() for w in signs["leave_out"]}
    data["signs"]["all"] = sorted({w.casefold() for w in playbook["against"] if w.casefold()
                                   not in leave} | {w.casefold() for w in signs["add"]})
    data["signs"]["for"] = [w.casefold() for w in playbook["for"]]
    return data


@cache
def phrases(key: str, kind: str) -> list[tuple[str, ...]]:
    """A list of phrases as word tuples, longest first."""
    found = {tuple(t.low for t in _tokens(w.casefold())) for w in words()[key][kind]}
    return sorted((p for p in found if p), key=len, reverse=True)


def _fold(text: str) -> str:
    return voice._fold(text.replace("’", "'"))


def _tokens(text: str) -> list[Token]:
    """The words, "I'll" as 'i' and "'ll"."""
    out = []
    for m in WORD.finditer(text):
        low, start, end = _fold(m.group(0)), m.start(), m.end()
        if low.endswith("'ll") and len(low) > 3:
            out.append(Token(low[:-3], start, end - 3))
            out.append(Token("'ll", end - 3, end))
        elif low.endswith("n't") and len(low) > 3:
            out.append(Token(low, start, end))
        else:
            out.append(Token(low, start, end))
    return out


def _at(tokens: list[Token], i: int, options: list[tuple[str, ...]]) -> int:
    """The length of the first option the words at i start with; 0 if none."""
    for option in options:
        if tuple(t.low for t in tokens[i:i + len(option)]) == option:
            return len(option)
    return 0


def _broken(text: str, tokens: list[Token], i: int) -> bool:
    """Whether a full stop (or a line) comes between word i-1 and word i."""
    return i > 0 and bool(STOP.search(text, tokens[i - 1].end, tokens[i].start))


# --- names --------------------------------------------------------------------------------------
def _forms(person: Person) -> list[str]:
    plain = re.sub(r"\(.*?\)", "", person.name).strip()
    parts = [p for p in plain.replace(".", " ").split()
             if p.casefold() not in {"dr", "mr", "mrs", "ms", "prof", "sir"}]
    forms = [plain] + ([parts[0], parts[-1]] if parts else [])
    return list(dict.fromkeys(f for f in forms if len(f) > 1))


def name_spans(text: str, tokens: list[Token], people: list[Person],
               near_chars: int = 5_000) -> dict[int, tuple[Person, int]]:
    """Where each person is named: word index -> (person, words). Full names, else a first name
    or surname only one of them has, else a near miss heard in a memo (the voice matcher)."""
    by_form: dict[tuple[str, ...], list[Person]] = {}
    for person in people:
        for form in _forms(person):
            key = tuple(t.low for t in _tokens(form))
            if key and person not in by_form.setdefault(key, []):
                by_form[key].append(person)
    forms = sorted((k for k, v in by_form.items() if len(v) == 1), key=len, reverse=True)
    first = {k[0] for k in forms}
    found: dict[int, tuple[Person, int]] = {}
    i = 0
    while i < len(tokens):
        low = tokens[i].low.removesuffix("'s")   # "Tom's counsel" names Tom
        size = _at(tokens, i, [f for f in forms if f[0] == low]) if low in first else 0
        if not size and low != tokens[i].low and (low,) in by_form and len(by_form[(low,)]) == 1:
            size = 1
        if size and not (size == 1 and _other_surname(text, tokens, i)):
            key = tuple(t.low for t in tokens[i:i + size - 1]) + (
                tokens[i + size - 1].low.removesuffix("'s"),)
            found[i] = (by_form[key][0], size)
            i += size
        else:
            i += 1
    head = text[:near_chars]
    full = [p.name for p in people]
    firsts = {f: p for p in people for f in _forms(p)[1:2] if len(by_form.get(
        tuple(t.low for t in _tokens(f)), [])) == 1}
    misses = voice.corrections(head, full) + [
        c for c in voice.corrections(head, list(firsts), cutoff=0.85) if len(c.heard) > 3]
    named = {p.name: p for p in people} | firsts
    starts = {t.start: n for n, t in enumerate(tokens)}
    for miss in misses:
        for m in re.finditer(rf"(?<!\w){re.escape(miss.heard)}(?!\w)", head):
            n = starts.get(m.start())
            if n is not None and not any(k <= n < k + s for k, (_, s) in found.items()):
                found[n] = (named[miss.name], len(_tokens(miss.heard)))
    return dict(sorted(found.items()))


def _other_surname(text: str, tokens: list[Token], i: int) -> bool:
    """'Marcus Lee' is not Marcus Oyelaran: a capitalised first name, then a capitalised word
    that is no stop word (the single-name match at i is then someone else)."""
    if i + 1 >= len(tokens) or _broken(text, tokens, i + 1):
        return False
    a, b = text[tokens[i].start:tokens[i].end], text[tokens[i + 1].start:tokens[i + 1].end]
    stop = {w.casefold() for w in words()["names"]["not_names"]}
    return a[:1].isupper() and b[:1].isupper() and b[1:2].islower() and \
        tokens[i + 1].low not in stop and text[tokens[i].end:tokens[i + 1].start] == " "


def new_names(text: str, tokens: list[Token], known: set[str], taken: set[int]) -> list[tuple]:
    """Two capitalised words that name nobody we know (`known`: folded full names), next to a word that says a person
    ('with Marcus Lee', 'Marcus Lee said'): (start, end, name)."""
    data = words()["names"]
    stop = {w.casefold() for w in data["not_names"]}
    before, after = set(data["before"]), set(data["after"])
    found = []
    for i in range(len(tokens) - 1):
        a, b = tokens[i], tokens[i + 1]
        if i in taken or i + 1 in taken or _broken(text, tokens, i + 1):
            continue
        pair = text[a.start:a.end], text[b.start:b.end]
        if not all(w[:1].isupper() and w[1:2].islower() and w.replace("-", "").replace(
                "'", "").isalpha() for w in pair) or a.low in stop or b.low in stop:
            continue
        if text[a.end:b.start] != " ":
            continue
        outer = [j for j in (i - 1, i + 2) if 0 <= j < len(tokens)]
        if any(text[tokens[j].start].isupper() and tokens[j].low not in stop | before
               and not (j < i and (j == 0 or _broken(text, tokens, j)))
               and not _broken(text, tokens, max(i, j) if j > i else i) for j in outer):
            continue   # three capitalised words: an organisation, more likely
        cue = (i > 0 and tokens[i - 1].low in before and not _broken(text, tokens, i)) or (
            i + 2 < len(tokens) and tokens[i + 2].low in after
            and not _broken(text, tokens, i + 2))
        if cue and f"{a.low} {b.low}" not in known:
            found.append((a.start, b.end, f"{pair[0]} {pair[1]}"))
    return found


# --- promises -----------------------------------------------------------------------------------
def _subject(tokens: list[Token], i: int, names: dict, partner: set[str]) -> tuple | None:
    """(owed_by, words) if a promise's subject starts at word i. `partner`: words that name
    them (the partner's name, a new person's first name)."""
    for kind, owed in (("ours", "us"), ("theirs", "them")):
        size = _at(tokens, i, phrases("promise", kind))
        if size:
            return owed, size
    if i in names:
        person, size = names[i]
        return ("us" if person.ours else "them"), size
    if tokens[i].low in partner:
        return "them", 1
    return None


def _boundary(text: str, tokens: list[Token], k: int, names: dict, partner: set[str]) -> bool:
    """Whether word k starts another clause: a full stop before it, or a subject and verb."""
    if _broken(text, tokens, k):
        return True
    verbs = set(words()["promise"]["clause_verbs"]) | {"'ll"}
    if k in names:
        _, size = names[k]
        return k + size < len(tokens) and tokens[k + size].low in verbs
    if tokens[k].low in {"i", "we", "they", "he", "she"}:
        return k + 1 < len(tokens) and (tokens[k + 1].low in verbs or
                                        _at(tokens, k + 1, phrases("promise", "modals")) > 0)
    return False


NOT_GIVEN = {"in", "on", "at", "that", "this", "last", "it", "and", "but", "so", "then", "not",
             "we", "i", "they", "before", "after", "a", "the", "too", "was", "is", "would"}
TRAILING = {"by", "on", "before", "until", "till", "no", "later", "than", "the", "at", "for",
            "end", "of", "within", "in", "and", "to", "around", "latest", "this", "next"}


def promises(text: str, tokens: list[Token], names: dict, partner: set[str], on: date,
             limit: int, deadline: float) -> list[Proposal]:
    data = words()["promise"]
    modals, conditions = phrases("promise", "modals"), set(data["conditions"])
    deliver, not_after = set(data["deliverables"]), set(data["not_after"])
    found: list[Proposal] = []
    i = 0
    while i < len(tokens) and len(found) < limit and time.monotonic() < deadline:
        subject = _subject(tokens, i, names, partner)
        if subject is None or (i > 0 and tokens[i - 1].low in conditions
                               and not _broken(text, tokens, i)):
            i += 1
            continue
        owed_by, size = subject
        j = i + size
        modal = _at(tokens, j, modals)
        if not modal or j + modal >= len(tokens):
            i += 1
            continue
        verb = j + modal
        said = " ".join(t.low for t in tokens[j:verb])
        if tokens[verb].low in not_after or _broken(text, tokens, verb):
            i = verb
            continue
        end = verb + 1
        while end < len(tokens) and end - verb < CLAUSE and \
                not _boundary(text, tokens, end, names, partner):
            end += 1
        span_end = tokens[end - 1].end
        dates = suggest_dates.find(text[tokens[verb].start:span_end], on)
        due = None
        what_end = span_end
        if dates:
            first = dates[0]
            due = first.due
            what_end = tokens[verb].start + first.start
            span_end = tokens[verb].start + first.end
        giving = said in ("promised", "have promised", "has promised", "owe", "owes") and \
            tokens[verb].low != "to"
        if giving and (tokens[verb].low in NOT_GIVEN or (due is None and said not in (
                "owe", "owes"))):
            i = verb   # 'I promised in spring', 'I promised them and then...': a story told
            continue
        if due is None and not giving and tokens[verb].low not in deliver:
            i = verb
            continue
        what = _trimmed(text[tokens[verb].start:what_end])
        if not what:
            i = verb
            continue
        if giving:
            what = "Give " + what
        what = what[:1].upper() + what[1:]
        found.append(Proposal("promise", text[tokens[i].start:span_end], tokens[i].start,
                              {"owed_by": owed_by, "text": what[:300], "due": due}))
        i = max(verb, next((n for n in range(verb, end) if tokens[n].start >= span_end), end))
    return found


def _trimmed(what: str) -> str:
    words_ = what.replace("\n", " ").split()
    while words_ and (words_[-1].casefold().strip(",.;:") in TRAILING
                      or not words_[-1].strip(",.;:-–—")):
        words_.pop()
    return " ".join(words_).strip(" ,;:-–—")


# --- warning signs ------------------------------------------------------------------------------
def signs(text: str, tokens: list[Token], names: dict, limit: int) -> list[Proposal]:
    data = words()["signs"]
    sign_words = [tuple(w.split()) for w in sorted(data["all"], key=len, reverse=True)]
    sign_words = [tuple(t.low for t in _tokens(" ".join(w))) for w in sign_words]
    strong = {tuple(t.low for t in _tokens(w.casefold())) for w in data["strong"]}
    negations = set(data["negations"])
    kind_for = [tuple(t.low for t in _tokens(w)) for w in data["for"]]
    found: list[Proposal] = []
    seen: set[int] = set()
    for i, (person, size) in names.items():
        if len(found) >= limit:
            break
        if person.id in seen:
            continue
        for k in range(i + size, min(len(tokens), i + size + NEAR)):
            if _broken(text, tokens, k) or (k > i + size and k in names):
                break
            if _at(tokens, k, kind_for):
                break
            hit = _at(tokens, k, sign_words)
            if not hit:
                continue
            if any(tokens[n].low in negations or tokens[n].low.endswith("n't")
                   for n in range(max(i + size, k - 2), k)):
                break
            phrase = tuple(t.low for t in tokens[k:k + hit])
            now = STANCES.index(person.stance) if person.stance in STANCES else 2
            goes = 4 if phrase in strong or phrase[:1] in strong else min(3, now + 1)
            if goes > now:
                seen.add(person.id)
                found.append(Proposal("sign", text[tokens[i].start:tokens[k + hit - 1].end],
                                      tokens[i].start, {
                                          "stakeholder_id": person.id, "name": person.name,
                                          "stance": STANCES[goes], "was": person.stance,
                                          "word": " ".join(phrase)}))
            break
    return found
