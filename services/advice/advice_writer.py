"""The model writes, sentence by sentence, and every sentence is checked before it is shown.

Tokens are buffered until a sentence ends; the sentence is then held against what the model was
given (services/advice/grounding.py). A kept sentence is emitted; a withheld one becomes a Part with its
reason, so the UI shows one grey line and the angle's own first step in its place. Nothing is
shown and then taken back. On Stop, the sentence being written is dropped: only complete,
checked sentences remain.

Base model: one suggestion per angle. Instruct model: whole advice, paragraph by paragraph.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from services.advice import prompts
from services.advice.grounding import CITE, Grounds, SentenceBuffer, check, clean, invented_names
from services.journal import excerpt

MAX_ANGLES_WRITTEN = 5
SUGGESTION_TOKENS = 48
STOPPED = "stopped mid-sentence"


@dataclass
class Part:
    """One sentence the model wrote, on one angle (base model) or in one paragraph (instruct)."""

    rule: str
    text: str
    kept: bool
    reason: str = ""
    invented: list[str] = field(default_factory=list)   # names the check found (before it)

    def as_json(self) -> dict:
        return {"rule": self.rule, "text": self.text, "kept": self.kept, "reason": self.reason}


def known_text(context) -> str:
    """The names, numbers and dates the model may use: the partner, its people and promises,
    the angles, the question and the entry in question."""
    s = context.snapshot
    lines = [s.partner.name, s.partner.kind, s.partner.summary or "", context.question]
    lines += [f"{p.name}, {p.role or ''}, influence {p.influence}/5" for p in s.stakeholders]
    lines += [f"{c.text} {c.due or ''}" for c in s.commitments]
    lines += [f"{a.title}. {a.why} {a.first_step} {prompts.cites(a.cites)}"
              for a in context.angles]
    if s.readings:
        r = s.readings[-1]
        lines.append(f"{r.credibility} {r.reliability} {r.intimacy} {r.self_orientation}")
    if context.focus is not None:
        lines.append(prompts.entry_line(context.focus, 600))
    return "\n".join(lines)


def owed(context) -> tuple[tuple[str, str], ...]:
    """The partner's commitments as the check reads them: who owes each ("us"/"them"), and what."""
    return tuple((str(c.owed_by), c.text) for c in context.snapshot.commitments)


def entries_text(context, ids) -> str:
    by_id = {i.id: i for i in context.snapshot.interactions} | {i.id: i for i in
                                                                 context.relevant}
    return "\n".join(f"{by_id[i].title}: {excerpt(by_id[i].notes, 600)}" for i in ids
                     if i in by_id)


class Writer:
    """Checks each finished sentence, emits kept text, records every part."""

    def __init__(self, result, *, listener, started: float):
        self.result, self.listener, self.started = result, listener, started
        self.kept: list[str] = []
        self.pieces: list[str] = []

    def out(self, piece: str) -> None:
        self.pieces.append(piece)
        self.listener.token(piece)

    def judge(self, rule: str, sentence: str, grounds: Grounds) -> bool:
        sentence = clean(sentence)
        if not sentence:
            return False
        verdict = check(sentence, grounds, self.kept)
        part = Part(rule, sentence, verdict.kept, verdict.reason,
                    invented_names(sentence, grounds))
        self.result.parts.append(part)
        self.result.prompt.model_cited += [int(i) for i in CITE.findall(sentence)]
        if verdict.kept:
            self.kept.append(sentence)
            if self.result.timing.first_kept_seconds is None:
                self.result.timing.first_kept_seconds = time.perf_counter() - self.started
        self.listener.part(part)
        return verdict.kept

    def withhold(self, rule: str, text: str, reason: str) -> None:
        part = Part(rule, clean(text), False, reason)
        self.result.parts.append(part)
        self.listener.part(part)


def write_angles(context, model, result, *, angles, listener, max_tokens=None,
                 temperature=None, started: float) -> None:
    """The base model: one short suggestion per angle, each sentence checked."""
    w = Writer(result, listener=listener, started=started)
    known, examples, promises = known_text(context), prompts.few_shot(), owed(context)
    focus = {context.focus.id} if context.focus is not None else set()
    cited: list[int] = []
    for angle in angles[:MAX_ANGLES_WRITTEN]:
        prompt = prompts.angle_prompt(context, angle)
        grounds = Grounds(journal=known, topic=f"{angle.why} {angle.first_step}\n"
                          + entries_text(context, angle.cites), title=angle.title,
                          examples=examples, prompt=prompt[1] + prompt[2],
                          prompt_ids=frozenset(angle.cites) | focus, obligations=promises)
        result.prompt.ids |= grounds.prompt_ids
        buffer, here = SentenceBuffer(), []

        def take(sentence: str, angle=angle, grounds=grounds, here=here) -> None:
            if w.judge(angle.rule, sentence, grounds):
                w.out((("\n\n" if w.pieces else "") + f"{angle.title}: ") if not here else " ")
                w.out(w.kept[-1])
                here.append(w.kept[-1])

        gen = model.generate(prompt=prompt, stop=["\n"],
                             max_tokens=max_tokens or SUGGESTION_TOKENS, temperature=temperature,
                             on_token=lambda piece, b=buffer, t=take: [t(s) for s in b.feed(
                                 piece)], should_stop=listener.stopped)
        result.timing.generations.append(gen)
        rest = buffer.rest()
        if gen.stopped:
            if rest:
                w.withhold(angle.rule, rest, STOPPED)
        elif rest:
            take(rest)
        if here:
            ids = [i for i in dict.fromkeys(
                angle.cites + [int(i) for s in here for i in CITE.findall(s)])
                if i in grounds.prompt_ids]
            if angle.cites:
                w.out(" " + prompts.cites(angle.cites))
            cited += ids
        if gen.stopped:
            result.stopped = True
            break
    result.text = "".join(w.pieces).strip() or None
    result.cited = list(dict.fromkeys(cited))


def write_chat(context, model, result, *, listener, max_tokens=None, temperature=None,
               started: float) -> None:
    """An instruct model: whole advice from its chat template, paragraph by paragraph, each
    sentence checked; citations kept only for ids the prompt held."""
    w = Writer(result, listener=listener, started=started)
    budget = min(prompts.INSTRUCT_PROMPT_TOKENS,
                 model.settings.context_length - (max_tokens or model.settings.max_tokens) - 64)
    chat = prompts.chat_prompt(context, model, budget)
    result.prompt.ids, result.timing.prompt_tokens = set(chat.ids), chat.tokens
    result.prompt.text = chat.journal
    cited_text = entries_text(context, sorted(chat.ids))
    grounds = Grounds(journal=chat.journal + "\n" + known_text(context),
                      topic=chat.journal + "\n" + cited_text,
                      prompt=prompts.system() + "\n" + chat.journal,
                      prompt_ids=chat.ids, obligations=owed(context))
    buffer = SentenceBuffer()
    last = [0]

    def take(paragraph: int, sentence: str) -> None:
        rule = f"paragraph {paragraph}"
        if w.judge(rule, sentence, grounds):
            w.out(("\n\n" if paragraph != last[0] else " ") if w.pieces else "")
            w.out(w.kept[-1])
            last[0] = paragraph

    gen = model.generate(messages=chat.messages, on_token=lambda piece: [
        take(n, s) for n, s in buffer.feed_numbered(piece)], should_stop=listener.stopped,
        max_tokens=max_tokens, temperature=temperature)
    result.timing.generations.append(gen)
    paragraph, rest = buffer.paragraph, buffer.rest()
    if rest:
        if gen.stopped:
            w.withhold(f"paragraph {paragraph}", rest, STOPPED)
        else:
            take(paragraph, rest)
    result.stopped = gen.stopped
    result.text = "".join(w.pieces).strip() or None
    result.cited = [i for i in dict.fromkeys(int(x) for x in CITE.findall(result.text or ""))
                    if i in chat.ids]
