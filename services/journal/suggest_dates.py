"""Due dates said in words ('by next Friday', 'in two weeks', 'end of Q1'), resolved against the
entry's date. The phrases are found here with bounded, linear patterns; what they mean is
dateparser's (RELATIVE_BASE the entry's date, future dates preferred), except the ends of
periods, which dateparser does not read, and a bare weekday, which is the next one after the
entry's day."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from models.tables import in_journal_years

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_COUNT = r"(?:a couple of|a few|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple of|few|\d{1,3})"
ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
            "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth "
            "twentieth").split()
_SAID = r"(?:(?:twenty|thirty)[\s-]?)?(?:" + "|".join(ORDINALS) + r")|twentieth|thirtieth"
_ORD = r"(?:\d{1,2}(?:st|nd|rd|th)?|" + _SAID + ")"
PHRASE = re.compile(
    r"\b(?:"
    r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+)?(?:week|month|quarter|year|q[1-4]|" + _MONTH + r")"
    r"|eo(?:w|m|q|y)\b|eod|cob|end\s+of\s+day|close\s+of\s+business"
    r"|(?:next|this|coming)\s+" + _DAY +
    r"|" + _DAY +
    r"|in\s+" + _COUNT + r"\s+(?:days?|weeks?|months?|fortnights?)|in\s+a\s+fortnight"
    r"|within\s+" + _COUNT + r"\s+(?:days?|weeks?|months?)"
    r"|tomorrow|today|tonight|next\s+(?:week|month)"
    r"|\d{4}-\d{2}-\d{2}"
    r"|" + _MONTH + r"\.?\s+" + _ORD + r"(?:,?\s+\d{4})?"
    r"|" + _ORD + r"\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+\d{4})?"
    r"|the\s+(?:\d{1,2}(?:st|nd|rd|th)|" + _SAID + ")"
    r")\b", re.IGNORECASE)
QUARTER = re.compile(r"q([1-4])", re.IGNORECASE)
WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
         "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
         "couple of": 2, "few": 3, "a couple of": 2, "a few": 3}


@dataclass(frozen=True)
class DatePhrase:
    start: int
    end: int
    due: date


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _friday_of(day: date) -> date:
    return day + timedelta(days=(4 - day.weekday()) % 7)


def _end_of(what: str, on: date) -> date | None:
    """'end of the month', 'end of Q1', 'end of next week', 'end of March', 'EOQ'."""
    what = " ".join(what.casefold().split())
    short = {"eow": "week", "eom": "month", "eoq": "quarter", "eoy": "year", "eod": "day",
             "cob": "day", "end of day": "day", "close of business": "day"}
    if what in short:
        what = short[what]
    else:
        what = re.sub(r"^(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?", "", what)
    later = what.startswith("next ")
    what = what.removeprefix("next ")
    if what == "day":
        return on
    if what == "week":
        return _friday_of(on + timedelta(days=7 if later else 0))
    if what == "month":
        year, month = (on.year + on.month // 12, on.month % 12 + 1) if later else \
            (on.year, on.month)
        return _month_end(year, month)
    if what == "quarter":
        quarter = (on.month - 1) // 3 + (1 if later else 0)
        year = on.year + quarter // 4
        return _month_end(year, (quarter % 4) * 3 + 3)
    if what == "year":
        return date(on.year + (1 if later else 0), 12, 31)
    found = QUARTER.fullmatch(what)
    if found:
        end = _month_end(on.year, int(found.group(1)) * 3)
        return end if end >= on else _month_end(on.year + 1, int(found.group(1)) * 3)
    for number, name in enumerate(calendar.month_name[1:], 1):
        if name.casefold().startswith(what[:3]):
            end = _month_end(on.year, number)
            return end if end >= on else _month_end(on.year + 1, number)
    return None


def _weekday(text: str, on: date) -> date | None:
    """A weekday is the next one after the entry's day ('Monday', 'next Friday', 'this Fri')."""
    word = text.split()[-1].casefold()
    for number, name in enumerate(WEEKDAYS):
        if name.startswith(word[:3]):
            return on + timedelta(days=(number - on.weekday() - 1) % 7 + 1)
    return None


def _within(text: str, on: date) -> date | None:
    """'in two weeks', 'within 10 days': counted in days, so no parser's clock shifts them."""
    found = re.match(r"(?:in|within)\s+(.+?)\s+(day|week|month|fortnight)s?$", text,
                     re.IGNORECASE)
    if text.casefold().replace("  ", " ") == "in a fortnight":
        return on + timedelta(days=14)
    if not found:
        return None
    count_text, unit = found.group(1).casefold(), found.group(2).casefold()
    count = int(count_text) if count_text.isdigit() else WORDS.get(count_text)
    if count is None:
        return None
    if unit == "month":
        month = on.month - 1 + count
        year = on.year + month // 12
        month = month % 12 + 1
        return date(year, month, min(on.day, calendar.monthrange(year, month)[1]))
    return on + timedelta(days=count * {"day": 1, "week": 7, "fortnight": 14}[unit])


@lru_cache(maxsize=512)
def _parsed(text: str, on: date) -> date | None:
    import dateparser

    found = dateparser.parse(text, languages=["en"], settings={
        "RELATIVE_BASE": datetime(on.year, on.month, on.day, 12),
        "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False})
    return found.date() if found else None


def _digits(text: str) -> str:
    """'the fifteenth' as 'the 15th', 'twenty-first' as '21st' (what dateparser reads)."""
    def number(m: re.Match) -> str:
        tens = {"twenty": 20, "thirty": 30}.get((m.group(1) or "").casefold(), 0)
        word = m.group(2).casefold()
        value = tens + (ORDINALS.index(word) + 1 if word in ORDINALS else
                        {"twentieth": 20, "thirtieth": 30}[word] - tens)
        return f"{value}th"
    return re.sub(r"\b(?:(twenty|thirty)[\s-]?)?(" + "|".join(ORDINALS)
                  + r"|twentieth|thirtieth)\b", number, text, flags=re.IGNORECASE)


def resolve(text: str, on: date) -> date | None:
    """The date a phrase of PHRASE means, said on the day `on`; None if it means none."""
    plain = _digits(" ".join(text.split()))
    low = plain.casefold()
    if low.startswith(("end of", "the end of", "eo", "cob", "close of")):
        due = _end_of(low, on)
    elif re.fullmatch(r"(?:(?:next|this|coming)\s+)?" + _DAY, low):
        due = _weekday(low, on)
    elif low.startswith(("in ", "within ")):
        due = _within(low, on)
    elif low in ("today", "tonight"):
        due = on
    elif low == "next week":
        due = on + timedelta(days=7)
    else:
        due = _parsed(plain, on)
    return due if due is not None and in_journal_years(due) and due >= on else None


def find(text: str, on: date) -> list[DatePhrase]:
    """Every date phrase of `text` with the day it means (bounded by the caller's text)."""
    found = []
    for m in PHRASE.finditer(text):
        if m.group(0).casefold() == "may" or m.group(0).casefold() in ("sat", "sun", "wed"):
            continue   # 'we may', 'I sat': words before they are dates
        due = resolve(m.group(0), on)
        if due is not None:
            found.append(DatePhrase(m.start(), m.end(), due))
    return found
