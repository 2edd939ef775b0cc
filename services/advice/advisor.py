"""The advisor: gather the journal's context, take the playbook's angles, let the local model
write; a caller saves the advice with the entries it cites (save_advice, its own write use case).

A base model (the bundled Gemma 3 270M) writes one suggestion per angle from a few-shot,
completion-style prompt; an instruct model (a GGUF with a chat template) writes whole advice
from its own chat template. Either way the static text comes first, so a second question reuses
the KV cache, and entries are cited as [#id].
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlmodel import Session, select

from models.enums import QuestionKind
from models.tables import Advice, AdviceCitation, Interaction, Partner
from services.advice import (
    advice_writer,
    lead,
    memory_links,
    model_library,
    playbook,
    prompts,
    quotes,
)
from services.advice.advice_writer import Part
from services.advice.engine import Generation, TextEngine
from services.advice.focus import focus_first
from services.advice.server_model import ServerModel, ServerSettings, shown_request
from services.advice.signals import PartnerSnapshot, load_snapshot
from services.errors import InvalidInput, ModelUnavailable
from services.journal import excerpt, search
from services.settings import get_settings
from services.store import end_read, flush

QUESTIONS = {kind.value: kind.question for kind in QuestionKind if kind != QuestionKind.free}
CITE = re.compile(r"\[#(\d+)\]")
MAX_ANGLES_WRITTEN = advice_writer.MAX_ANGLES_WRITTEN
DRAFT_BELOW = 1_000_000_000     # parameters: a model smaller than this writes drafts
DRAFT_LABEL = "written by a small model: check before use"

FEW_SHOT = prompts.few_shot()   # resources/prompts.toml
SYSTEM = prompts.system()


@dataclass
class AdviceRequest:
    """One question to the advisor, with the options it is answered with."""

    partner_id: int
    kind: str = "prepare"                 # trust | politics | strategy | prepare | free
    question: str | None = None           # the free question, or an override
    interaction_id: int | None = None
    stakeholder_id: int | None = None
    no_contact_days: int = 30             # the playbook's 'no contact for a while'
    max_tokens: int | None = None         # per generation; None: the engine's own
    temperature: float | None = None      # None: the engine's setting (0 by default: greedy)
    meeting_date: date | None = None      # the next meeting, when the user names it


class AdviceListener:
    """Hears one advice as it is written: the angles at once, then the kept text piece by piece
    and every checked sentence (kept or withheld, with its reason); `stopped()` is asked per
    token. Each does nothing by default: subclass it, or hand in the functions wanted."""

    def __init__(self, *, angles: Callable[[list[playbook.Angle]], None] | None = None,
                 token: Callable[[str], None] | None = None,
                 part: Callable[[Part], None] | None = None,
                 stopped: Callable[[], bool] | None = None):
        self._angles, self._token, self._part, self._stopped = angles, token, part, stopped

    def angles(self, angles: list[playbook.Angle]) -> None:
        if self._angles is not None:
            self._angles(angles)

    def token(self, piece: str) -> None:
        if self._token is not None:
            self._token(piece)

    def part(self, part: Part) -> None:
        if self._part is not None:
            self._part(part)

    def stopped(self) -> bool:
        return self._stopped is not None and self._stopped()


@dataclass
class AdviceContext:
    snapshot: PartnerSnapshot
    question: str
    angles: list[playbook.Angle]
    focus: Interaction | None
    relevant: list[Interaction]


@dataclass
class AdviceTiming:
    """How the writing went: each generation, and the time from Ask to the first kept sentence."""

    generations: list[Generation] = field(default_factory=list)
    first_kept_seconds: float | None = None
    prompt_tokens: int | None = None                      # instruct prompt, as built
    angles_seconds: float | None = None                   # from Ask to the angles
    first_token_seconds: float | None = None              # from Ask to the model's first token
    model_ready_seconds: float | None = None              # from Ask to the model loaded

    def as_json(self) -> dict:
        def rounded(x):
            return None if x is None else round(x, 3)
        return {"angles_seconds": rounded(self.angles_seconds),
                "model_ready_seconds": rounded(self.model_ready_seconds),
                "first_token_seconds": rounded(self.first_token_seconds),
                "first_kept_seconds": rounded(self.first_kept_seconds),
                "tokens_per_second": round(self.tokens_per_second, 2) if self.generations
                else None,
                "completion_tokens": sum(g.completion_tokens for g in self.generations)}

    @property
    def prompt_evaluated(self) -> int | None:
        counts = [g.prompt_evaluated for g in self.generations if g.prompt_evaluated is not None]
        return sum(counts) if counts else None

    @property
    def tokens_per_second(self) -> float:
        return sum(g.completion_tokens for g in self.generations) / max(
            sum(g.seconds for g in self.generations), 1e-9)


@dataclass
class PromptTrace:
    """What the model was given, to check and debug its text against."""

    ids: set[int] = field(default_factory=set)           # the entry ids the prompt held
    text: str = ""                                       # the instruct prompt's journal part
    model_cited: list[int] = field(default_factory=list)  # ids the model wrote, valid or not


@dataclass
class AdviceResult:
    """The outcome: angles, the checked text and what it cites; saved only by save_advice."""

    angles: list[playbook.Angle]
    question: str
    text: str | None = None
    model: str | None = None
    cited: list[int] = field(default_factory=list)
    advice_id: int | None = None                          # set by save_advice
    no_model_reason: str | None = None
    stopped: bool = False
    draft: bool = False                                   # a small model's text (is_draft)
    parts: list[Part] = field(default_factory=list)      # every sentence written, checked
    timing: AdviceTiming = field(default_factory=AdviceTiming)
    prompt: PromptTrace = field(default_factory=PromptTrace)

    def as_json(self) -> dict:
        return {"question": self.question, "angles": [angle_json(a) for a in self.angles],
                "advice": self.text, "model": self.model, "cited": self.cited,
                "draft": self.draft, "advice_id": self.advice_id,
                "no_model_reason": self.no_model_reason, "stopped": self.stopped,
                "parts": [p.as_json() for p in self.parts], "timing": self.timing.as_json()}


def angle_json(a: playbook.Angle) -> dict:
    return {"rule": a.rule, "title": a.title, "why": a.why, "first_step": a.first_step,
            "cites": a.cites, "urgency": a.urgency, "category": a.category, "leads": a.leads,
            "quotes": a.quotes}


def is_draft(model: TextEngine) -> bool:
    """Text from a base model, or from any model under DRAFT_BELOW parameters, is a draft:
    labelled, folded, and kept out of the brief unless the user keeps it."""
    parameters = getattr(getattr(model, "facts", None), "parameters", None)
    return not model.is_instruct or (parameters is not None and parameters < DRAFT_BELOW)


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
           meaning=None) -> AdviceContext:
    """The context of one question: the partner's snapshot, the angles (the few that answer
    the question first, each with the journal's own words), the entries most relevant to the
    question. `meaning`: the meaning model, when it is there (issue 22)."""
    snapshot = load_snapshot(session=session, partner_id=request.partner_id, today=today)
    question = question_text(request, snapshot)
    focus = next((i for i in snapshot.interactions if i.id == request.interaction_id), None)
    snapshot.focus, snapshot.meeting_date = focus, request.meeting_date
    near = memory_links.nearby(session, meaning, snapshot)
    if near is not None:    # 'what worked before': the past episodes most like this one
        snapshot.likeness = near.likeness
    angles = playbook.angles(snapshot, no_contact_days=request.no_contact_days)
    if focus is not None:  # what the selected entry shows comes before everything else
        angles = focus_first(snapshot, focus, angles)
    person = snapshot.person(request.stakeholder_id) if request.stakeholder_id else None
    angles = lead.choose(angles, kind=request.kind, question=question,
                         person=person.name if person else None)
    words = " ".join(filter(None, [question, focus.title if focus else ""]))
    relevant = relevant_entries(session=session, snapshot=snapshot, text=words)
    if near is not None:   # by meaning too: the entries nearest the question, then the words'
        ids = {i.id for i in relevant}
        relevant += [i for i in near.entries(words, limit=3) if i.id not in ids]
    quotes.quote_angles(angles, snapshot)
    if focus is not None and focus not in relevant:
        relevant.insert(0, focus)
    return AdviceContext(snapshot, question, angles, focus, relevant)


# --- prompts (services/advice/prompts.py) --------------------------------------------------------------
angle_prompt = prompts.angle_prompt


def general_angle(context: AdviceContext) -> playbook.Angle:
    """When the playbook raises no alarm, the question itself is the one angle to write on."""
    latest = context.focus or (context.relevant[0] if context.relevant else None)
    why = (f"No alarm in the journal. Latest: '{latest.title}': {excerpt(latest.notes, 160)}"
           if latest else "No alarm in the journal and no entry yet.")
    return playbook.Angle(rule="general", category="strategy", title=context.question.rstrip("?"),
                          why=why, first_step="", cites=[latest.id] if latest else [])


# --- write (services/advice/advice_writer.py) --------------------------------------------------------
def write(context: AdviceContext, model: TextEngine, *, listener: AdviceListener | None = None,
          max_tokens: int | None = None, temperature: float | None = None,
          started: float | None = None) -> AdviceResult:
    """Stream the advice sentence by sentence: the listener's token() receives kept text only,
    part() every checked sentence (kept or withheld, with its reason)."""
    result = AdviceResult(angles=context.angles, question=context.question, model=model.name,
                          draft=is_draft(model))
    common = {"listener": listener or AdviceListener(), "max_tokens": max_tokens,
              "temperature": temperature,
              "started": started if started is not None else time.perf_counter()}
    if model.is_instruct:
        advice_writer.write_chat(context, model, result, **common)
    else:
        advice_writer.write_angles(context, model, result,
                                   angles=lead.leading(context.angles)
                                   or [general_angle(context)], **common)
    return result


# --- save --------------------------------------------------------------------------------------
def save_advice(*, session: Session, request: AdviceRequest, result: AdviceResult) -> Advice:
    advice = Advice(partner_id=request.partner_id, interaction_id=request.interaction_id,
                    question=result.question, text=result.text or "", model=result.model or "",
                    angles_json=json.dumps([a.as_dict() for a in result.angles],
                                           ensure_ascii=False),
                    stopped=result.stopped, draft=result.draft,
                    parts_json=json.dumps([p.as_json() for p in result.parts],
                                          ensure_ascii=False))
    session.add(advice)
    flush(session)
    for ident in result.cited:
        session.add(AdviceCitation(advice_id=advice.id, interaction_id=ident))
    flush(session)
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
           model_source: Callable[[], TextEngine] | None,
           listener: AdviceListener | None = None, meaning=None) -> AdviceResult:
    """Angles at once (listener.angles), then the model's advice streamed; nothing is saved:
    the caller saves a result with text through save_advice, in its own write use case.

    model_source() returns the loaded model or raises ModelUnavailable; None means angles only.
    Text is only what passed the grounding check (listener.part hears of every sentence, kept
    or withheld).
    """
    started = time.perf_counter()
    listener = listener or AdviceListener()
    context = gather(session=session, request=request, meaning=meaning)
    end_read(session)  # no read transaction held open during a long generation
    angles_seconds = time.perf_counter() - started
    listener.angles(context.angles)
    bare = AdviceResult(angles=context.angles, question=context.question)
    bare.timing.angles_seconds = angles_seconds
    if model_source is None:
        bare.no_model_reason = "Written advice was not asked for."
        return bare
    try:
        model = model_source()
    except ModelUnavailable as err:
        bare.no_model_reason = f"No written advice: {err}"
        return bare
    ready = time.perf_counter() - started
    result = write(context, model, listener=listener, max_tokens=request.max_tokens,
                   temperature=request.temperature, started=started)
    timing = result.timing
    timing.angles_seconds, timing.model_ready_seconds = angles_seconds, ready
    first = next((g.first_token_seconds for g in timing.generations
                  if g.first_token_seconds is not None), None)
    timing.first_token_seconds = None if first is None else ready + first
    return result


def keep_advice(*, session: Session, advice_id: int) -> Advice:
    """The user read a small model's draft and keeps it: it may go into the brief."""
    advice = session.get(Advice, advice_id)
    if advice is None:
        raise InvalidInput(f"There is no advice #{advice_id}.")
    advice.draft = False
    session.add(advice)
    flush(session)
    return advice


def server_request(*, session: Session, name: str, data_dir: Path, partner_id: int | None,
                   kind: str = "prepare", question: str | None = None) -> str:
    """Exactly what the server entry `name` would be sent for this question on this partner
    (the first partner when none is given); nothing is sent."""
    values = get_settings(session=session)
    settings = model_library.settings_for(values, data_dir, name)
    if not isinstance(settings, ServerSettings):
        raise InvalidInput(f"{name} is not a server: nothing leaves this machine.")
    model = ServerModel(settings)
    if partner_id is None:
        partner_id = session.exec(select(Partner.id).order_by(Partner.name)).first()
        if partner_id is None:
            raise InvalidInput("The journal has no partner yet: nothing would be sent.")
    request = AdviceRequest(partner_id=partner_id, kind=kind, question=question,
                            no_contact_days=values.no_contact_days)
    context = gather(session=session, request=request)
    budget = min(prompts.INSTRUCT_PROMPT_TOKENS,
                 settings.context_length - settings.max_tokens - 64)
    chat = prompts.chat_prompt(context, model, budget)
    return shown_request(settings, model.request(messages=chat.messages))
