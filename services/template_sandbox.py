"""A model's chat template is a Jinja program from an untrusted file: render it in a sandbox,
with a time limit, an output size limit and no big allocation, before llama.cpp does.

`check_template` renders it once on a sample conversation (at `models add`, in the Model
dialog, and when the model loads); `render_checked` renders the real conversation the same way
just before a generation, so a template that fails or loops on it is one line, not a traceback
or a hang. The error says what kind of failure it was and never quotes the template's message:
a `raise_exception(...)` can carry the journal's text.
"""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import datetime

from services.errors import ModelUnavailable

TIME_LIMIT = 2.0                 # seconds for one render
MAX_OUTPUT = 256 * 1024          # characters a rendered prompt may have
MAX_VALUE = 64 * 1024            # characters or items one operation may produce
MAX_TEMPLATE = 256 * 1024        # characters of template source
WIDE_FORMAT = re.compile(r"%[-+ #0]*\d{5,}|%[-+ #0]*\d*\.\d{5,}")
SAMPLE = [{"role": "system", "content": "You advise an alliance manager."},
          {"role": "user", "content": "How should I prepare for the quarterly review?"},
          {"role": "assistant", "content": "Start with the open commitments."},
          {"role": "user", "content": "Which one first?"}]


class TemplateRefused(ModelUnavailable):
    """The chat template failed, looped or grew too big; str() names the kind only."""


class _Limit(Exception):
    """Raised inside a render that went past a limit."""


def _environment():
    from jinja2 import BaseLoader
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Limited(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "%", "+"})

        def call_binop(self, context, operator, left, right):
            if operator == "**" and isinstance(right, int) and abs(right) > 64:
                raise _Limit("exponent")
            if operator == "*":
                size = next((len(v) for v in (left, right) if isinstance(v, str | list | tuple)),
                            None)
                times = right if isinstance(right, int) else left
                if size is not None and isinstance(times, int) and size * times > MAX_VALUE:
                    raise _Limit("repeat")
            if operator == "%" and isinstance(left, str) and WIDE_FORMAT.search(left):
                raise _Limit("format width")
            value = super().call_binop(context, operator, left, right)
            if isinstance(value, str | list) and len(value) > MAX_OUTPUT:
                raise _Limit("value")
            return value

        def wrap_str_format(self, value):
            """str.format / format_map: a width can ask for a gigabyte; refused outright."""
            if getattr(value, "__name__", "") in ("format", "format_map"):
                def refuse(*args, **kwargs):
                    raise _Limit("str.format")
                return refuse
            return None

        def unsafe_undefined(self, obj, attribute):
            """Reaching for an unsafe attribute (__class__, mro, ...) is refused at once, not
            left as an Undefined that fails later."""
            from jinja2.exceptions import SecurityError

            raise SecurityError(f"access to {attribute!r} is unsafe")

    env = Limited(loader=BaseLoader(), trim_blocks=True, lstrip_blocks=True,
                  extensions=[loopcontrols, _generation_tag()])

    def bounded(name):
        original = env.filters[name]

        def run(value, *args, **kwargs):
            for n in list(args) + list(kwargs.values()):
                if isinstance(n, int) and n > MAX_VALUE:
                    raise _Limit(name)
            return original(value, *args, **kwargs)
        return run

    for name in ("center", "indent", "wordwrap", "truncate", "format", "batch", "slice"):
        if name in env.filters:
            env.filters[name] = bounded(name)
    env.filters["tojson"] = lambda x, ensure_ascii=False, indent=None, separators=None, \
        sort_keys=False: json.dumps(x, ensure_ascii=ensure_ascii,
                                    indent=indent if not isinstance(indent, int)
                                    or indent <= 16 else 16,
                                    separators=separators, sort_keys=sort_keys)
    return env


def _generation_tag():
    from jinja2.ext import Extension

    class Generation(Extension):
        """HuggingFace's {% generation %} tag, passed through (as llama-cpp-python does)."""

        tags = {"generation"}

        def parse(self, parser):
            parser.stream.skip(1)
            return parser.parse_statements(("name:endgeneration",), drop_needle=True)
    return Generation


def _raise_exception(message):
    raise _TemplateRaised()


class _TemplateRaised(Exception):
    pass


def _tracer(deadline: float):
    """A trace function that stops the template's own frames (compiled from '<template>') at
    the deadline: a loop with no call in it is stopped too."""
    def local(frame, event, arg):
        if time.monotonic() > deadline:
            raise _Limit("time")
        return local

    def trace(frame, event, arg):
        if time.monotonic() > deadline:
            raise _Limit("time")
        return local if frame.f_code.co_filename == "<template>" else None
    return trace


def render(template: str, messages: list[dict], *, bos_token: str = "<bos>",
           eos_token: str = "<eos>", time_limit: float = TIME_LIMIT) -> str:
    """The prompt the template makes of `messages`, or TemplateRefused naming what went wrong."""
    if len(template) > MAX_TEMPLATE:
        raise TemplateRefused(f"The model's chat template is too long ({len(template):,} "
                              "characters); the model is refused.")
    from jinja2 import TemplateError
    from jinja2.exceptions import SecurityError, TemplateSyntaxError

    deadline = time.monotonic() + time_limit
    previous = sys.gettrace()
    sys.settrace(_tracer(deadline))
    out: list[str] = []
    size = 0
    try:
        compiled = _environment().from_string(template)
        for piece in compiled.generate(
                messages=messages, bos_token=bos_token, eos_token=eos_token,
                add_generation_prompt=True, raise_exception=_raise_exception,
                strftime_now=lambda f: datetime.now().strftime(str(f)[:64]),
                tools=None, functions=None, function_call=None, tool_choice=None):
            size += len(piece)
            if size > MAX_OUTPUT:
                raise _Limit("output")
            out.append(piece)
    except _Limit as err:
        kind = str(err)
        raise TemplateRefused(
            "The model's chat template ran past the time limit "
            f"({time_limit:g} s); the model is refused." if kind == "time" else
            "The model's chat template produced too much text; the model is refused."
            if kind in ("output", "value", "repeat") else
            f"The model's chat template asked for too much ({kind}); the model is refused."
        ) from None
    except _TemplateRaised:
        raise TemplateRefused("The model's chat template refused the conversation "
                              "(raise_exception); the model is refused.") from None
    except TemplateSyntaxError:
        raise TemplateRefused("The model's chat template is not valid Jinja "
                              "(TemplateSyntaxError); the model is refused.") from None
    except SecurityError:
        raise TemplateRefused("The model's chat template tried something unsafe "
                              "(SecurityError); the model is refused.") from None
    except RecursionError:
        raise TemplateRefused("The model's chat template nests too deeply (RecursionError); "
                              "the model is refused.") from None
    except (TemplateError, Exception) as err:  # noqa: BLE001 - the template is untrusted code
        raise TemplateRefused(f"The model's chat template failed ({type(err).__name__}); the "
                              "model is refused.") from None
    finally:
        sys.settrace(previous)
    return "".join(out)


def check_template(template: str | None) -> None:
    """Refuse a template that cannot render a sample conversation within the limits."""
    if template:
        render(template, SAMPLE)
