"""The memory budget of one chat-template render (see services/advice/template_sandbox.py).

Every operation that can make a value bigger than its inputs (`~`, `+`, `*`, `%`, the string
methods, the filters) has its result's size estimated from its arguments and charged to the
render's budget BEFORE it runs: no one value past MAX_VALUE, no more than MAX_ALLOCATED in all.
Sizes are those of str() of the value (repr for what sits inside a container), so a list that
would print as gigabytes is refused as surely as a gigabyte string. No PySide6, no Jinja at
import time.
"""

from __future__ import annotations

import functools
import re
from collections.abc import ItemsView, KeysView, Mapping, ValuesView
from itertools import chain, islice
from types import MethodType

MAX_OUTPUT = 256 * 1024          # characters a rendered prompt may have
MAX_VALUE = MAX_OUTPUT           # characters (str() of it) one value may have
MAX_ALLOCATED = 8 * 1024 * 1024  # characters all operations of one render may produce
MAX_INT_BITS = 1 << 16           # a whole number's size
_SPEC = re.compile(r"%(?:\(([^)]*)\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.S)
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"   # where str.splitlines splits
_CASE = {"upper", "lower", "title", "capitalize", "casefold", "swapcase"}


class Limit(Exception):
    """Raised inside a render that went past a limit."""


class Budget:
    """What one render has produced so far; refuses an operation before it runs."""

    def __init__(self):
        self.spent = 0

    def charge(self, size: int) -> None:
        if size > MAX_VALUE:
            raise Limit("value")
        self.spent += size
        if self.spent > MAX_ALLOCATED:
            raise Limit("allocation")


# --- size estimates: upper bounds of len(str(x)), computed without building x ------------------
def _quoted(s: str) -> int:
    """repr() or JSON of a string: quotes, escaped quotes and backslashes, and up to ten
    characters (\\U0001f600) for each one that is not printable."""
    size = len(s) + 2 + s.count("\\") + s.count("'") + s.count('"')
    return size if s.isprintable() else size + 9 * (len(s) - sum(map(str.isprintable, s)))


def measure(value, nested: bool = False, limit: int = MAX_VALUE) -> tuple[int, int]:
    """(size, depth) of str(value) (nested: of repr(value)), walked without recursion and only
    until the size passes `limit` (a container that holds itself stops there too)."""
    from jinja2.runtime import Undefined
    from jinja2.utils import Namespace

    total, depth, stack = 0, 0, [(value, nested, 0)]
    while stack and total <= limit:
        item, inner, level = stack.pop()
        depth = max(depth, level)
        if isinstance(item, str):
            total += _quoted(item) if inner else len(item)
        elif isinstance(item, bytes | bytearray):
            total += 4 * len(item) + 3
        elif item is None or isinstance(item, bool | float):
            total += 24
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, Mapping | ItemsView):
            pairs = item.items() if isinstance(item, Mapping) else item
            total += 2 + 4 * len(item)
            stack.extend((x, True, level + 1) for pair in islice(pairs, limit // 4 + 1)
                         for x in pair)
        elif isinstance(item, list | tuple | set | frozenset | range | KeysView | ValuesView):
            total += 2 + 2 * len(item)
            stack.extend((x, True, level + 1) for x in islice(item, limit // 2 + 1))
        elif isinstance(item, Namespace):
            total += 12
            stack.append((item._Namespace__attrs, True, level + 1))
        elif isinstance(item, MethodType):   # its repr holds its object's
            total += 80
            stack.append((item.__self__, True, level + 1))
        elif not isinstance(item, Undefined):
            total += 200
    return total, depth


def size_of(value, nested: bool = False) -> int:
    return measure(value, nested)[0]


def _text(value) -> str:
    """str(value), once its size is known to be within the cap."""
    if not isinstance(value, str | bytes) and size_of(value) > MAX_VALUE:
        raise Limit("value")
    return value if isinstance(value, str | bytes) else str(value)


def _whole(value) -> int:
    return value if isinstance(value, int) else 0


def countable(value):
    """An iterable the size of which is known: a lazy one is materialised, up to the cap."""
    if isinstance(value, str | bytes | list | tuple | Mapping | range):
        return value
    values = list(islice(value, MAX_VALUE + 1))
    if len(values) > MAX_VALUE:
        raise Limit("value")
    return values


def _lines(s) -> int:
    s = _text(s)
    return 1 + (sum(s.count(c) for c in _LINE_BREAKS) if isinstance(s, str) else s.count(b"\n"))


def _replace_size(s, old, new, count=-1, escape: int = 1) -> int:
    s, old, new = _text(s), _text(old), _text(new)
    hits = len(s) + 1 if not old else s.count(old)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(s) + hits * max(escape * len(new) - len(old), 0)


def _percent_size(fmt, args, escape: int = 1) -> int:
    """`fmt % args`: the format's length, every width and precision it asks for (a `*` takes
    its number from the arguments), and the largest argument for every conversion."""
    text = _text(fmt)
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    values = list(args.values()) + [args] if isinstance(args, Mapping) else \
        list(args) if isinstance(args, tuple) else [args]
    stars = sum(abs(v) for v in values if isinstance(v, int))
    widest = escape * max((size_of(v, nested=True) for v in values), default=0)
    total = len(text)
    for _name, width, precision, conversion in _SPEC.findall(text):
        for number in (width, precision):
            if len(number) > 9:
                raise Limit("format width")
            total += stars if number == "*" else int(number or 0)
        total += widest if conversion != "%" else 0
    return total


def binop_size(operator: str, left, right) -> int:
    """The size of `left <operator> right`; whole numbers are refused past MAX_INT_BITS."""
    if isinstance(left, int) and isinstance(right, int):
        a, b = left.bit_length(), right.bit_length()
        bits = a + b if operator == "*" else max(a, 1) * right if operator == "**" \
            and right > 0 else max(a, b) + 1
        if bits > MAX_INT_BITS:
            raise Limit("number")
        return 0
    escape = 5 if hasattr(left, "__html__") or hasattr(right, "__html__") else 1  # Markup
    if operator == "*":                                      # escapes what is added to it
        times, seq = (right, left) if isinstance(right, int) else (left, right)
        return size_of(seq) * max(times, 0) if isinstance(times, int) else 0
    if operator == "+" and isinstance(left, str | bytes | list | tuple):
        return escape * (size_of(left) + size_of(right))
    if operator == "%" and isinstance(left, str | bytes):
        return _percent_size(left, right, escape)
    return 0


def method_size(method, args, kwargs) -> int | None:
    """The size of a built-in method's result (`s.replace(...)`, `n.to_bytes(...)`), or None
    for a method whose result is no bigger than its object and arguments."""
    obj, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    arg = (list(args) + list(kwargs.values()) + [None])[0]
    if name == "escape":                  # Markup.escape, bound to the class
        return 6 * size_of(arg)
    if isinstance(obj, int) and name == "to_bytes":
        return 4 * _whole(kwargs.get("length", arg if args else 1)) + 3
    if name == "fromkeys" and isinstance(obj, type) and issubclass(obj, dict):
        value = args[1] if len(args) > 1 else kwargs.get("value")
        return len(countable(arg)) * (size_of(value, nested=True) + 6)
    if not isinstance(obj, str | bytes):
        return None
    unit, escape = (4 if isinstance(obj, bytes) else 1), (5 if hasattr(obj, "__html__") else 1)
    if name in ("center", "ljust", "rjust", "zfill"):
        return unit * max(len(obj), _whole(arg))
    if name == "expandtabs":
        tab = "\t" if isinstance(obj, str) else b"\t"
        return unit * (len(obj) + obj.count(tab) * max(_whole(8 if arg is None else arg), 0))
    if name == "replace":
        return unit * _replace_size(obj, *args, **kwargs, escape=escape)
    if name == "join":
        parts = countable(arg)
        return unit * (escape * sum(size_of(p) // unit for p in parts)
                       + len(obj) * max(len(parts) - 1, 0))
    if name == "translate":
        table = arg.values() if isinstance(arg, Mapping) else [1]
        return unit * len(obj) * max([1] + [size_of(v) for v in table])
    if name == "encode":
        return 40 * len(obj) + 8       # \U0001f600 for a character, as bytes (repr: 4x)
    if name in ("split", "rsplit", "splitlines", "hex"):
        return 4 * size_of(obj) + 8
    if name in _CASE:
        return size_of(obj) * (1 if obj.isascii() else 3)
    return None


def _tojson_size(value, ensure_ascii=False, indent=None, *args, **kwargs) -> int:
    size, depth = measure(value, nested=True)
    return size * (2 + indent * depth) if isinstance(indent, int) and indent > 0 else size


# Filters that can grow a value: name -> the size of the result from (value, *args, **kwargs).
# `materialise`: the value is made a list first (a generator's length is unknown otherwise).
FILTER_SIZES = {
    "center": lambda v, width=80: max(size_of(v), _whole(width)),
    "indent": lambda s, width=4, *a, **k: size_of(s) + 1 + (_lines(s) + 1) * (
        len(width) if isinstance(width, str) else _whole(width)),
    "wordwrap": lambda s, width=79, breaks=True, wrapstring=None, *a, **k:
        size_of(s) + (size_of(s) + 1) * len(_text(wrapstring or "\n")),
    "truncate": lambda s, length=255, killwords=False, end="...", *a, **k:
        size_of(s) + size_of(end),
    "format": lambda v, *args, **kwargs: _percent_size(v, kwargs or args),
    "replace": lambda s, old, new, count=None: _replace_size(s, old, new, count),
    "join": lambda v, d="", attribute=None: sum(map(size_of, v)) + size_of(d) * len(v),
    "batch": lambda v, linecount, fill_with=None: size_of(v, True) + (
        len(v) // max(_whole(linecount), 1) + 1) * (4 + (0 if fill_with is None else _whole(
            linecount) * (size_of(fill_with, True) + 2))),
    "slice": lambda v, slices, fill_with=None: size_of(v, True) + _whole(slices) * (
        4 + size_of(fill_with, True)),
    "sum": lambda v, attribute=None, start=0: sum(map(size_of, v)) + size_of(start),
    "string": lambda v: size_of(v),
    "tojson": _tojson_size,
    "xmlattr": lambda v, *a: 6 * size_of(v, nested=True),
    "urlencode": lambda v: 12 * size_of(v, nested=True),
    "escape": lambda v: 5 * size_of(v), "e": lambda v: 5 * size_of(v),
    "forceescape": lambda v: 5 * size_of(v),
    "upper": lambda v: 3 * size_of(v), "lower": lambda v: 3 * size_of(v),
    "title": lambda v: 3 * size_of(v), "capitalize": lambda v: 3 * size_of(v),
    "list": lambda v: size_of(v, True), "sort": lambda v, *a, **k: size_of(v, True),
    "reverse": lambda v: size_of(v, True), "dictsort": lambda v, *a, **k: 2 * size_of(v, True),
    "groupby": lambda v, *a, **k: 3 * size_of(v, True),
    "trim": lambda v, *a: size_of(v), "striptags": lambda v: size_of(v),
    "safe": lambda v: size_of(v),
}
_MATERIALISE = {"join", "batch", "slice", "sum", "list", "sort", "reverse", "dictsort",
                "groupby"}


def jinja_sum(environment, iterable, attribute=None, start=0):
    """Jinja's sum, in linear time for lists and tuples (sum() copies the total at each step,
    in C, where the time limit cannot stop it)."""
    from jinja2.filters import make_attrgetter

    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    values = list(iterable)
    if isinstance(start, list | tuple) and all(type(x) is type(start) for x in values):
        return type(start)(chain(start, *values))
    return sum(values, start)


def bounded_filter(env, name: str, original):
    """`original`, its result's size charged to `env.budget` before it runs."""
    from jinja2.utils import _PassArg

    skip = 1 if _PassArg.from_obj(original) else 0
    estimate, materialise = FILTER_SIZES[name], name in _MATERIALISE

    @functools.wraps(original)
    def run(*args, **kwargs):
        if materialise and len(args) > skip:
            args = args[:skip] + (countable(args[skip]),) + args[skip + 1:]
        env.budget.charge(estimate(*args[skip:], **kwargs))
        return original(*args, **kwargs)
    return run
