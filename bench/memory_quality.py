"""The labelled half of bench/memory_bench.py: the bench's own journal loaded, its labels
checked, each query run as words, meaning and the blend at several thresholds, and recall@3
scored (hit@3: a relevant note in the top 3; share@3: the relevant notes found there)."""

from __future__ import annotations

import statistics
from datetime import datetime

from services import journal
from services.memory import recall
from services.store import use_case

THRESHOLDS = (0.10, 0.15, 0.20, 0.25, 0.30)
LIMIT = 20                    # recall.find's default


def load_journal(vault, data) -> dict[str, int]:
    ids = {}
    with use_case(vault, write=True) as s:
        partners = {p["name"]: journal.create_partner(
            session=s, partner_in={"name": p["name"], "summary": p.get("summary", "")}).id
            for p in data["partner"]}
        for n in data["note"]:
            entry = journal.create_interaction(session=s, interaction_in={
                "partner_id": partners[n["partner"]], "kind": n["kind"],
                "occurred_at": datetime.fromisoformat(n["date"] + " 10:00"),
                "title": n["title"], "notes": n["notes"], "reflection": n.get("reflection", "")})
            ids[n["key"]] = entry.id
    return ids


def check_labels(data) -> list[str]:
    """Exact queries: every listed note holds the term, and no unlisted note does."""
    problems = []
    for q in data["query"]:
        if q["kind"] != "exact":
            continue
        holds = {n["key"] for n in data["note"]
                 if q["text"].lower() in " ".join((n["title"], n["notes"],
                                                   n.get("reflection", ""))).lower()}
        if holds != set(q["relevant"]):
            problems.append(f"{q['text']}: listed {sorted(q['relevant'])}, text in "
                            f"{sorted(holds)}")
    return problems


def run_queries(vault, embedder, queries, ids, mode, threshold=None):
    """Per query: the hits' interaction ids, how each was found, titles."""
    old = recall.MIN_MEANING
    if threshold is not None:
        recall.MIN_MEANING = threshold
    out = []
    try:
        with use_case(vault) as s:
            for q in queries:
                found = recall.find(session=s, query=q["text"], embedder=embedder, mode=mode,
                                    limit=LIMIT)
                out.append([(h.id, h.how, h.title, round(h.score, 3)) for h in found.hits])
    finally:
        recall.MIN_MEANING = old
    return out


def score(queries, results, ids) -> dict:
    hit, share, added, unrelated = [], [], [], []
    for q, hits in zip(queries, results, strict=True):
        relevant = {ids[k] for k in q["relevant"]}
        top = [h[0] for h in hits[:3]]
        if relevant:
            got = len(relevant & set(top))
            hit.append(got > 0)
            share.append(got / min(len(relevant), 3))
        meaning = [h for h in hits if h[1] == "meaning"]
        added.append(len(meaning))
        unrelated.append(sum(h[0] not in relevant for h in meaning))
    mean = lambda xs: round(statistics.fmean(xs), 3) if xs else None  # noqa: E731
    return {"hit@3": mean(hit), "share@3": mean(share), "meaning_added": mean(added),
            "unrelated_added": mean(unrelated), "n": len(queries)}


def quality(vault, embedder, data, ids, label: str) -> dict:
    groups = {k: [q for q in data["query"] if q["kind"] == k]
              for k in ("reworded", "exact", "offtopic")}
    table, raw = {}, {}
    for kind, queries in groups.items():
        runs = {"words": run_queries(vault, embedder, queries, ids, "words"),
                "meaning": run_queries(vault, embedder, queries, ids, "meaning")}
        for t in THRESHOLDS:
            runs[f"blend {t:.2f}"] = run_queries(vault, embedder, queries, ids, "blend", t)
        table[kind] = {name: score(queries, res, ids) for name, res in runs.items()}
        raw[kind] = runs
        print(f"[{label}] {kind}: " + ", ".join(
            f"{name} {v['hit@3']}/{v['share@3']}" for name, v in table[kind].items()))
    # exact: does the blend ever lose to words on a query?
    losses = {}
    exact = groups["exact"]
    for name in raw["exact"]:
        if name.startswith("blend"):
            losses[name] = [q["text"] for q, w, b in zip(exact, raw["exact"]["words"],
                                                         raw["exact"][name], strict=True)
                            if len({ids[k] for k in q["relevant"]} & {h[0] for h in b[:3]})
                            < len({ids[k] for k in q["relevant"]} & {h[0] for h in w[:3]})]
    return {"table": table, "raw": raw, "exact_losses": losses}


def examples(data, ids, raw, blend_name: str, n: int = 3) -> list[dict]:
    """Reworded queries where words-only missed and the blend found a relevant note."""
    queries = [q for q in data["query"] if q["kind"] == "reworded"]
    titles = {ids[x["key"]]: x["title"] for x in data["note"]}
    picked = []
    for q, w, b in zip(queries, raw["reworded"]["words"], raw["reworded"][blend_name],
                       strict=True):
        relevant = {ids[k] for k in q["relevant"]}
        if not relevant & {h[0] for h in w[:3]} and relevant & {h[0] for h in b[:3]}:
            picked.append({"query": q["text"],
                           "relevant": [titles[ids[k]] for k in q["relevant"]],
                           "words": [h[2] for h in w[:3]],
                           "blend": [f"{h[2]} ({h[1]}, {h[3]:.2f})" for h in b[:3]]})
    # three that differ in kind: first, middle, last of those found
    return [picked[i] for i in sorted({0, len(picked) // 2, len(picked) - 1})][:n] \
        if picked else []


# --- scale -----------------------------------------------------------------------------------
