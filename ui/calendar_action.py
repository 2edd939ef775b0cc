"""File -> Import calendar (.ics) (issue 14): meetings of the chosen partner from a calendar
export become entries tagged 'imported' (services/practice/calendar_import.py), in one use case; what was
imported, and the attendees nobody knows, are reported in a message."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from services.errors import Conflict
from services.practice import calendar_import


def import_calendar(w) -> None:
    """Run from MainWindow `w`: ask for the file, import it for the partner shown."""
    if w.partner_id is None:
        w.show_error(Conflict("Choose the partner the meetings were with first."))
        return
    path, _ = QFileDialog.getOpenFileName(w, "Import meetings from a calendar export",
                                          str(Path.home()), "iCalendar (*.ics);;All files (*)")
    if not path:
        return
    partner_id = w.partner_id

    def done(report: calendar_import.ImportReport) -> None:  # its notice redraws the views
        box = QMessageBox(QMessageBox.Icon.Information, "Calendar imported",
                          "\n\n".join(report.lines(add_people="in the Stakeholders tab")),
                          parent=w)
        box.setObjectName("calendarImportReport")
        box.open()
        w.calendar_report = box

    w.ctx.db(calendar_import.import_ics, write=True, path=Path(path), partner_id=partner_id,
             on_done=done, on_error=w.show_error)
