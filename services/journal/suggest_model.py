"""The model's half of suggestions: promises and warning signs where the rules miss, as JSON
(few-shot, temperature 0; on request held to a JSON schema by a llama.cpp grammar). Its items are evidence, checked: each must quote its span
word for word from the text (case and spacing aside) or it is dropped; dates, names and the
person a sign is about are then the rules' own, read from that span."""

from __future__ import annotations

import json
import re
from datetime import date

from services.journal import suggest_dates
from services.journal import suggest_rules as rules
from services.journal.suggest_rules import Person, Proposal

MODEL_CHARS = 1_500      # of the note the model reads (the rules read it all)
MAX_ITEMS = 6
MAX_TOKENS = 160
QUOTE_CHARS = 200
SCHEMA = {
    "type": "object",
    "properties": {"items": {"type": "array", "maxItems": MAX_ITEMS, "items": {
        "type": "object",
        "properties": {"kind": {"type": "string", "enum": ["promise", "sign"]},
                       "owed_by": {"type": "string", "enum": ["us", "them"]},
                       "quote": {"type": "string", "maxLength": QUOTE_CHARS}},
        "required": ["kind", "owed_by", "quote"]}}},
    "required": ["items"],
}
INSTRUCTIONS = (
    "Find promises (who will do what, by when) and warning signs (a person upset, against us, "
    "vetoing, walking out) in meeting notes. Copy each quote word for word from the notes. "
    "owed_by is us when we or I promised, them when they did.\n\n")
EXAMPLES = [
    ("We met Anna and Raj. I will send Anna the security answers by Friday. Raj was angry "
     "about the price. Anna's team will share the rollout plan next week.",
     [{"kind": "promise", "owed_by": "us",
       "quote": "I will send Anna the security answers by Friday"},
      {"kind": "sign", "owed_by": "them", "quote": "Raj was angry about the price"},
      {"kind": "promise", "owed_by": "them",
       "quote": "Anna's team will share the rollout plan next week"}]),
    ("good call with li she said she'd get us the usage numbers before the 20th "
     "we owe her a draft statement of work",
     [{"kind": "promise", "owed_by": "them",
       "quote": "she'd get us the usage numbers before the 20th"},
      {"kind": "promise", "owed_by": "us", "quote": "we owe her a draft statement of work"}]),
    ("Quiet meeting, nothing decided.", []),
]


def prompt_parts(text: str) -> list[str]:
    """The static part first (its KV cache is kept between notes), then this note."""
    shots = "".join(f"Notes: {note}\nJSON: {json.dumps({'items': items})}\n\n"
                    for note, items in EXAMPLES)
    return [INSTRUCTIONS + shots, f"Notes: {' '.join(text[:MODEL_CHARS].split())}\nJSON:"]


def _ask(model, parts: list[str], grammar: bool = False) -> str:
    """The model's JSON, read as far as it parses. Asked few-shot with the static part's KV
    cache kept; with `grammar`, an in-process llama.cpp model is held to the schema by a
    grammar (measured: 8 s a note on the bundled 270M, whose 262k-token vocabulary the grammar
    walks at every step, against 0.6 s unconstrained; the quote check guards either way)."""
    llm = getattr(model, "llm", None)
    if grammar and llm is not None and hasattr(model, "_prepare"):
        from llama_cpp import LlamaGrammar

        with model.lock:
            tokens = model._prepare(parts)
            out = llm.create_completion(prompt=tokens, grammar=_grammar(LlamaGrammar),
                                        max_tokens=MAX_TOKENS, temperature=0.0, seed=42)
        return out["choices"][0]["text"]
    if getattr(model, "is_instruct", False) and llm is None:   # a server: chat only
        made = model.generate(messages=[{"role": "user", "content": "".join(parts)}],
                              max_tokens=MAX_TOKENS, temperature=0.0)
    else:
        made = model.generate(prompt=parts, max_tokens=MAX_TOKENS, temperature=0.0,
                              stop=["\n\n", "\nNotes:"])
    return made.text


_GRAMMAR = []


def _grammar(cls):
    if not _GRAMMAR:
        _GRAMMAR.append(cls.from_json_schema(json.dumps(SCHEMA), verbose=False))
    return _GRAMMAR[0]


def items(reply: str) -> list[dict]:
    """The items of the model's reply; nothing when it is not the JSON asked for."""
    start = reply.find("{")
    try:
        data, _ = json.JSONDecoder().raw_decode(reply[start:]) if start >= 0 else ({}, 0)
    except ValueError:
        return []
    found = data.get("items") if isinstance(data, dict) else None
    return [i for i in found if isinstance(i, dict)][:MAX_ITEMS] if isinstance(found, list) \
        else []


def locate(text: str, quote: str) -> tuple[int, int] | None:
    """Where `quote` stands in `text`, word for word (case and spacing aside)."""
    parts = quote.split()
    if not parts or len(quote) > QUOTE_CHARS:
        return None
    found = re.search(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in parts) + r"(?!\w)",
                      text[:MODEL_CHARS * 2], re.IGNORECASE)
    return (found.start(), found.end()) if found else None


def propose(model, text: str, *, on: date, people: list[Person], names: dict,
            tokens: list, grammar: bool = False) -> list[Proposal]:
    """The model's promises and signs, each checked against the text."""
    found: list[Proposal] = []
    for item in items(_ask(model, prompt_parts(text), grammar)):
        kind, quote = item.get("kind"), item.get("quote")
        if kind not in ("promise", "sign") or not isinstance(quote, str):
            continue
        where = locate(text, quote)
        if where is None:
            continue   # not the text's own words: dropped
        start, end = where
        span = text[start:end]
        if kind == "promise":
            proposal = _promise(span, start, item.get("owed_by"), on)
        else:
            proposal = _sign(span, start, end, names, tokens)
        if proposal is not None:
            proposal.source = getattr(model, "name", "model")
            found.append(proposal)
    return found


def _promise(span: str, start: int, owed_by, on: date) -> Proposal | None:
    if owed_by not in ("us", "them"):
        return None
    dates = suggest_dates.find(span, on)
    what = span[:dates[0].start] + span[dates[0].end:] if dates else span
    what = rules._trimmed(what)
    if len(what.split()) < 2:
        return None
    return Proposal("promise", span, start, {
        "owed_by": owed_by, "text": (what[:1].upper() + what[1:])[:300],
        "due": dates[0].due if dates else None})


def _sign(span: str, start: int, end: int, names: dict, tokens: list) -> Proposal | None:
    """A sign is about the first of the partner's people its span names; else none."""
    for i, (person, _) in names.items():
        if start <= tokens[i].start < end:
            now = rules.STANCES.index(person.stance) if person.stance in rules.STANCES else 2
            if now >= 3:
                return None
            return Proposal("sign", span, start, {
                "stakeholder_id": person.id, "name": person.name,
                "stance": rules.STANCES[now + 1], "was": person.stance, "word": span[:40]})
    return None
