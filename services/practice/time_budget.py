"""Seconds for pure-Python work inside a library that may loop for a long time without
returning or yielding (dateutil's recurrence rules: a rule that never matches walks to year
9999 inside one `next()`).

`TimeBudget.spend()` installs a profile hook on the current thread only; it counts calls and
every 256th looks at the clock, raising `OutOfTime` inside the library's own loop once the
budget is spent. `OutOfTime` is a BaseException, so the library's `except Exception` cannot
swallow it (the hook is gone once it has fired). Time is charged only while inside `spend()`,
so one budget can be shared by the many small pieces of one job (one imported file). No
PySide6.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class OutOfTime(BaseException):
    """The budget is spent."""


class TimeBudget:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.left = seconds

    @contextmanager
    def spend(self) -> Iterator[None]:
        if self.left <= 0:
            raise OutOfTime
        started = time.monotonic()
        ends, calls = started + self.left, 0

        def watch(frame, event, arg):
            nonlocal calls
            calls += 1
            if not calls & 255 and time.monotonic() > ends:
                raise OutOfTime

        previous = sys.getprofile()
        sys.setprofile(watch)
        try:
            yield
        finally:
            sys.setprofile(previous)
            self.left -= time.monotonic() - started
