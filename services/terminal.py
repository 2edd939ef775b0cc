"""Journal text made safe for a terminal. Light on purpose: the argument parser uses it too."""

from __future__ import annotations

import re

# Control characters (a title holding ESC [ 2 J would clear the terminal) and bidirectional
# overrides are printed escaped, as \x1b or \u202e.
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
_SEPARATORS = "\u2028\u2029"   # Unicode line and paragraph separators: a second line to a reader
_UNPRINTABLE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_SEPARATORS}]")
_UNPRINTABLE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}{_SEPARATORS}]")


def shown(text: str, *, lines: bool = False) -> str:
    """`text` with control characters printed escaped. With lines, newlines and tabs stay
    (advice, snippets); else they are escaped too, so one record stays on one line."""
    pattern = _UNPRINTABLE if lines else _UNPRINTABLE_LINE
    return pattern.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
