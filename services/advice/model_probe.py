"""A short probe of a model's speed on this machine: prompt and generation tokens per second,
and the time to the first token. Run by the user (`models probe NAME`, the Probe button);
the figures are kept with the library entry."""

from __future__ import annotations

PROBE_TEXT = ("An alliance manager keeps a private journal of meetings with a partner: who came, "
              "what was promised, what went wrong, how trust moved. ") * 6
QUESTION = "In two sentences: what should the manager do before the next quarterly review?"
PROBE_TOKENS = 32


def probe(model, *, max_tokens: int = PROBE_TOKENS) -> dict:
    """One cold prompt of about 200 tokens and a short reply, at temperature 0."""
    llm = getattr(model, "llm", None)
    if llm is not None:
        llm.reset()  # a cold cache: the whole prompt is evaluated
    messages = [{"role": "user", "content": PROBE_TEXT + "\n" + QUESTION}]
    if model.is_instruct:
        gen = model.generate(messages=messages, max_tokens=max_tokens, temperature=0)
    else:
        gen = model.generate(prompt=PROBE_TEXT + "\nQuestion: " + QUESTION + "\nAnswer:",
                             max_tokens=max_tokens, temperature=0)
    figures = {"generated_tokens": gen.completion_tokens,
               "first_token_seconds": round(gen.first_token_seconds or 0.0, 3),
               "seconds": round(gen.seconds, 3)}
    perf = model._perf() if hasattr(model, "_perf") else None
    if perf is not None and perf.t_p_eval_ms > 0 and perf.t_eval_ms > 0:
        figures["prompt_tokens"] = perf.n_p_eval
        figures["prompt_tps"] = round(perf.n_p_eval / perf.t_p_eval_ms * 1000, 1)
        figures["generation_tps"] = round(perf.n_eval / perf.t_eval_ms * 1000, 1)
        return figures
    # a server: the stream's own timing (the prompt's tokens estimated, as the server counts)
    prompt_tokens = model.count_tokens(messages[0]["content"])
    first = gen.first_token_seconds or gen.seconds
    later = gen.seconds - first
    figures["prompt_tokens"] = prompt_tokens
    figures["prompt_tps"] = round(prompt_tokens / first, 1) if first > 0 else 0.0
    figures["generation_tps"] = round((gen.completion_tokens - 1) / later, 1) \
        if gen.completion_tokens > 1 and later > 0 else 0.0
    return figures
