"""Advice quality (issue 11): eleven scenario journals an alliance manager would recognise
(bench/scenarios.toml: a broken promise, a blocker, a champion who left, silence, a merger, a
renewal under threat, a healthy partner, a partner that owes, our own CFO against the deal, a
pricing escalation, a single-threaded joint lab), each asked its question and then a second
question on the same partner, by each model:

- the bundled Gemma 3 270M (base model: one suggestion per angle);
- the same file with Gemma's chat template added (tests/gguf_chat.py: the instruct path);
- any GGUF given with --model PATH;
- with --instruct, the registry's Qwen2.5-Coder 0.5B Instruct that `make bench-instruct` joined
  into bench/models/ (bench/instruct_model.py: used only if its SHA-256 is the pinned one and its
  GGUF metadata names Qwen2.5 and Apache-2.0; refused otherwise).

Reported per model, before the grounding check (everything the model wrote, as it was shown
before issue 11) and after it (what is shown and saved now): sentences, share kept, reasons
withheld, citations the model wrote and how many were in its prompt, invented names, time from
Ask to the first kept sentence (first question on a partner, and the next one), tokens/s.
Every answer goes to bench/out/advice_quality.md. Per model, the table and every sentence (kept
or withheld, with the reason, and a `boss` field left empty for a human's verdict: would you hand
this sentence to your boss?) also go to bench/results/advice_quality-<model>.md and .json.
Timing per model (medians): Ask to the angles, the first generation's time to its first token
(prompt evaluation), Ask to the first sentence written, Ask to the first kept sentence, tokens/s.
Run: `.venv/bin/python bench/advice_quality.py`; bound a run with --scenarios N and --max-tokens.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

import instruct_model
from common import OUT, ROOT, env_note

from services import journal
from services import vault as vaults
from services.advice import advisor, llm
from services.advice.advice_writer import STOPPED
from services.advice.grounding import CITE
from services.journal import demo
from services.store import use_case
from tests.gguf_chat import build_chat_model

SCENARIOS = Path(__file__).with_name("scenarios.toml")
RESULTS = ROOT / "bench" / "results"
KINDS = {"names": "invented name", "states": "invented number or date",
         "cites": "citation not in the prompt", "repeats": "repeat", "copies": "copies the prompt",
         "borrows": "borrowed from the examples", "off": "off topic",
         "says": "says too little", "cut": "cut off"}


def reason_kind(reason: str) -> str:
    return KINDS.get(reason.split(" ")[0].rstrip(":"), reason)


def build_vault(limit: int | None = None):
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    folder = Path(tempfile.mkdtemp(prefix="confidant-advice-quality-"))
    vault = vaults.create_vault(folder, passphrase="advice quality bench").vault
    with use_case(vault, write=True) as s:
        demo.load_sample(session=s, source=SCENARIOS)
    cases = []
    with use_case(vault) as s:
        for p in tomllib.loads(SCENARIOS.read_text(encoding="utf-8"))["partner"][:limit]:
            partner = journal.resolve_partner(session=s, name=p["name"])
            focus = next((i.id for i in journal.list_interactions(session=s, partner_id=partner.id)
                          if i.title == p.get("focus")), None)
            cases.append({"name": p["name"], "id": partner.id, "about": p["about"],
                          "focus": focus})
    return vault, cases


def ask(vault, case, model, kind: str, max_tokens: int | None) -> dict:
    marks: list[tuple[float, bool]] = []
    shown: list[float] = []
    start = time.perf_counter()
    with use_case(vault) as s:   # read only: the bench measures, it keeps no advice
        result = advisor.advise(
            session=s, request=advisor.AdviceRequest(
                partner_id=case["id"], kind=kind, interaction_id=case["focus"], temperature=0,
                max_tokens=max_tokens),
            model_source=lambda: model, listener=advisor.AdviceListener(
                angles=lambda _: shown.append(time.perf_counter() - start),
                part=lambda part: marks.append((time.perf_counter() - start, part.kept))))
    gens = result.timing.generations
    return {"scenario": case["name"], "kind": kind, "result": result,
            "first_sentence": marks[0][0] if marks else None,
            "angles": shown[0] if shown else None,
            "first_token": gens[0].first_token_seconds if gens else None,
            "total": time.perf_counter() - start,
            "first_kept": result.timing.first_kept_seconds,
            "tokens": sum(max(g.completion_tokens - 1, 0) for g in gens),
            "seconds": sum(g.seconds - (g.first_token_seconds or 0) for g in gens),
            "prompt_evaluated": result.timing.prompt_evaluated}


def run(model, vault, cases, max_tokens) -> list[dict]:
    model.llm.reset()
    rows = []
    for case in cases:
        again = "prepare" if case["about"] != "prepare" else "strategy"
        for n, kind in enumerate((case["about"], again)):
            row = ask(vault, case, model, kind, max_tokens)
            row["again"] = bool(n)
            rows.append(row)
            print(f"  {case['name']} ({kind}): {sum(p.kept for p in row['result'].parts)}/"
                  f"{len(row['result'].parts)} kept", file=sys.stderr, flush=True)
    return rows


def median(values) -> str:
    values = [v for v in values if v is not None]
    return f"{statistics.median(values):.2f} s" if values else "—"


def summary(label: str, rows: list[dict]) -> dict:
    parts = [p for r in rows for p in r["result"].parts if p.reason != STOPPED]
    kept = [p for p in parts if p.kept]
    written = [int(i) for p in parts for i in CITE.findall(p.text)]
    valid = [i for r in rows for p in r["result"].parts for i in map(int, CITE.findall(p.text))
             if i in r["result"].prompt.ids]
    shown = [int(i) for p in kept for i in CITE.findall(p.text)]
    return {
        "model": label, "asks": len(rows), "sentences": len(parts), "kept": len(kept),
        "reasons": Counter(reason_kind(p.reason) for p in parts if not p.kept),
        "cites_written": len(written), "cites_valid": len(valid), "cites_shown": len(shown),
        "invented_before": sum(bool(p.invented) for p in parts),
        "invented_after": sum(bool(p.invented) for p in kept),
        "fragments_before": sum(p.reason.startswith("cut off") for p in parts),
        "none_kept": sum(not r["result"].text for r in rows),
        "first_kept": median(r["first_kept"] for r in rows if not r["again"]),
        "first_kept_again": median(r["first_kept"] for r in rows if r["again"]),
        "first_sentence": median(r["first_sentence"] for r in rows if not r["again"]),
        "rate": sum(r["tokens"] for r in rows) / max(sum(r["seconds"] for r in rows), 1e-9),
        "angles": median(r["angles"] for r in rows),
        "first_token": median(r["first_token"] for r in rows if not r["again"]),
        "first_token_again": median(r["first_token"] for r in rows if r["again"]),
        "total": sum(r["total"] for r in rows),
    }


def tables(summaries: list[dict]) -> str:
    out = ["| model | stage | sentences shown | invented names shown | cut-off shown | "
           "citations shown (in prompt) |", "|---|---|---|---|---|---|"]
    for s in summaries:
        out.append(f"| {s['model']} | before the check | {s['sentences']} | "
                   f"{s['invented_before']} | {s['fragments_before']} | {s['cites_written']} "
                   f"({s['cites_valid']}) |")
        out.append(f"| | after the check | {s['kept']} "
                   f"({100 * s['kept'] / max(s['sentences'], 1):.0f} %) | "
                   f"{s['invented_after']} | 0 | {s['cites_shown']} ({s['cites_shown']}) |")
    out += ["", "| model | asks | answers with nothing kept | reasons withheld | first "
            "sentence (any) | first kept sentence: first question / next question | tokens/s "
            "(writing) |",
            "|---|---|---|---|---|---|---|"]
    for s in summaries:
        reasons = ", ".join(f"{k} {n}" for k, n in s["reasons"].most_common())
        out.append(f"| {s['model']} | {s['asks']} | {s['none_kept']} | {reasons} | "
                   f"{s['first_sentence']} | {s['first_kept']} / {s['first_kept_again']} | "
                   f"{s['rate']:.1f} |")
    return "\n".join(out)


def model_table(s: dict) -> str:
    """One model's counts before and after the check, and its timing (issue 21, item 5)."""
    reasons = ", ".join(f"{k} {n}" for k, n in s["reasons"].most_common()) or "—"
    return "\n".join([
        "| model | asks | sentences written (before the check) | kept (after) | withheld | "
        "answers with nothing kept |", "|---|---|---|---|---|---|",
        f"| {s['model']} | {s['asks']} | {s['sentences']} | {s['kept']} "
        f"({100 * s['kept'] / max(s['sentences'], 1):.0f} %) | {s['sentences'] - s['kept']} | "
        f"{s['none_kept']} |", "",
        f"Withheld, by reason: {reasons}.", "",
        "| Ask to angles | first token (first question / next) | Ask to first sentence | Ask to "
        "first kept sentence (first question / next) | tokens/s (writing) | whole run |",
        "|---|---|---|---|---|---|",
        f"| {s['angles']} | {s['first_token']} / {s['first_token_again']} | "
        f"{s['first_sentence']} | {s['first_kept']} / {s['first_kept_again']} | "
        f"{s['rate']:.1f} | {s['total']:.0f} s |"])


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", label.lower()).strip("-")


def save_results(label: str, path: Path, rows: list[dict], s: dict, header: str) -> Path:
    """bench/results/advice_quality-<model>.md (table, then every sentence) and .json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"advice_quality-{slug(label)}"
    sentences = [{"scenario": r["scenario"], "kind": r["kind"], "again": r["again"],
                  "question": r["result"].question, **p.as_json(), "boss": None}
                 for r in rows for p in r["result"].parts]
    stem.with_suffix(".json").write_text(json.dumps(
        {"model": label, "file": path.name, "header": header,
         "summary": {k: (dict(v) if isinstance(v, Counter) else v) for k, v in s.items()},
         "sentences": sentences}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(
        f"# Advice quality: {label}\n\n{header}\n\n{model_table(s)}\n\n"
        f"Every sentence, kept or withheld (`boss` verdicts go in the .json beside this file):\n\n"
        + answers(label, rows) + "\n", encoding="utf-8")
    return stem.with_suffix(".md")


def answers(label: str, rows: list[dict]) -> str:
    out = [f"## {label}"]
    for r in rows:
        res = r["result"]
        out.append(f"\n### {r['scenario']} ({r['kind']}{', again' if r['again'] else ''})")
        out.append("Kept: " + (json.dumps(res.text, ensure_ascii=False) if res.text else "none"))
        for p in res.parts:
            mark = "kept" if p.kept else f"withheld ({p.reason})"
            out.append(f"- [{p.rule}] {mark}: {json.dumps(p.text, ensure_ascii=False)}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", default=[], type=Path,
                        help="another GGUF to measure (repeatable)")
    parser.add_argument("--instruct", action="store_true",
                        help="also the Qwen2.5-Coder instruct GGUF `make bench-instruct` joined "
                             "into bench/models/ (refused unless its metadata passes)")
    parser.add_argument("--skip-bundled", action="store_true")
    parser.add_argument("--skip-chat", action="store_true")
    parser.add_argument("--scenarios", type=int, default=None,
                        help="only the first N scenarios (to bound a run)")
    parser.add_argument("--max-tokens", type=int, default=160,
                        help="per answer for an instruct model (base: per angle, 48)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    paths = []
    if args.instruct:
        try:
            meta = instruct_model.check(instruct_model.MODEL)
        except instruct_model.Refused as refused:
            sys.exit(f"advice_quality: {refused}")
        paths.append((f"{meta['general.name']} (registry, instruct)", instruct_model.MODEL))
    bundled = llm.install_bundled_model(OUT) if not (args.skip_bundled and args.skip_chat) else None
    if not args.skip_bundled:
        paths.insert(0, ("Gemma 3 270M (bundled, base)", bundled))
    if not args.skip_chat:
        chat = OUT / "gemma-3-270m-chat-template.gguf"
        if not chat.exists():
            build_chat_model(bundled, chat)
        paths.append(("Gemma 3 270M + chat template", chat))
    paths += [(p.name, p) for p in args.model]
    vault, cases = build_vault(args.scenarios)
    header = (f"{len(cases)} scenarios, two questions each, temperature 0, max tokens "
              f"{args.max_tokens} per instruct answer (base: 48 per angle) — {env_note()}")
    summaries, texts, saved = [], [], []
    for label, path in paths:
        settings = llm.ModelSettings(path=path, temperature=0, context_length=2048)
        model = llm.LocalModel(settings, llm.inspect_model(path, 2048))
        print(f"{label}: {model.facts.parameter_label}, {model.facts.quantization}, "
              f"{settings.n_threads} threads", file=sys.stderr)
        rows = run(model, vault, cases, args.max_tokens if model.is_instruct else None)
        model.close()
        summaries.append(summary(label, rows))
        texts.append(answers(label, rows))
        saved.append(save_results(label, path, rows, summaries[-1], header))
    vault.lock()
    report = header + "\n\n" + tables(summaries) + "\n\n" + "\n\n".join(
        model_table(s) for s in summaries)
    (OUT / "advice_quality.md").write_text(report + "\n\n" + "\n\n".join(texts) + "\n",
                                           encoding="utf-8")
    print(report)
    print(f"\nEvery answer, sentence by sentence: {OUT / 'advice_quality.md'}; per model: "
          + ", ".join(str(p.relative_to(ROOT)) for p in saved))


if __name__ == "__main__":
    sys.exit(main())
