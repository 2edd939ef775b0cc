"""Search by meaning benchmark (issue 22): recall on a labelled journal, index speed, query
latency and memory at 100,000 entries, save latency with and without the index.

Run by hand: `.venv/bin/python bench/memory_bench.py` (about 10 minutes, 2 cores). Writes
bench/results/memory_bench.md and .json. Targets (issue 22): blend recall@3 >= 0.75 on the
reworded queries and >= words-only on exact-name queries; query p95 <= 50 ms at 100k entries;
save latency unchanged (indexing is never inside the save transaction).

1. Quality: bench/memory_journal.toml (70 notes, 5 partners, written for this bench) in a new
   vault, indexed by index.catch_up; every query through recall.find in the three modes (words,
   meaning, blend), the blend at several MIN_MEANING thresholds. recall@3 two ways: "hit@3",
   the share of queries with at least one relevant note in the top 3; "share@3", the mean over
   queries of (relevant notes in the top 3) / min(relevant notes, 3). Then again with 2,000
   synthetic entries added as distractors (the same entries time the indexer).
2. Index speed: catch_up over the 2,000 synthetic entries, one thread; 100k is extrapolated.
3. Scale: 100,000 synthetic entries inserted by SQL (FTS5 triggers on), then entry_chunk filled
   by SQL with one chunk per entry plus one for each reflection, float16 vectors made from the
   real embeddings of the 2,000 sample entries plus noise (cosines to a query spread like real
   ones do; the indexer would take hours to make them for real). Times: the matrix build (first
   query), then recall.find warm, meaning and blend, and vectors.nearest alone.
4. Save latency: journal.create_interaction in a write use case, 200 saves, on the 100k vault
   before entry_chunk is filled and after (matrix in memory), and while catch_up indexes in
   another thread.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import tomllib
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from common import ROOT, env_note, p95

sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

from memory_quality import (  # noqa: E402
    LIMIT,
    check_labels,
    examples,
    load_journal,
    quality,
)

from services import journal  # noqa: E402
from services import vault as vaults  # noqa: E402
from services.memory import index, recall, vectors  # noqa: E402
from services.memory.embedder import load_embedder  # noqa: E402
from services.store import use_case  # noqa: E402

JOURNAL = ROOT / "bench" / "memory_journal.toml"
RESULTS = ROOT / "bench" / "results"
SAMPLE = int(os.environ.get("MEMORY_BENCH_SAMPLE", 2000))
SCALE = int(os.environ.get("MEMORY_BENCH_SCALE", 100_000))
QUERIES_TIMED = 200
SAVES = 200


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples) * 1000, p95(samples) * 1000


# --- synthetic entries -----------------------------------------------------------------------
PEOPLE = ["Anna Berg", "Luis Romero", "Mei Chen", "Omar Haddad", "Kate Doyle", "Pavel Novak",
          "Sara Lind", "Jon Park", "Ruth Adeyemi", "Nils Holm", "Iris Moreau", "Ben Carter"]
ROLES = ["their VP of partnerships", "the CTO", "procurement", "their CFO", "the alliance lead",
         "a regional sales director", "their head of operations", "legal", "the CISO"]
TOPICS = ["the renewal", "the joint roadmap", "the pricing model", "the co-marketing plan",
          "the integration", "the pilot", "the support escalation", "the referral programme",
          "the certification track", "the marketplace listing", "the reseller agreement",
          "the data migration", "the security questionnaire", "the quarterly forecast",
          "the enablement sessions", "the executive sponsor programme", "the MDF budget"]
OPENERS = ["{p} ({r}) raised {t} early in the meeting.",
           "Spent most of the call on {t} with {p}.",
           "{p} wants a decision on {t} before the end of the quarter.",
           "Quick email from {p} about {t}; nothing urgent.",
           "Workshop with {r} to go through {t} in detail.",
           "{p} from {r} was unusually quiet about {t}."]
MIDDLES = ["They asked for {n} more weeks and a written plan.",
           "We agreed to revisit it at the next QBR.",
           "The numbers look better than last quarter: pipeline up {n}%.",
           "There is tension between their sales and product teams over it.",
           "I promised a follow-up with our product manager by Friday.",
           "Their budget is frozen until the new fiscal year.",
           "Two customers were mentioned as references, both happy.",
           "They compared us unfavourably with a competitor on {t2}.",
           "Our engineering estimate is {n} days, which they found too long.",
           "{p2} joined late and pushed for a discount of {n}%.",
           "Action items: share the deck, book the next session, update the CRM.",
           "The tone was friendly but nothing was committed."]
REFLECTIONS = ["I think {p} is testing how far we will bend.",
               "Should have prepared better on {t}.",
               "Good meeting; the relationship feels stronger.",
               "Worried that {t} will slip again.",
               "Need to brief our exec sponsor before the next step."]
KINDS = ("meeting", "call", "email", "workshop", "informal", "internal")


def synthetic(rng: random.Random, n: int, partners: int, start_id: int = 1):
    """Rows (partner_id, occurred_at, kind, title, notes, reflection) from templates."""
    start = datetime(2020, 1, 1)
    for i in range(n):
        fill = {"p": rng.choice(PEOPLE), "p2": rng.choice(PEOPLE), "r": rng.choice(ROLES),
                "t": rng.choice(TOPICS), "t2": rng.choice(TOPICS), "n": rng.randint(2, 40)}
        notes = " ".join(s.format(**fill) for s in
                         [rng.choice(OPENERS)] + rng.sample(MIDDLES, rng.randint(2, 5)))
        reflection = rng.choice(REFLECTIONS).format(**fill) if rng.random() < 0.5 else ""
        title = f"{fill['t'][4:].capitalize()} with {fill['p'].split()[0]}"
        when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 5))
        yield (start_id + i % partners, when.isoformat(" "), rng.choice(KINDS), title, notes,
               reflection)


def insert_entries(vault, rows) -> list[int]:
    with use_case(vault, write=True) as s:
        conn = s.connection()
        first = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM interaction").scalar()
        conn.exec_driver_sql(
            "INSERT INTO interaction (partner_id, occurred_at, kind, title, notes, reflection, "
            "difficulty, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
            [r + (r[1], r[1]) for r in rows])
        last = conn.exec_driver_sql("SELECT max(id) FROM interaction").scalar()
    return list(range(first + 1, last + 1))


def new_vault(prefix: str):
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    return vaults.create_vault(folder, passphrase="memory bench").vault, folder


# --- quality ---------------------------------------------------------------------------------
def fill_chunks(vault, model: str, base: np.ndarray, rng: np.random.Generator) -> int:
    """One chunk per entry (title and notes), a second for each reflection; vectors near the
    real embeddings of the sample (cosine about 0.8 to one of them)."""
    with use_case(vault) as s:
        rows = s.connection().exec_driver_sql(
            "SELECT id, title, notes, reflection, updated_at FROM interaction").all()
    plan = []
    for r in rows:
        texts = vectors.entry_texts(r[1], r[2], r[3])
        plan.append((r[0], "notes", len(texts["notes"]), r[4]))
        if texts["reflection"]:
            plan.append((r[0], "reflection", len(texts["reflection"]), r[4]))
    written = 0
    for start in range(0, len(plan), 20_000):
        part = plan[start:start + 20_000]
        v = base[rng.integers(0, len(base), len(part))] + \
            rng.normal(0, 0.75 / np.sqrt(base.shape[1]), (len(part), base.shape[1]))
        v = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float16)
        with use_case(vault, write=True) as s:
            s.connection().exec_driver_sql(
                'INSERT INTO entry_chunk (interaction_id, field, start, "end", vector, model, '
                "indexed_at) VALUES (?, ?, 0, ?, ?, ?, ?)",
                [(p[0], p[1], p[2], v[i].tobytes(), model, p[3]) for i, p in enumerate(part)])
        written += len(part)
    return written


def time_saves(vault, partner_id: int, rng: random.Random, label: str) -> list[float]:
    samples = []
    for i in range(SAVES):
        row = next(synthetic(rng, 1, 1, partner_id))
        t = time.perf_counter()
        with use_case(vault, write=True) as s:
            journal.create_interaction(session=s, interaction_in={
                "partner_id": partner_id, "title": f"{label} {i}: {row[3]}", "notes": row[4],
                "tags": ["bench"]})
        samples.append(time.perf_counter() - t)
    return samples


def main() -> None:
    started = time.perf_counter()
    out: dict = {"env": env_note()}
    data = tomllib.loads(JOURNAL.read_text("utf-8"))
    problems = check_labels(data)
    out["label_problems"] = problems
    for p in problems:
        print("LABEL:", p)

    vault, folder = new_vault("confidant-memory-bench-")
    t = time.perf_counter()
    embedder = load_embedder(folder, threads=1)
    out["model_load_s"] = round(time.perf_counter() - t, 2)
    ids = load_journal(vault, data)
    t = time.perf_counter()
    indexed = index.catch_up(vault, embedder)
    out["labelled_index_s"] = round(time.perf_counter() - t, 2)
    print(f"labelled journal: {indexed} entries indexed in {out['labelled_index_s']} s")
    q70 = quality(vault, embedder, data, ids, "70 notes")

    # index speed: SAMPLE synthetic entries in the same vault (they become distractors)
    rng = random.Random(22)
    with use_case(vault) as s:
        first_partner = s.connection().exec_driver_sql("SELECT min(id) FROM partner").scalar()
    insert_entries(vault, list(synthetic(rng, SAMPLE, 5, first_partner)))
    t, cpu = time.perf_counter(), time.process_time()
    done = index.catch_up(vault, embedder)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    with use_case(vault) as s:
        chunks = s.connection().exec_driver_sql(
            "SELECT count(*) FROM entry_chunk").scalar() - indexed
    rate = done / wall
    out["index"] = {"entries": done, "chunks": chunks, "seconds": round(wall, 1),
                    "cpu_seconds": round(cpu, 1), "entries_per_s": round(rate, 1),
                    "chunks_per_s": round(chunks / wall, 1),
                    "extrapolated_100k_min": round(100_000 / rate / 60, 1)}
    print(f"index: {done} entries ({chunks} chunks) in {wall:.1f} s = {rate:.1f} entries/s; "
          f"100k extrapolated {100_000 / rate / 60:.0f} min")
    q2k = quality(vault, embedder, data, ids, f"70 notes + {SAMPLE} distractors")
    with use_case(vault) as s:
        base = np.frombuffer(b"".join(r[0] for r in s.connection().exec_driver_sql(
            "SELECT vector FROM entry_chunk").all()), np.float16).reshape(-1, 384)
        base = base.astype(np.float32)
    queries_all = [q for q in data["query"] if q["kind"] in ("reworded", "exact")]
    vault.lock()

    # scale
    big, _ = new_vault("confidant-memory-bench-100k-")
    with use_case(big, write=True) as s:
        s.connection().exec_driver_sql(
            "INSERT INTO partner (name, kind, status, summary, created_at) VALUES "
            + ", ".join(f"('Partner {i:03d}', 'strategic', 'active', '', '2024-01-01')"
                        for i in range(1, 51)))
        p1 = s.connection().exec_driver_sql("SELECT min(id) FROM partner").scalar()
    t = time.perf_counter()
    rng = random.Random(100)
    for start in range(0, SCALE, 20_000):
        insert_entries(big, list(synthetic(rng, min(20_000, SCALE - start), 50, p1)))
    out["scale_insert_s"] = round(time.perf_counter() - t, 1)
    print(f"{SCALE:,} entries inserted in {out['scale_insert_s']} s")
    saves_before = time_saves(big, p1, random.Random(1), "before")
    model = index.model_id(embedder)
    t = time.perf_counter()
    n_chunks = fill_chunks(big, model, base, np.random.default_rng(7))
    out["scale_chunks"] = n_chunks
    print(f"{n_chunks:,} chunk vectors written in {time.perf_counter() - t:.1f} s")

    vectors.forget()
    rss0 = rss_mb()
    with use_case(big) as s:
        t = time.perf_counter()
        m = vectors.matrix(s, 384)
        build = time.perf_counter() - t
    rss1 = rss_mb()
    out["matrix"] = {"rows": m.count, "build_s": round(build, 2), "rss_before_mb": round(rss0),
                     "rss_after_mb": round(rss1), "rss_added_mb": round(rss1 - rss0),
                     "vectors_mb": round(m.vectors.nbytes / 2**20)}
    print(f"matrix {m.count:,} rows built in {build:.2f} s; RSS {rss0:.0f} -> {rss1:.0f} MB")

    texts = [queries_all[i % len(queries_all)]["text"] for i in range(QUERIES_TIMED)]
    embed_t, nearest_t, meaning_t, blend_t, words_t, blend_hits = [], [], [], [], [], []
    with use_case(big) as s:
        recall.find(session=s, query="warm up", embedder=embedder)
        for q in texts:
            t = time.perf_counter()
            v = embedder.embed([q])[0]
            embed_t.append(time.perf_counter() - t)
            mm = vectors.matrix(s, 384)
            t = time.perf_counter()
            vectors.nearest(mm, v, limit=LIMIT)
            nearest_t.append(time.perf_counter() - t)
        for mode, sink in (("meaning", meaning_t), ("blend", blend_t), ("words", words_t)):
            for q in texts:
                t = time.perf_counter()
                r = recall.find(session=s, query=q, embedder=embedder, mode=mode)
                sink.append(time.perf_counter() - t)
                if mode == "blend":
                    blend_hits.append(sum(h.how == "meaning" for h in r.hits))
        # the same without embedding sentences to pick the one that matched (first one instead)
        plain_t, real = [], recall.matched_sentence
        recall.matched_sentence = lambda chunk, *_rest: chunk.strip()[:200]
        try:
            for q in texts:
                t = time.perf_counter()
                recall.find(session=s, query=q, embedder=embedder, mode="blend")
                plain_t.append(time.perf_counter() - t)
        finally:
            recall.matched_sentence = real
    out["latency_ms"] = {name: [round(x, 1) for x in pct(v)] for name, v in (
        ("embed query", embed_t), ("vectors.nearest", nearest_t),
        ("find meaning", meaning_t), ("find blend", blend_t), ("find words", words_t),
        ("find blend, matched sentence not embedded", plain_t))}
    out["blend_meaning_hits_per_query"] = round(statistics.fmean(blend_hits), 1)
    for k, v in out["latency_ms"].items():
        print(f"{k}: p50 {v[0]} ms, p95 {v[1]} ms")

    saves_after = time_saves(big, p1, random.Random(2), "after")
    # while the indexer works on 300 new entries in another thread
    insert_entries(big, list(synthetic(random.Random(3), 300, 50, p1)))
    worker = threading.Thread(target=index.catch_up, args=(big, embedder))
    worker.start()
    saves_during = time_saves(big, p1, random.Random(4), "during")
    still_running = worker.is_alive()
    worker.join()
    out["save_ms"] = {"no index (entry_chunk empty)": [round(x, 1) for x in pct(saves_before)],
                      f"index of {n_chunks:,} chunks, matrix loaded":
                          [round(x, 1) for x in pct(saves_after)],
                      "while catch_up runs in a thread":
                          [round(x, 1) for x in pct(saves_during)]}
    out["saves_during_overlapped_whole_run"] = still_running
    for k, v in out["save_ms"].items():
        print(f"save, {k}: p50 {v[0]} ms, p95 {v[1]} ms")
    big.lock()
    embedder.close()

    out["quality"] = {"70": q70["table"], "distractors": q2k["table"]}
    out["exact_losses"] = {"70": q70["exact_losses"], "distractors": q2k["exact_losses"]}
    out["examples"] = examples(data, ids, q70["raw"], f"blend {recall.MIN_MEANING:.2f}")
    out["raw"] = {"70": q70["raw"], "distractors": q2k["raw"]}
    out["total_s"] = round(time.perf_counter() - started)
    write(out)


def write(out: dict) -> None:
    q = out["quality"]
    lines = [f"# Search by meaning benchmark (issue 22) — {out['env']}", "",
             "recall@3 on bench/memory_journal.toml as **hit@3 / share@3**: hit@3 = share of "
             "queries with at least one relevant note in the top 3; share@3 = mean of (relevant "
             "notes in the top 3) / min(relevant, 3). \"+meaning (unrelated)\": meaning hits the "
             f"mode appends per query (limit {LIMIT}), and how many of them are not labelled "
             "relevant; on the off-topic queries every hit is unrelated.", ""]
    for label, key in (("70 notes", "70"), (f"70 notes + {SAMPLE:,} synthetic distractors",
                                            "distractors")):
        t = q[key]
        lines += [f"**{label}**", "",
                  f"| mode | reworded ({t['reworded']['words']['n']}) | exact names "
                  f"({t['exact']['words']['n']}) | +meaning (unrelated), reworded | "
                  f"hits on off-topic ({t['offtopic']['words']['n']}) |", "|---|---|---|---|---|"]
        for name in t["reworded"]:
            r, e, o = t["reworded"][name], t["exact"][name], t["offtopic"][name]
            lines.append(f"| {name} | {r['hit@3']:.2f} / {r['share@3']:.2f} | "
                         f"{e['hit@3']:.2f} / {e['share@3']:.2f} | {r['meaning_added']:.1f} "
                         f"({r['unrelated_added']:.1f}) | {o['meaning_added'] + 0:.1f} |")
        losses = {k: v for k, v in out["exact_losses"][key].items() if v}
        lines += ["", "Exact-name queries where the blend's top 3 holds fewer relevant notes "
                  "than words-only: " + (", ".join(f"{k}: {v}" for k, v in losses.items())
                                         or "none") + ".", ""]
    ix, mx = out["index"], out["matrix"]
    lines += ["**Index speed** (index.catch_up, 1 thread, measured on "
              f"{ix['entries']:,} synthetic entries = {ix['chunks']:,} chunks): "
              f"{ix['entries_per_s']} entries/s ({ix['chunks_per_s']} chunks/s, "
              f"{ix['cpu_seconds']} CPU-s in {ix['seconds']} s); 100,000 entries "
              f"**extrapolated**: {ix['extrapolated_100k_min']} min.", "",
              f"**At {SCALE:,} entries** ({out['scale_chunks']:,} chunk vectors written by SQL, "
              "synthetic: real sample embeddings plus noise):", "",
              "| | p50 | p95 |", "|---|---|---|"]
    lines += [f"| {k} | {v[0]} ms | {v[1]} ms |" for k, v in out["latency_ms"].items()]
    lines += ["", f"({QUERIES_TIMED} queries, the labelled reworded and exact queries cycled, "
              "warm; `find` includes embedding the query and, for meaning hits, the sentence "
              f"that matched; the blend appended {out['blend_meaning_hits_per_query']} meaning "
              "hits per query at MIN_MEANING "
              f"{recall.MIN_MEANING:.2f}.)", "",
              f"Matrix build at first query: {mx['build_s']} s for {mx['rows']:,} rows; RSS "
              f"{mx['rss_before_mb']} → {mx['rss_after_mb']} MB (+{mx['rss_added_mb']} MB; the "
              f"float32 vectors alone are {mx['vectors_mb']} MB).", "",
              f"**Save latency** (journal.create_interaction in a write use case, {SAVES} saves "
              f"on the {SCALE:,}-entry vault):", "", "| | p50 | p95 |", "|---|---|---|"]
    lines += [f"| {k} | {v[0]} ms | {v[1]} ms |" for k, v in out["save_ms"].items()]
    lines += ["", f"**Three reworded queries** (top 3; blend at MIN_MEANING "
              f"{recall.MIN_MEANING:.2f}, 70 notes):", ""]
    for ex in out["examples"]:
        lines += [f"- \"{ex['query']}\" (relevant: {'; '.join(ex['relevant'])})",
                  f"  - words only: {'; '.join(ex['words']) or 'nothing'}",
                  f"  - blend: {'; '.join(ex['blend'])}"]
    if out["label_problems"]:
        lines += ["", "Label problems: " + "; ".join(out["label_problems"])]
    lines += ["", f"Total run: {out['total_s']} s."]
    text_ = "\n".join(lines) + "\n"
    print(text_)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "memory_bench.md").write_text(text_, "utf-8")
    (RESULTS / "memory_bench.json").write_text(json.dumps(out, indent=1, default=str), "utf-8")


if __name__ == "__main__":
    main()
