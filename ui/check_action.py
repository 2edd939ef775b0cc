"""File -> Check the journal: every page's HMAC and the database's structure
(services/vault/check.py), run on a worker through the task helper; the plain report in a message."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from services.vault import check


def check_journal(w) -> None:
    """Run from MainWindow `w`: check the open journal, then show what was found."""
    def done(found: check.JournalCheck) -> None:
        w.statusBar().clearMessage()
        icon = QMessageBox.Icon.Information if found.ok else QMessageBox.Icon.Warning
        title = "The journal is whole" if found.ok else "The journal is damaged"
        box = QMessageBox(icon, title, "\n\n".join(found.lines()), parent=w)
        box.setObjectName("journalCheckReport")
        box.open()
        w.check_report = box

    w.statusBar().showMessage("Checking every page of the journal…")
    w.ctx.tasks.run(check.check_journal, vault=w.ctx.vault, on_done=done, on_error=w.show_error)
