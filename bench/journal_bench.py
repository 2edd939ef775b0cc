"""Journal benchmark (issue 2): save, search and open on 100,000 interactions.

Run by hand: `.venv/bin/python bench/journal_bench.py`. Targets: save p95 <= 20 ms; search p95
<= 30 ms and <= 1.5x the same FTS5 query run raw on the same file; open <= 100 ms (raw key).
"""

from __future__ import annotations

import random
import statistics
import sys
import time

from common import build_journal, env_note, ms, p95, timed, vocabulary

from models import db
from services import journal, paths
from services.journal import search
from services.store import use_case
from services.vault import open_with_key

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def main() -> None:
    t = time.perf_counter()
    root, key = build_journal(N)
    print(f"journal of {N:,} interactions ready in {time.perf_counter() - t:.1f} s "
          f"({paths.db_path(root).stat().st_size / 1e6:.0f} MB) — {env_note()}")

    opens = []
    for _ in range(20):
        t = time.perf_counter()
        vault = open_with_key(root, key)
        with use_case(vault) as s:
            s.connection().exec_driver_sql("SELECT count(*) FROM partner").scalar()
        opens.append(time.perf_counter() - t)
        vault.lock()
    print(f"open vault (raw key, first query): median {ms(statistics.median(opens))}, "
          f"p95 {ms(p95(opens))}")

    vault = open_with_key(root, key)
    rng = random.Random(5)
    words = vocabulary()
    def save(i: int) -> None:  # one use case: BEGIN IMMEDIATE, the entry, COMMIT
        with use_case(vault, write=True) as s:
            journal.create_interaction(session=s, interaction_in={
                "partner_id": 1 + i % 50, "title": f"Bench entry {i}",
                "notes": " ".join(rng.choices(words, k=80)), "tags": ["bench"]})

    saves = [timed(save, i) for i in range(200)]
    print(f"save an entry (one use case, committed): median {ms(statistics.median(saves))}, "
          f"p95 {ms(p95(saves))}")

    queries = [" ".join(rng.sample(words, k=rng.choice((1, 1, 2)))) for _ in range(100)]
    raw_con = db.connect(paths.db_path(root), key)
    service, raw = [], []
    with use_case(vault) as s:
        for q in queries * 2:  # first pass warms the page cache for both
            service.append(timed(search.search, session=s, query=q, limit=20, prefix=False))
            expression = search.match_expression(q, prefix=False)
            raw.append(timed(lambda e=expression: raw_con.execute(
                "SELECT rowid, snippet(interaction_fts, -1, '[', ']', '…', 12) "
                "FROM interaction_fts WHERE interaction_fts MATCH ? ORDER BY rank LIMIT 20",
                (e,)).fetchall()))
    service, raw = service[len(queries):], raw[len(queries):]
    print(f"search (service): median {ms(statistics.median(service))}, p95 {ms(p95(service))}")
    print(f"search (raw FTS5): median {ms(statistics.median(raw))}, p95 {ms(p95(raw))}")
    print(f"ratio service/raw: median {statistics.median(service) / statistics.median(raw):.2f}, "
          f"p95 {p95(service) / p95(raw):.2f}")
    raw_con.close()
    vault.lock()


if __name__ == "__main__":
    main()
