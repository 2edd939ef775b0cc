"""Embedding benchmark (issue 22): all-MiniLM-L6-v2 through llama.cpp, f16 (the app's) and q8_0.

First use (check the package's files, convert, write): seconds and file size. Then, each model
and thread count in a fresh process: load time, sentences per second (wall clock and per
CPU-second) embedding the sample journal's sentences one per call, as the app does, and peak
RSS. Run: `.venv/bin/python bench/embed_bench.py`; writes bench/results/embed_bench.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from common import ROOT, env_note, peak_rss_mb

sys.path.insert(0, str(ROOT))
from services.memory import convert, embedder  # noqa: E402

THREADS = (1, 2)
KINDS = ("f16", "q8_0")
ROUNDS = 3


def sentences() -> list[str]:
    data = tomllib.loads((ROOT / "resources" / "sample_journal.toml").read_text("utf-8"))
    text = " ".join(e["notes"] + " " + e.get("reflection", "")
                    for p in data["partner"] for e in p["interaction"])
    found = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 3]
    return (found * (1 + 200 // max(1, len(found))))[:200]


def rss_mb() -> float:
    """This process's resident memory now (Linux), else its peak (on Linux a child's peak
    starts at its parent's, so it says nothing here)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def child(path: str, threads: int) -> None:
    """One model, one thread count, in this process alone: prints its numbers as JSON."""
    texts = sentences()
    import llama_cpp  # noqa: F401 - its libraries are in the baseline, not the model's share

    baseline = rss_mb()
    started = time.perf_counter()
    model = embedder.Embedder(Path(path), threads=threads)
    load = time.perf_counter() - started
    model.embed(texts[:10])   # warm up
    rates, cpu_rates = [], []
    for _ in range(ROUNDS):
        wall, cpu = time.perf_counter(), time.process_time()
        model.embed(texts)
        rates.append(len(texts) / (time.perf_counter() - wall))
        cpu_rates.append(len(texts) / (time.process_time() - cpu))
    tokens = sum(model.count_tokens(t) for t in texts) / len(texts)
    after = rss_mb()
    model.close()
    print(json.dumps({"load": load, "rate": max(rates), "cpu_rate": max(cpu_rates),
                      "tokens": tokens, "rss": after, "model_rss": after - baseline,
                      "baseline": baseline}))


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="embed-bench-"))
    started = time.perf_counter()
    app_model = embedder.install_model(data_dir)
    first_use = time.perf_counter() - started
    parts = embedder.read_checked()
    paths = {embedder.KIND: app_model}
    for kind in KINDS:
        if kind not in paths:
            paths[kind] = data_dir / f"minilm-l6-v2-{kind}.gguf"
            t = time.perf_counter()
            convert.convert(parts["model.safetensors"], json.loads(parts["tokenizer.json"]),
                            json.loads(parts["config.json"]), paths[kind], kind)
            print(f"{kind}: converted in {time.perf_counter() - t:.2f} s")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    lines = [f"# Embedding benchmark ({env_note()}; load average {load} as it started)", "",
             f"First use ({embedder.KIND}: check the package's three files, convert, write, "
             f"record): {first_use:.2f} s", "",
             "| model | size | threads | load | sentences/s | per CPU-second | RSS | the model's share |",
             "|---|---|---|---|---|---|---|---|"]
    for kind in KINDS:
        for threads in THREADS:
            run = subprocess.run([sys.executable, __file__, "--child", str(paths[kind]),
                                  str(threads)], capture_output=True, text=True, check=True)
            r = json.loads(run.stdout.strip().splitlines()[-1])
            lines.append(f"| {kind} | {paths[kind].stat().st_size / 2**20:.0f} MB | {threads} "
                         f"| {r['load']:.2f} s | {r['rate']:.0f} | {r['cpu_rate']:.0f} "
                         f"| {r['rss']:.0f} MB | {r['model_rss']:.0f} MB |")
    lines += ["", f"{len(sentences())} sentences of the sample journal, one per call, "
              f"{r['tokens']:.0f} tokens on average; best of {ROUNDS} rounds. RSS: the whole",
              "process, resident, after embedding (Python, numpy, llama.cpp's libraries, the",
              "bench's imports: the peak is not used, a child inherits its parent's); the model's",
              f"share: what loading it and embedding added ({r['baseline']:.0f} MB before)."]
    print("\n".join(lines))
    out = ROOT / "bench" / "results" / "embed_bench.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
