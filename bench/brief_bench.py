"""Brief benchmark (issue 6): a brief for a partner with 1,000 interactions renders in <= 1 s.
Run: `.venv/bin/python bench/brief_bench.py`. Writes bench/out/brief-*.pdf."""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import OUT, build_journal, env_note, ms  # noqa: E402
from dashboard_bench import add_signals  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402

from services.practice import brief  # noqa: E402
from services.store import use_case
from services.vault import open_with_key  # noqa: E402
from ui.render.brief_pdf import write_pdf  # noqa: E402


def main() -> None:
    root, key = build_journal(100_000, n_partners=100)  # 1,000 interactions a partner
    add_signals(root, key)
    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841
    vault = open_with_key(root, key)
    print(f"partner 2 of 100: 1,000 interactions, 5 stakeholders — {env_note()}")
    for recent in (10, 100):
        totals, builds = [], []
        for n in range(6):
            t = time.perf_counter()
            with use_case(vault, write=True) as s:
                data = brief.build_brief(session=s, options=brief.BriefOptions(
                    partner_id=2, recent=recent, purpose="Steering committee"))
            built = time.perf_counter()
            target = write_pdf(data, OUT / f"brief-{recent}.pdf")
            if n:  # the first run loads fonts
                builds.append(built - t)
                totals.append(time.perf_counter() - t)
        pages = len(PdfReader(str(target)).pages)
        print(f"--recent {recent}: {pages} pages, {target.stat().st_size / 1024:.0f} KB; "
              f"build {ms(statistics.median(builds))}, build + render "
              f"{ms(statistics.median(totals))} (median of 5)")
    vault.lock()


if __name__ == "__main__":
    main()
