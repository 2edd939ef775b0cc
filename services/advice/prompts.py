"""The advisor's prompts, most static first so the KV cache serves the next question:

- base model (the bundled Gemma 3 270M): few-shot examples, then the partner and the entry in
  question, then the question and one angle; it writes one suggestion per angle;
- instruct model (a GGUF with a chat template): the system text (cite up front), then the
  partner's journal (the telling entries, chosen once per partner), then what depends on the
  question: the angles with their [#id]s, the entry the question is about, the question.

Texts live in resources/prompts.toml. Every prompt says which entry ids it holds, so a citation
of any other id is refused.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache

from models.tables import Interaction
from services.journal import excerpt
from services.paths import resource

ROUTINE = re.compile(r"\b(catch-?up|check-?in|sync|status|weekly|monthly|deal support|"
                     r"pipeline call|stand-?up|touch ?base|intro call)\b", re.IGNORECASE)
INSTRUCT_PROMPT_TOKENS = 900      # lean: a 1.5B model on two cores reads ~20-30 tokens/s
JOURNAL_LINES = 6
EXCERPT_CHARS = 120
CHAT_ANGLES = 3
ANGLES_RESERVE = 320     # tokens kept for the angles and the question, whichever the question
MIN_JOURNAL_LINES = 4


@cache
def texts() -> dict:
    return tomllib.loads(resource("prompts.toml").read_text(encoding="utf-8"))


def few_shot() -> str:
    return texts()["few_shot"]


def system() -> str:
    return texts()["system"]


def entry_line(entry: Interaction, chars: int = EXCERPT_CHARS) -> str:
    return (f"[#{entry.id}] {entry.occurred_at:%Y-%m-%d} {entry.kind.value} '{entry.title}' "
            f"(difficulty {entry.difficulty}/5): {excerpt(entry.notes, chars)}")


def cites(ids: list[int]) -> str:
    return " ".join(f"[#{i}]" for i in ids)


def commitment_line(c) -> str:
    """'we owe' / 'they owe', never 'us owe'."""
    who = "we owe" if c.owed_by.value == "us" else "they owe"
    due = f", due {c.due}" if c.due else ""
    where = f" [#{c.interaction_id}]" if c.interaction_id else ""
    return f"{who} '{c.text}' ({c.status.value}{due}){where}"


def telling(context, entry: Interaction) -> float:
    """How much an entry tells about the relationship: cited by an angle, hard, where a promise
    was made or a trust reading taken, recent; a routine call with nothing in it tells little."""
    s = context.snapshot
    cited = any(entry.id in a.cites for a in context.angles)
    promises = [c for c in s.commitments if c.interaction_id == entry.id]
    reading = any(r.interaction_id == entry.id for r in s.readings)
    score = 3.0 * cited + entry.difficulty / 2 + 1.5 * bool(promises) + reading
    score += sum(c.status.value == "broken" for c in promises)
    score += 1.5 * 365 / (365 + s.days_ago(entry.occurred_at))
    score += min(len(entry.notes or "") / 400, 1.0)
    if entry.kind.value == "internal":
        score -= 0.5
    if ROUTINE.search(entry.title) and entry.difficulty <= 2 and not (cited or promises):
        score -= 2.5
    if context.focus is not None and entry.id == context.focus.id:
        score += 10
    return score


def telling_entries(context, limit: int = JOURNAL_LINES) -> list[Interaction]:
    """The entries worth a slot in the prompt, most telling first; the same for every question
    on this partner (only the entry in question is added), so their tokens stay cached."""
    pool = {i.id: i for i in context.snapshot.interactions[:60]}
    if context.focus is not None:
        pool[context.focus.id] = context.focus
    return sorted(pool.values(), key=lambda e: -telling(context, e))[:limit]


# --- base model: one suggestion per angle -------------------------------------------------------
def partner_part(context) -> str:
    """The same for every question on this partner (about the same entry): evaluated once."""
    partner = context.snapshot.partner
    text = f"Partner: {partner.name} ({partner.kind}).\n"
    if context.focus is not None:
        text += f"Entry: {entry_line(context.focus, 160)}\n"
    return text


def angle_part(context, angle) -> str:
    return (f"Question: {context.question}\nSituation: {angle.why}\nAngle: {angle.title}\n"
            "Suggestion:")


def angle_prompt(context, angle) -> list[str]:
    """In parts, most static first: the examples (the same for every partner), the partner
    and the entry in question (the same for every question on it), then the question and the
    angle."""
    return [few_shot(), partner_part(context), angle_part(context, angle)]


# --- instruct model: whole advice ---------------------------------------------------------------
@dataclass
class ChatPrompt:
    messages: list[dict]
    ids: frozenset[int]           # the entry ids the prompt holds: the only ones it may cite
    journal: str                  # the user message: what the model was given
    tokens: int


def partner_facts(context) -> list[str]:
    s = context.snapshot
    people = sorted(s.stakeholders, key=lambda p: (not p.active, -p.influence))[:6]
    lines = [f"Partner: {s.partner.name} ({s.partner.kind}). {excerpt(s.partner.summary, 160)}",
             "Stakeholders: " + "; ".join(
                 f"{p.name} ({p.role or 'no role'}, {p.stance.value}, influence {p.influence}/5"
                 + (", ours" if p.side.value == "internal" else "")
                 + ("" if p.active else ", has left") + ")" for p in people)]
    promises = [c for c in s.commitments if c.status.value in ("open", "broken")][:6]
    if promises:
        lines.append("Commitments: " + "; ".join(commitment_line(c) for c in promises))
    if s.readings:
        r = s.readings[-1]
        lines.append(f"Latest trust reading ({r.taken_at:%Y-%m-%d}, each 1-10): credibility "
                     f"{r.credibility}, reliability {r.reliability}, intimacy {r.intimacy}, "
                     f"self-orientation {r.self_orientation}.")
    return lines


def chat_prompt(context, model, budget: int = INSTRUCT_PROMPT_TOKENS) -> ChatPrompt:
    """Partner facts and the telling entries first (stable per partner), then the angles with
    their [#id]s, the entry in question and the question; within `budget` tokens."""
    head = partner_facts(context)
    angles = ["Playbook angles:"] + [
        f"{n}. {a.title} {cites(a.cites[:3])}. First step: {a.first_step}".replace(" .", ".")
        for n, a in enumerate(context.angles[:CHAT_ANGLES], 1)]
    tail = []
    if context.focus is not None:
        f = context.focus
        tail.append(f"The question is about entry [#{f.id}] '{f.title}' "
                    f"({f.occurred_at:%Y-%m-%d}).")
    tail += [f"Question: {context.question}", texts()["answer"]]
    # the journal's share does not depend on the question's angles, so the same entries lead
    # every question on this partner and their tokens stay in the KV cache
    used = model.count_tokens(system() + "\n".join(head)) + 26 + max(   # + turn markers, joins
        ANGLES_RESERVE, model.count_tokens("\n".join(angles + tail)))
    journal, ids = [], set()
    for entry in telling_entries(context):
        line = entry_line(entry)
        cost = model.count_tokens(line) + 1
        if used + cost > budget and len(journal) >= MIN_JOURNAL_LINES:
            continue
        journal.append(line)
        ids.add(entry.id)
        used += cost
    for a in context.angles[:CHAT_ANGLES]:
        ids.update(a.cites[:3])
    body = "\n".join(head + ["Journal entries (cite as [#id]):"] + journal + angles + tail)
    return ChatPrompt([{"role": "system", "content": system()},
                       {"role": "user", "content": body}], frozenset(ids), body,
                      model.count_tokens(system() + body) + 24)
