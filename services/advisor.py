"""The advisor: gather the journal's context, take the playbook's angles, let the local model
write, and save the advice with the entries it cites.

A base model (the bundled Gemma 3 270M) writes one suggestion per angle from a few-shot,
completion-style prompt; an instruct model (a GGUF with a chat template) writes whole advice
from its own chat template. Either way the static text comes first, so a second question reuses
the KV cache, and entries are cited as [#id].
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from models.tables import Advice, AdviceCitation, Interaction
from services import playbook, search
from services.journal import excerpt
from services.llm import Generation, LocalModel, ModelUnavailable
from services.signals import PartnerSnapshot, load_snapshot
from services.store import commit, flush

QUESTIONS = {
    "trust": "How do I rebuild trust after this interaction?",
    "politics": "How do I navigate the politics around {person}?",
    "strategy": "How do we align our strategies?",
    "prepare": "How should I prepare for the next meeting?",
}
FOCUS = {"trust": "trust", "politics": "politics", "strategy": "strategy"}
CITE = re.compile(r"\[#(\d+)\]")
MAX_ANGLES_WRITTEN = 5
SUGGESTION_TOKENS = 48

FEW_SHOT = """Advice notes from an experienced alliance manager. One concrete suggestion per situation, in one sentence.

Partner: Orion Systems (reseller). Question: How do I rebuild trust?
Situation: We missed the listing date we had promised; the partner's VP heard it from her own team first.
Angle: Own the broken promise
Suggestion: Call her before the next meeting, name the miss and what it cost her, and offer one dated step you fully control.

Partner: Vega Analytics (technology). Question: How should I prepare for the next meeting?
Situation: The partner's CFO only looks at the margin on joint deals and doubts the alliance pays off.
Angle: Answer the skeptic's real concern
Suggestion: Ask him for thirty minutes to hear the margin concern in full, then bring deal-level numbers he can check.

"""

SYSTEM = """You are Confidant, a discreet advisor to an alliance manager. You suggest angles for rebuilding trust, navigating politics and aligning strategy between two companies. Ground every point in the journal entries given, cite them as [#id], and propose concrete first steps. Be brief: at most five short paragraphs. The human does the relationship work; you inspire."""


@dataclass
class AdviceRequest:
    partner_id: int
    kind: str = "prepare"                 # trust | politics | strategy | prepare | free
    question: str | None = None           # the free question, or an override
    interaction_id: int | None = None
    stakeholder_id: int | None = None


@dataclass
class AdviceContext:
    snapshot: PartnerSnapshot
    question: str
    angles: list[playbook.Angle]
    focus: Interaction | None
    relevant: list[Interaction]


@dataclass
class AdviceResult:
    angles: list[playbook.Angle]
    question: str
    text: str | None = None
    model: str | None = None
    cited: list[int] = field(default_factory=list)
    advice_id: int | None = None
    no_model_reason: str | None = None
    generations: list[Generation] = field(default_factory=list)
    stopped: bool = False

    @property
    def prompt_evaluated(self) -> int | None:
        counts = [g.prompt_evaluated for g in self.generations if g.prompt_evaluated is not None]
        return sum(counts) if counts else None

    def as_json(self) -> dict:
        return {"question": self.question, "angles": [
            {"rule": a.rule, "title": a.title, "why": a.why, "first_step": a.first_step,
             "cites": a.cites, "urgency": a.urgency, "category": a.category}
            for a in self.angles], "advice": self.text, "model": self.model, "cited": self.cited,
            "advice_id": self.advice_id, "no_model_reason": self.no_model_reason}


# --- gather ------------------------------------------------------------------------------------
def question_text(request: AdviceRequest, snapshot: PartnerSnapshot) -> str:
    if request.question:
        return request.question.strip()
    person = snapshot.person(request.stakeholder_id) if request.stakeholder_id else None
    return QUESTIONS.get(request.kind, QUESTIONS["prepare"]).format(
        person=person.name if person else "the key stakeholders")


def relevant_entries(*, session: Session, snapshot: PartnerSnapshot, text: str,
                     limit: int = 6) -> list[Interaction]:
    """FTS5 bm25 over the question's words, blended with recency (a year halves the weight)."""
    hits = search.search(session=session, query=text, partner_id=snapshot.partner.id, limit=30,
                         prefix=False, any_word=True)
    if not hits:
        return snapshot.interactions[:limit]
    worst = max(h.score for h in hits) or -1e-9
    best = min(h.score for h in hits)
    span = (worst - best) or 1.0

    def blended(hit) -> float:
        relevance = (worst - hit.score) / span                 # 1 = best bm25 here
        recency = 365 / (365 + snapshot.days_ago(hit.occurred_at))
        return 0.7 * relevance + 0.3 * recency

    chosen = sorted(hits, key=blended, reverse=True)[:limit]
    by_id = {i.id: i for i in snapshot.interactions}
    missing = [h.id for h in chosen if h.id not in by_id]
    if missing:
        for row in session.exec(select(Interaction).where(Interaction.id.in_(missing))):
            by_id[row.id] = row
    return [by_id[h.id] for h in chosen if h.id in by_id]


def gather(*, session: Session, request: AdviceRequest, today: date | None = None,
           no_contact_days: int = 30) -> AdviceContext:
    snapshot = load_snapshot(session=session, partner_id=request.partner_id, today=today)
    question = question_text(request, snapshot)
    focus = next((i for i in snapshot.interactions if i.id == request.interaction_id), None)
    angles = playbook.angles(snapshot, no_contact_days=no_contact_days)
    wanted = FOCUS.get(request.kind)
    if wanted:  # the question's own kind of angle first, then by urgency
        angles.sort(key=lambda a: (a.category != wanted, -a.urgency))
    words = " ".join(filter(None, [question, focus.title if focus else ""]))
    relevant = relevant_entries(session=session, snapshot=snapshot, text=words)
    if focus is not None and focus not in relevant:
        relevant.insert(0, focus)
    return AdviceContext(snapshot, question, angles, focus, relevant)


# --- prompts -----------------------------------------------------------------------------------
def angle_prompt(context: AdviceContext, angle: playbook.Angle) -> list[str]:
    """The base model's prompt for one angle, in parts, most static first: the few-shot
    examples, then the partner and question (shared by every angle, and by the next question
    on this partner), then the angle itself; so the KV cache serves all but the last lines."""
    partner = context.snapshot.partner
    return [FEW_SHOT, f"Partner: {partner.name} ({partner.kind}). Question: {context.question}\n",
            f"Situation: {angle.why}\nAngle: {angle.title}\nSuggestion:"]


def chat_messages(context: AdviceContext, model: LocalModel, budget: int) -> list[dict]:
    """The instruct model's messages: system first (static), then the journal within budget."""
    s = context.snapshot
    parts = [f"Partner: {s.partner.name} ({s.partner.kind}). {s.partner.summary}",
             "Stakeholders: " + "; ".join(
                 f"{p.name}, {p.role or 'no role'}, influence {p.influence}/5, {p.stance.value}"
                 + (" (ours)" if p.side.value == "internal" else "")
                 + ("" if p.active else ", left") for p in s.stakeholders[:15])]
    if s.readings:
        parts.append("Trust index over time: " + ", ".join(
            f"{r.taken_at:%Y-%m-%d} {r.trust_index:.2f}" for r in s.readings[-6:]))
    open_promises = [c for c in s.commitments if c.status.value in ("open", "broken")][:10]
    if open_promises:
        parts.append("Commitments: " + "; ".join(
            f"{c.owed_by.value} owe '{c.text}' ({c.status.value}"
            + (f", due {c.due}" if c.due else "") + ")" for c in open_promises))
    parts.append("Playbook angles: " + " | ".join(
        f"{a.title}: {a.why} First step: {a.first_step}" for a in context.angles[:6]))
    tail = f"\nQuestion: {context.question}\nAnswer with angles and first steps, citing [#id]."
    used = model.count_tokens(SYSTEM + "\n".join(parts) + tail)
    for entry in context.relevant:
        line = (f"[#{entry.id}] {entry.occurred_at:%Y-%m-%d} {entry.kind.value} "
                f"'{entry.title}' (difficulty {entry.difficulty}/5): {excerpt(entry.notes, 280)}")
        cost = model.count_tokens(line) + 1
        if used + cost > budget:
            break
        parts.append(line)
        used += cost
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": "\n".join(parts) + tail}]


def general_angle(context: AdviceContext) -> playbook.Angle:
    """When the playbook raises no alarm, the question itself is the one angle to write on."""
    latest = context.focus or (context.relevant[0] if context.relevant else None)
    why = (f"No alarm in the journal. Latest: '{latest.title}': {excerpt(latest.notes, 160)}"
           if latest else "No alarm in the journal and no entry yet.")
    return playbook.Angle(rule="general", category="strategy", title=context.question.rstrip("?"),
                          why=why, first_step="", cites=[latest.id] if latest else [])


def _cites(ids: list[int]) -> str:
    return "".join(f" [#{i}]" for i in ids)


# --- write -------------------------------------------------------------------------------------
def write(context: AdviceContext, model: LocalModel, *, on_token: Callable[[str], None]
          | None = None, should_stop: Callable[[], bool] | None = None,
          max_tokens: int | None = None, temperature: float | None = None) -> AdviceResult:
    """Stream the advice; on_token receives every piece of text as it is written."""
    emit = on_token or (lambda _piece: None)
    result = AdviceResult(angles=context.angles, question=context.question, model=model.name)
    known = {i.id for i in context.snapshot.interactions} | {i.id for i in context.relevant}
    if model.is_instruct:
        budget = model.settings.context_length - (max_tokens or model.settings.max_tokens) - 64
        gen = model.generate(messages=chat_messages(context, model, budget), on_token=emit,
                             should_stop=should_stop, max_tokens=max_tokens,
                             temperature=temperature)
        result.generations.append(gen)
        result.text, result.stopped = gen.text, gen.stopped
        result.cited = [i for i in dict.fromkeys(int(x) for x in CITE.findall(gen.text))
                        if i in known]
        return result
    pieces: list[str] = []

    def out(piece: str) -> None:
        pieces.append(piece)
        emit(piece)

    cited: list[int] = []
    for n, angle in enumerate(context.angles[:MAX_ANGLES_WRITTEN] or [general_angle(context)]):
        out(("\n\n" if n else "") + f"{angle.title}: ")
        suggestion: list[str] = []

        def take(piece: str, kept=suggestion) -> None:
            piece = piece if kept else piece.lstrip()  # the model starts with a space
            if piece:
                kept.append(piece)
                emit(piece)

        gen = model.generate(prompt=angle_prompt(context, angle), stop=["\n"],
                             max_tokens=max_tokens or SUGGESTION_TOKENS, temperature=temperature,
                             on_token=take, should_stop=should_stop)
        result.generations.append(gen)
        pieces.append("".join(suggestion))
        if gen.stopped:
            result.stopped = True
            break
        tail = _cites(angle.cites)
        if tail:
            out(tail)
        cited += angle.cites
    result.text = "".join(pieces).strip()
    result.cited = [i for i in dict.fromkeys(cited) if i in known]
    return result


# --- save --------------------------------------------------------------------------------------
def save_advice(*, session: Session, request: AdviceRequest, result: AdviceResult) -> Advice:
    advice = Advice(partner_id=request.partner_id, interaction_id=request.interaction_id,
                    question=result.question, text=result.text or "", model=result.model or "",
                    angles_json=json.dumps([a.as_dict() for a in result.angles],
                                           ensure_ascii=False))
    session.add(advice)
    flush(session)
    for ident in result.cited:
        session.add(AdviceCitation(advice_id=advice.id, interaction_id=ident))
    commit(session)
    result.advice_id = advice.id
    return advice


def list_advice(*, session: Session, partner_id: int, limit: int = 50) -> list[Advice]:
    return list(session.exec(select(Advice).where(Advice.partner_id == partner_id)
                             .order_by(Advice.created_at.desc(), Advice.id.desc()).limit(limit)))


def citations(*, session: Session, advice_id: int) -> list[int]:
    return list(session.exec(select(AdviceCitation.interaction_id)
                             .where(AdviceCitation.advice_id == advice_id)))


# --- the whole path ------------------------------------------------------------------------------
def advise(*, session: Session, request: AdviceRequest,
           model_source: Callable[[], LocalModel] | None,
           on_token: Callable[[str], None] | None = None,
           should_stop: Callable[[], bool] | None = None, no_contact_days: int = 30,
           max_tokens: int | None = None, temperature: float | None = None,
           on_angles: Callable[[list], None] | None = None) -> AdviceResult:
    """Angles at once (on_angles), then the model's advice streamed, then saved.

    model_source() returns the loaded model or raises ModelUnavailable; None means angles only.
    A failing model leaves the journal untouched: nothing is saved without text.
    """
    context = gather(session=session, request=request, no_contact_days=no_contact_days)
    session.commit()  # no read transaction held open during a long generation
    if on_angles is not None:
        on_angles(context.angles)
    bare = AdviceResult(angles=context.angles, question=context.question)
    if model_source is None:
        bare.no_model_reason = "Written advice was not asked for."
        return bare
    try:
        model = model_source()
    except ModelUnavailable as err:
        bare.no_model_reason = f"No written advice: {err}"
        return bare
    result = write(context, model, on_token=on_token, should_stop=should_stop,
                   max_tokens=max_tokens, temperature=temperature)
    if result.text:
        save_advice(session=session, request=request, result=result)
    return result
