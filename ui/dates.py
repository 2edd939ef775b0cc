"""One way to show and type a date in every form: the locale's short numeric date with a
four-digit year (ISO yyyy-MM-dd where the locale has none, as the C locale of a bare
desktop), so digits can be typed into each part and no form reads '12 12 2026'. Every field
takes only the journal's years (models.tables: 1900-2100); a stored date outside them shows
clamped to the nearest end."""

from __future__ import annotations

import re

from PySide6.QtCore import QDate, QDateTime, QLocale
from PySide6.QtWidgets import QDateEdit, QDateTimeEdit

from models.tables import FIRST_YEAR, LAST_YEAR

ISO = "yyyy-MM-dd"
FIRST_DAY, LAST_DAY = QDate(FIRST_YEAR, 1, 1), QDate(LAST_YEAR, 12, 31)


def date_format(locale: QLocale | None = None) -> str:
    locale = locale or QLocale()
    if locale.language() == QLocale.Language.C:
        return ISO
    short = locale.dateFormat(QLocale.FormatType.ShortFormat)
    if "MMM" in short or not re.search(r"d", short):
        return ISO
    return re.sub(r"y+", "yyyy", short)  # never a two-digit year


def _bounded(edit: QDateTimeEdit, name: str) -> None:
    edit.setDateRange(FIRST_DAY, LAST_DAY)
    edit.setAccessibleName(name)


def date_edit(value: QDate, name: str) -> QDateEdit:
    edit = QDateEdit(value, calendarPopup=True)
    edit.setDisplayFormat(date_format())
    _bounded(edit, name)
    return edit


def datetime_edit(value: QDateTime, name: str) -> QDateTimeEdit:
    edit = QDateTimeEdit(value, calendarPopup=True)
    edit.setDisplayFormat(f"{date_format()} HH:mm")
    _bounded(edit, name)
    return edit
