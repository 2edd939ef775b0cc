"""Suggestions from notes (issue 23): precision and recall per kind (promise, person, sign,
new person) over the labelled notes of bench/extract_notes.py (typed and transcript-style), for
rules only, rules + the bundled Gemma 3 270M, and rules + any --model PATH; time per note.

A suggestion counts as right when it matches an expected item of its kind: a promise by who owes,
the due date and a word of what is promised (in its quoted span); a person, a sign or a new
person by the name. Precision is of what is shown; recall of what a reader would track.
Run: `.venv/bin/python bench/extract_bench.py [--model PATH] [--no-bundled]`; the table also goes
to bench/results/extract_bench.md and .json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from extract_notes import HELD_OUT, NOTES, PARTNER, PEOPLE  # noqa: E402

from services.journal import suggest  # noqa: E402
from services.journal.suggest_rules import Person  # noqa: E402

ON = date(2026, 12, 2)
KINDS = ("promise", "person", "sign", "new_person")


def matches(p, item) -> bool:
    if p.kind != item[0]:
        return False
    if p.kind == "promise":
        _, owed, due, word = item
        return p.fields["owed_by"] == owed and (
            p.fields["due"].isoformat() if p.fields["due"] else None) == due and \
            word.casefold() in p.quote.casefold()
    return p.fields["name"] == item[1]


RAW = {"items": 0, "not_in_text": 0}


def counted():
    """Count what the model proposes and what the quote check drops."""
    from services.journal import suggest_model

    items, locate = suggest_model.items, suggest_model.locate

    def items_counted(reply):
        found = items(reply)
        RAW["items"] += len(found)
        return found

    def locate_counted(text, quote):
        where = locate(text, quote)
        RAW["not_in_text"] += where is None
        return where
    suggest_model.items, suggest_model.locate = items_counted, locate_counted


def score(model=None, notes=NOTES) -> dict:
    people = [Person(n, name, ours, stance) for n, (name, ours, stance) in enumerate(PEOPLE, 1)]
    shown = {k: 0 for k in KINDS}
    right = {k: 0 for k in KINDS}
    expected = {k: 0 for k in KINDS}
    found_items = {k: 0 for k in KINDS}
    seconds, misses = [], []
    for text, items, style in notes:
        started = time.perf_counter()
        found = suggest.extract(text, on=ON, people=people, partner_name=PARTNER, model=model)
        seconds.append(time.perf_counter() - started)
        used = set()
        for p in found:
            shown[p.kind] += 1
            hit = next((n for n, item in enumerate(items) if n not in used and matches(p, item)),
                       None)
            if hit is None:
                misses.append({"style": style, "text": text, "wrong": suggest.describe(p),
                               "quote": p.quote, "source": p.source})
            else:
                used.add(hit)
                right[p.kind] += 1
        for n, item in enumerate(items):
            expected[item[0]] += 1
            found_items[item[0]] += n in used
            if n not in used:
                misses.append({"style": style, "text": text, "missed": list(item)})
    return {
        "kinds": {k: {"shown": shown[k], "right": right[k], "expected": expected[k],
                      "precision": round(right[k] / shown[k], 3) if shown[k] else None,
                      "recall": round(found_items[k] / expected[k], 3) if expected[k] else None}
                  for k in KINDS},
        "seconds_mean": round(sum(seconds) / len(seconds), 3),
        "seconds_max": round(max(seconds), 3), "notes": len(notes), "misses": misses,
        "model_items": dict(RAW)}


def load(path: Path, name: str):
    from services.advice import llm

    settings = llm.ModelSettings(path=path, temperature=0.0, context_length=2048,
                                 max_tokens=160)
    model = llm.LocalModel(settings, llm.inspect_model(path, 2048))
    return model


def table(results: dict) -> str:
    head = ("| mode | " + " | ".join(f"{k} P / R" for k in KINDS)
            + " | s/note (mean, max) |\n|---" * 1 + "|---" * (len(KINDS) + 1) + "|\n")
    rows = []
    for mode, r in results.items():
        cells = []
        for k in KINDS:
            c = r["kinds"][k]
            p = "-" if c["precision"] is None else f"{c['precision']:.2f}"
            cells.append(f"{p} / {c['recall']:.2f} ({c['right']}/{c['shown']} shown, "
                         f"{c['expected']} expected)")
        rows.append(f"| {mode} | " + " | ".join(cells)
                    + f" | {r['seconds_mean']:.3f}, {r['seconds_max']:.3f} |")
    return head + "\n".join(rows) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a GGUF to run after the rules")
    parser.add_argument("--no-bundled", action="store_true", help="skip the bundled 270M")
    parser.add_argument("--grammar", action="store_true",
                        help="hold the model to the JSON schema by a llama.cpp grammar (slow)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    if args.grammar:
        suggest.GRAMMAR = True
    typed = sum(1 for n in NOTES if n[2] == "typed")
    print(f"{len(NOTES)} notes ({typed} typed, {len(NOTES) - typed} transcript-style), "
          f"{len(HELD_OUT)} held out")
    held = [(text, items, "held out") for text, items in HELD_OUT]
    results = {"rules only": score(), "rules only, held-out notes": score(notes=held)}
    counted()
    if not args.no_bundled:
        from services.advice import llm

        folder = Path(tempfile.gettempdir()) / "confidant-extract-bench"
        path = llm.install_bundled_model(folder)
        model = load(path, "bundled")
        suggest.extract("I will send it by Friday.", on=ON, people=[], model=model)  # warm
        RAW.update(items=0, not_in_text=0)
        results["rules + bundled Gemma 3 270M"] = score(model)
        RAW.update(items=0, not_in_text=0)
        results["rules + bundled Gemma 3 270M, held-out notes"] = score(model, held)
        model.close()
    if args.model:
        model = load(args.model, args.model.name)
        suggest.extract("I will send it by Friday.", on=ON, people=[], model=model)
        RAW.update(items=0, not_in_text=0)
        results[f"rules + {args.model.name}"] = score(model)
        RAW.update(items=0, not_in_text=0)
        results[f"rules + {args.model.name}, held-out notes"] = score(model, held)
        model.close()
    text = table(results)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "extract_bench.md").write_text(
        f"# Suggestions from notes: {len(NOTES)} labelled notes ({typed} typed), "
        f"{len(HELD_OUT)} held out\n\n" + text)
    (args.out / "extract_bench.json").write_text(json.dumps(results, indent=1,
                                                            ensure_ascii=False))
    for mode, r in results.items():
        print(f"\n## {mode}: the model proposed {r['model_items']['items']} items, "
              f"{r['model_items']['not_in_text']} quoting words not in the note (dropped)")
        print(f"## {mode}: wrong or missed")
        for m in r["misses"]:
            print(" ", json.dumps(m, ensure_ascii=False)[:220])
    return 0


if __name__ == "__main__":
    sys.exit(main())
