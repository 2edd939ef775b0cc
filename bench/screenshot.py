"""Take the README screenshot: the main window on the sample journal, under Xvfb or offscreen.

    CONFIDANT_PASSPHRASE=... python bench/screenshot.py DATA_DIR OUT.png [--entry ID] [--tab N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from services import vault as vaults  # noqa: E402
from services.store import use_case
from ui.context import AppContext  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.tasks import TaskRunner  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("out")
    parser.add_argument("--entry", type=int)
    parser.add_argument("--tab", type=int, default=0)
    parser.add_argument("--partner", help="select this partner (name or prefix)")
    parser.add_argument("--search")
    parser.add_argument("--advise", action="store_true", help="ask the advisor, wait for it")
    parser.add_argument("--wait", type=int, default=3000, help="ms before the picture")
    parser.add_argument("--scheme", choices=["light", "dark"], default="light")
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    ctx = AppContext(data_dir=Path(args.data_dir), tasks=TaskRunner())
    ctx.vault = vaults.open_vault(ctx.data_dir)
    window = MainWindow(ctx)
    window.resize(1280, 800)
    window.show()

    def stage():
        from ui import theme

        theme.apply(args.scheme)
        if args.partner:
            from services import journal

            with use_case(ctx.vault, write=True) as s:
                window.select_partner(journal.resolve_partner(session=s, name=args.partner).id)
        window.tabs.setCurrentIndex(args.tab)
        if args.entry:
            from services import journal

            with use_case(ctx.vault, write=True) as s:
                partner_id = journal.get_interaction(session=s, interaction_id=args.entry).partner_id
            window.open_entry(partner_id, args.entry)
        if args.search:
            window.find()
            window.search_dialog.query.setText(args.search)
        if args.advise:
            window.ask_advisor()

    def shoot():
        target = window.search_dialog if args.search else window
        screen = app.primaryScreen()
        image = screen.grabWindow(0) if args.search else target.grab()
        image.save(args.out)
        ctx.tasks.wait()
        app.quit()

    QTimer.singleShot(1200, stage)
    QTimer.singleShot(args.wait, shoot)
    app.exec()


if __name__ == "__main__":
    main()
