"""Dashboard benchmark (issue 5). Targets: the portfolio summary over 50 partners and 100,000
interactions <= 200 ms; the trend chart of a partner with 2,000 readings paints in <= 50 ms.
Issue 14 adds health checks, governance cadences and keeping in touch to the portfolio: the
journal gets 2 participants per entry, 4 health checks and 2 cadences per partner, and the
summary is timed with that step ("after") and without it ("before", the same code with
`dashboard._practice` switched off), alternately, on the same journal.
Run: `.venv/bin/python bench/dashboard_bench.py`."""

from __future__ import annotations

import gc
import os
import random
import statistics
import time
from datetime import date, datetime, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import build_journal, env_note, ms, p95  # noqa: E402
from PySide6.QtCore import QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402

from models import db  # noqa: E402
from services import paths
from services.journal import trust  # noqa: E402
from services.practice import dashboard
from services.store import use_case
from services.vault import open_with_key  # noqa: E402
from ui.render.charts import paint_trust_chart  # noqa: E402

N, PARTNERS, READINGS = 100_000, 50, 2000


def add_signals(root, key) -> None:
    """Readings and commitments for every partner (once), 2,000 readings for partner 1."""
    con = db.connect(paths.db_path(root), key)
    if con.execute("SELECT count(*) FROM trust_reading").fetchone()[0]:
        con.close()
        return
    rng = random.Random(3)
    start = datetime(2021, 1, 1)
    rows = []
    for pid in range(1, PARTNERS + 1):
        for n in range(READINGS if pid == 1 else 20):
            rows.append((pid, (start + timedelta(hours=n * 7)).isoformat(" "),
                         rng.randint(3, 9), rng.randint(3, 9), rng.randint(3, 9),
                         rng.randint(2, 8), rng.randint(1, N)))
    con.execute("BEGIN")
    con.executemany("INSERT INTO trust_reading (partner_id, taken_at, credibility, reliability, "
                    "intimacy, self_orientation, interaction_id, note) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, '')", rows)
    today = date.today()
    con.executemany(
        "INSERT INTO commitment (partner_id, owed_by, text, due, status, created_at) "
        "VALUES (?, ?, 'promise', ?, ?, '2024-01-01')",
        [(pid, rng.choice(("us", "them")), (today - timedelta(days=rng.randint(-60, 300)))
          .isoformat(), rng.choice(("open", "kept", "kept", "broken")))
         for pid in range(1, PARTNERS + 1) for _ in range(12)])
    con.execute("COMMIT")
    con.close()


def add_practice(root, key) -> None:
    """Issue 14's data (once): 2 participants per entry (people of the entry's partner), 1% of
    entries tagged as governance meetings, 4 health checks and 2 cadences per partner."""
    engine = db.make_engine(paths.db_path(root), key)
    db.migrate(engine)
    engine.dispose()
    con = db.connect(paths.db_path(root), key)
    if con.execute("SELECT count(*) FROM health_check").fetchone()[0]:
        con.close()
        return
    rng = random.Random(5)
    people = {}
    for sid, pid in con.execute("SELECT id, partner_id FROM stakeholder"):
        people.setdefault(pid, []).append(sid)
    entries = con.execute("SELECT id, partner_id FROM interaction").fetchall()
    con.execute("BEGIN")
    con.executemany("INSERT OR IGNORE INTO interaction_participant VALUES (?, ?)",
                    [(i, sid) for i, pid in entries for sid in rng.sample(people[pid], 2)])
    con.executemany("INSERT OR IGNORE INTO interaction_tag VALUES (?, ?)",
                    [(i, rng.choice(("qbr", "steerco"))) for i, _ in entries
                     if rng.random() < 0.01])
    today = date.today()
    con.executemany(
        "INSERT INTO health_check (partner_id, taken_on, strategic, operational, relational, "
        "their_strategic, their_operational, their_relational, strategic_evidence, "
        "operational_evidence, relational_evidence, note, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', '', '', '2024-01-01')",
        [(pid, (today - timedelta(days=90 * n)).isoformat(), *(rng.randint(1, 5)
                                                               for _ in range(6)))
         for pid in range(1, PARTNERS + 1) for n in range(4)])
    con.executemany(
        "INSERT INTO governance_cadence (partner_id, kind, every_days, next_due, label, "
        "created_at) VALUES (?, ?, ?, ?, '', '2024-01-01')",
        [(pid, kind, every, (today + timedelta(days=rng.randint(-30, 60))).isoformat())
         for pid in range(1, PARTNERS + 1) for kind, every in (("qbr", 90), ("steering", 180))])
    con.execute("COMMIT")
    con.close()


def time_portfolio(vault, runs: int = 25) -> tuple[list[float], list[float], list, dict]:
    """(after, before) wall-clock timings, alternated run by run so both see the same machine
    load, the rows, and both medians of CPU time (steadier on a shared machine)."""
    after, before, cpu = [], [], {"after": [], "before": []}
    practice = dashboard._practice
    with use_case(vault) as s:
        for _ in range(runs):
            for name, times, step in (("after", after, practice),
                                      ("before", before, lambda *a: lambda p: {"alerts": []})):
                dashboard._practice = step
                t, c = time.perf_counter(), time.process_time()
                rows = dashboard.portfolio(session=s)
                times.append(time.perf_counter() - t)
                cpu[name].append(time.process_time() - c)
                if step is practice:
                    kept = rows
        dashboard._practice = practice
    cpu = {k: statistics.median(v[5:]) for k, v in cpu.items()}
    return after[5:], before[5:], kept, cpu  # the first runs warm the page cache


def main() -> None:
    root, key = build_journal(N, n_partners=PARTNERS)
    add_signals(root, key)
    add_practice(root, key)
    vault = open_with_key(root, key)
    gc.freeze()  # as the app does once its window is up (ui/app.py)
    times, before, rows, cpu = time_portfolio(vault)
    with use_case(vault) as s:
        series = trust.trust_series(session=s, partner_id=1)
    print(f"{N:,} interactions, {PARTNERS} partners — {env_note()}")
    print(f"portfolio summary without issue 14's step: median {ms(statistics.median(before))}, "
          f"p95 {ms(p95(before))}")
    print(f"portfolio summary: median {ms(statistics.median(times))}, p95 {ms(p95(times))} "
          f"({len(rows)} rows, {sum(len(r.alerts) for r in rows)} alerts, "
          f"{sum(len(r.losing_touch) for r in rows)} people losing touch)")
    print(f"CPU time, medians: {ms(cpu['before'])} without issue 14's step, "
          f"{ms(cpu['after'])} with it")

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841
    image = QImage(1000, 420, QImage.Format.Format_ARGB32_Premultiplied)
    paints = []
    for _ in range(25):
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        t = time.perf_counter()
        markers = paint_trust_chart(painter, QRectF(0, 0, 1000, 420), series, title="Partner")
        paints.append(time.perf_counter() - t)
        painter.end()
    print(f"trend chart, {len(series):,} readings ({len(markers):,} markers), 1000x420: "
          f"median {ms(statistics.median(paints))}, p95 {ms(p95(paints))}")
    vault.lock()


if __name__ == "__main__":
    main()
