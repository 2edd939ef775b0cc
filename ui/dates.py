"""One way to show and type a date in every form: the locale's short numeric date with a
four-digit year (ISO yyyy-MM-dd where the locale has none, as the C locale of a bare
desktop), so digits can be typed into each part and no form reads '12 12 2026'."""

from __future__ import annotations

import re

from PySide6.QtCore import QDate, QDateTime, QLocale
from PySide6.QtWidgets import QDateEdit, QDateTimeEdit

ISO = "yyyy-MM-dd"


def date_format(locale: QLocale | None = None) -> str:
    locale = locale or QLocale()
    if locale.language() == QLocale.Language.C:
        return ISO
    short = locale.dateFormat(QLocale.FormatType.ShortFormat)
    if "MMM" in short or not re.search(r"d", short):
        return ISO
    return re.sub(r"y+", "yyyy", short)  # never a two-digit year


def date_edit(value: QDate, name: str) -> QDateEdit:
    edit = QDateEdit(value, calendarPopup=True)
    edit.setDisplayFormat(date_format())
    edit.setAccessibleName(name)
    return edit


def datetime_edit(value: QDateTime, name: str) -> QDateTimeEdit:
    edit = QDateTimeEdit(value, calendarPopup=True)
    edit.setDisplayFormat(f"{date_format()} HH:mm")
    edit.setAccessibleName(name)
    return edit
