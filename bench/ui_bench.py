"""Desktop benchmark (issue 3), on a journal of 100,000 interactions with one partner, so the
timeline really holds 100,000 rows.

Targets: start-up to the first painted main window <= 2x a bare PySide6 QMainWindow measured in
the same run; idle memory <= 250 MB RSS (no model loaded); scrolling the timeline never blocks
the event loop for more than 50 ms. Run: `.venv/bin/python bench/ui_bench.py`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 100_000
RUNS = 5

CHILD = r"""
import json, os, sys, time
START = float(sys.argv[1])
MODE = sys.argv[2]
sys.path.insert(0, sys.argv[3])
sys.path.insert(0, os.path.join(sys.argv[3], "bench"))
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

result = {}
app = QApplication([])

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if (event.type() == QEvent.Type.Paint and "paint" not in result
                and isinstance(obj, QMainWindow)):
            result["paint"] = time.time() - START
            QTimer.singleShot(0, after_paint)
        return False

watcher = FirstPaint()
if MODE == "bare":
    window = QMainWindow()
    window.installEventFilter(watcher)
    window.resize(1280, 800)
    window.show()
else:  # the real start-up path: ui.app.run_app, unlocking from the (bench) keychain
    app.installEventFilter(watcher)

def after_paint():
    if MODE == "bare":
        app.quit()
        return
    app.removeEventFilter(watcher)
    def loaded():
        global window, ctx
        window = next((w for w in app.topLevelWidgets()
                       if type(w).__name__ == "MainWindow" and w.isVisible()), None)
        if window is None or window.partner_model.rowCount() == 0 or window.ctx.tasks.busy:
            return QTimer.singleShot(10, loaded)
        ctx = window.ctx
        result["data"] = time.time() - START  # the portfolio home, with the partner list
        window.select_partner(window.partner_model.partners[0].id)
        opened = time.perf_counter()

        def timeline():
            if window.timeline.rowCount() == 0 or ctx.tasks.busy:
                return QTimer.singleShot(10, timeline)
            result["partner_open_ms"] = (time.perf_counter() - opened) * 1000
            QTimer.singleShot(2000, idle)
        timeline()
    loaded()

def idle():
    result["idle_rss_mb"] = rss_mb()
    scroll()

def scroll():
    view = window.timeline_view
    bar = view.verticalScrollBar()
    gaps, last = [], [time.perf_counter()]
    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
    ticker = QTimer(interval=5)
    ticker.timeout.connect(tick)
    ticker.start()
    steps = [0]
    def step():
        steps[0] += 1
        bar.setValue(bar.value() + view.height())  # page down, like PgDn or a flick
        if steps[0] < 600:
            QTimer.singleShot(8, step)
        else:
            ticker.stop()
            ctx.tasks.wait()
            result["scroll_rows_loaded"] = window.timeline.rowCount()
            result["scroll_max_block_ms"] = max(gaps) * 1000
            result["scroll_p99_block_ms"] = sorted(gaps)[int(len(gaps) * 0.99)] * 1000
            result["rss_after_scroll_mb"] = rss_mb()
            app.quit()
    step()

if MODE == "bare":
    app.exec()
else:
    import argparse
    from ui.app import run_app
    run_app(argparse.Namespace(data_dir=sys.argv[5]))
print(json.dumps(result))
"""


def run(mode: str, root: Path, key: bytes) -> dict:
    env = os.environ | {"QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                        "PYTHON_KEYRING_BACKEND": "common.BenchKeyring",
                        "PYTHONPATH": str(HERE), "BENCH_KEY_HEX": key.hex()}
    env.pop("CONFIDANT_PASSPHRASE", None)
    out = subprocess.run([sys.executable, "-c", CHILD, repr(time.time()), mode,
                          str(HERE.parent), str(N), str(root)], env=env, capture_output=True,
                         text=True, check=True, timeout=300).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    sys.path.insert(0, str(HERE))
    from common import build_journal

    root, key = build_journal(N, n_partners=1)
    bare, app = [], []
    for _ in range(RUNS):  # alternate, so both see the same machine state
        bare.append(run("bare", root, key))
        app.append(run("app", root, key))
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    print(f"{N:,} interactions, one partner; {RUNS} runs each, medians; "
          f"QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM', 'offscreen')}")
    print(f"bare QMainWindow first paint: {med(bare, 'paint') * 1000:.0f} ms")
    print(f"Confidant first paint: {med(app, 'paint') * 1000:.0f} ms "
          f"(ratio {med(app, 'paint') / med(bare, 'paint'):.2f}x)")
    print(f"Confidant with the portfolio home and partner list shown: "
          f"{med(app, 'data') * 1000:.0f} ms; choosing the partner to its timeline: "
          f"{med(app, 'partner_open_ms'):.0f} ms")
    print(f"idle RSS: {med(app, 'idle_rss_mb'):.0f} MB")
    print(f"scrolling 600 pages: rows loaded {med(app, 'scroll_rows_loaded'):.0f}, "
          f"longest event-loop block {max(r['scroll_max_block_ms'] for r in app):.1f} ms, "
          f"p99 {med(app, 'scroll_p99_block_ms'):.1f} ms, RSS after {med(app, 'rss_after_scroll_mb'):.0f} MB")


if __name__ == "__main__":
    main()
