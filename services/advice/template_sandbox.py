"""A model's chat template is a Jinja program from an untrusted file: render it in a sandbox,
with a time limit, an output size limit and a memory budget, before llama.cpp does.

`check_template` renders it once on a sample conversation (at `models add`, in the Model
dialog, and when the model loads); `render` renders the real conversation the same way just
before a generation, so a template that fails or loops on it is one line, not a traceback or a
hang. The error says what kind of failure it was and never quotes the template's message: a
`raise_exception(...)` can carry the journal's text. What a render may allocate, and how each
operation's size is known before it runs, is services/advice/template_budget.py.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from datetime import datetime

from services.advice.template_budget import (
    FILTER_SIZES,
    MAX_ALLOCATED,
    MAX_OUTPUT,
    Budget,
    Limit,
    binop_size,
    bounded_filter,
    countable,
    jinja_sum,
    method_size,
    size_of,
)
from services.errors import ModelUnavailable

TIME_LIMIT = 2.0                 # seconds for one render
MAX_TEMPLATE = 256 * 1024        # characters of template source
SAMPLE = [{"role": "system", "content": "You advise an alliance manager."},
          {"role": "user", "content": "How should I prepare for the quarterly review?"},
          {"role": "assistant", "content": "Start with the open commitments."},
          {"role": "user", "content": "Which one first?"}]
_REMOVED = ("urlize", "pprint")  # nothing a chat template needs, and hard to bound


class TemplateRefused(ModelUnavailable):
    """The chat template failed, looped or grew too big; str() names the kind only."""


def _environment():
    from jinja2 import BaseLoader, pass_environment
    from jinja2.compiler import CodeGenerator
    from jinja2.exceptions import SecurityError
    from jinja2.ext import loopcontrols
    from jinja2.nodes import Slice
    from jinja2.runtime import BlockReference
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from jinja2.utils import Namespace

    class SizedConcat(CodeGenerator):
        """`a ~ b` as Jinja compiles it, its parts measured before they are joined."""

        def visit_Concat(self, node, frame):
            join, escape = ("(markup_join if context.eval_ctx.volatile else str_join)",
                            "5 if context.eval_ctx.volatile else 1") \
                if frame.eval_ctx.volatile else ("markup_join", "5") \
                if frame.eval_ctx.autoescape else ("str_join", "1")
            self.write(f"{join}(environment.sized_parts((")
            for arg in node.nodes:
                self.visit(arg, frame)
                self.write(", ")
            self.write(f"), {escape}))")

        def visit_Getitem(self, node, frame):
            """`x[a:b]` as `environment.getitem(x, slice(a, b))`, where the copy is measured
            (Jinja writes a slice as Python's, past the environment)."""
            if not isinstance(node.arg, Slice):
                return super().visit_Getitem(node, frame)
            self.write("environment.getitem(")
            self.visit(node.node, frame)
            self.write(", slice(")
            for part in (node.arg.start, node.arg.stop, node.arg.step):
                if part is None:
                    self.write("None")
                else:
                    self.visit(part, frame)
                self.write(", ")
            self.write("))")

    class Limited(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "%", "+", "-"})
        code_generator_class = SizedConcat

        def __init__(self, **options):
            self.budget = Budget()
            super().__init__(finalize=self.sized_output, **options)

        def call_binop(self, context, operator, left, right):
            self.budget.charge(binop_size(operator, left, right))
            return super().call_binop(context, operator, left, right)

        def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's names
            if isinstance(__obj, BlockReference):   # joins a block's whole output unmeasured
                raise SecurityError("calling a block is not allowed")
            owner = getattr(__obj, "__self__", None)
            if args and getattr(__obj, "__name__", "") in ("join", "fromkeys"):
                args = (countable(args[0]),) + args[1:]      # a generator, once, measured
            size = method_size(__obj, args, kwargs)
            if size is not None:
                __self.budget.charge(size)
            value = super().call(__context, __obj, *args, **kwargs)
            if size is None and isinstance(value, str | bytes | list | tuple | set | Mapping
                                           | Namespace) \
                    and all(value is not x for x in (owner, *args, *kwargs.values())):
                __self.budget.charge(size_of(value))     # a copy: strip(), dict(d), ...
            return value

        def getitem(self, obj, argument):
            value = super().getitem(obj, argument)
            if isinstance(argument, slice):        # a copy, no bigger than obj
                self.budget.charge(size_of(value))
            return value

        def sized_parts(self, parts: tuple, escape: int) -> tuple:
            """The parts of `a ~ b`; markup_join escapes them (up to 5 characters each)."""
            self.budget.charge(escape * sum(size_of(p) for p in parts))
            return parts

        def sized_output(self, value):
            """Each `{{ value }}`, before it is made a string."""
            size = size_of(value)
            if size > MAX_OUTPUT:
                raise Limit("output")
            self.budget.charge(size)
            return value

        def concat(self, pieces):
            """A macro's, a loop's or a `{% set %}` block's output, joined."""
            pieces = countable(pieces)
            self.budget.charge(sum(map(len, pieces)))
            return "".join(pieces)

        def wrap_str_format(self, value):
            """str.format / format_map: a width can ask for a gigabyte; refused outright."""
            if getattr(value, "__name__", "") in ("format", "format_map"):
                def refuse(*args, **kwargs):
                    raise Limit("str.format")
                return refuse
            return None

        def unsafe_undefined(self, obj, attribute):
            """Reaching for an unsafe attribute (__class__, mro, ...) is refused at once, not
            left as an Undefined that fails later."""
            raise SecurityError(f"access to {attribute!r} is unsafe")

    env = Limited(loader=BaseLoader(), trim_blocks=True, lstrip_blocks=True,
                  extensions=[loopcontrols, _generation_tag()])
    env.globals.pop("lipsum", None)          # lipsum(10**9): paragraphs on demand
    for name in _REMOVED:
        env.filters.pop(name, None)
    env.filters["sum"] = pass_environment(jinja_sum)
    env.filters["tojson"] = lambda x, ensure_ascii=False, indent=None, separators=None, \
        sort_keys=False: json.dumps(x, ensure_ascii=ensure_ascii,
                                    indent=indent if not isinstance(indent, int)
                                    or indent <= 16 else 16,
                                    separators=separators, sort_keys=sort_keys)
    for name in FILTER_SIZES:
        if name in env.filters:
            env.filters[name] = bounded_filter(env, name, env.filters[name])
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


def _strftime_now(fmt):
    return datetime.now().strftime(fmt[:64]) if isinstance(fmt, str) else ""


class _TemplateRaised(Exception):
    pass


def _tracer(deadline: float):
    """A trace function that stops the template's own frames (compiled from '<template>') at
    the deadline: a loop with no call in it is stopped too."""
    def local(frame, event, arg):
        if time.monotonic() > deadline:
            raise Limit("time")
        return local

    def trace(frame, event, arg):
        if time.monotonic() > deadline:
            raise Limit("time")
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
                strftime_now=_strftime_now,
                tools=None, functions=None, function_call=None, tool_choice=None):
            size += len(piece)
            if size > MAX_OUTPUT:
                raise Limit("output")
            out.append(piece)
    except Limit as err:
        kind = str(err)
        raise TemplateRefused(
            "The model's chat template ran past the time limit "
            f"({time_limit:g} s); the model is refused." if kind == "time" else
            "The model's chat template produced too much text; the model is refused."
            if kind in ("output", "value") else
            "The model's chat template would use too much memory "
            f"(over {MAX_ALLOCATED // 2**20} M characters); the model is refused."
            if kind == "allocation" else
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
