"""A chat template is untrusted code (issue 18, item 15): every operation that could build a
huge value is refused from its arguments, before it runs. Each template here took seconds and
hundreds of megabytes to gigabytes before it was refused (or was never refused); now each is
refused in well under the time limit, with the render's peak memory under 64 MB. Real
templates still render exactly as Jinja renders them."""

from __future__ import annotations

import pytest

from services.advice.template_sandbox import TIME_LIMIT, TemplateRefused, render
from tests.gguf_chat import GEMMA3_CHAT_TEMPLATE
from tests.helpers import measured as measured_call

PEAK_LIMIT = 64 * 1024 * 1024
BIG = "{% set big = 'a' * 65536 ~ 'a' * 65536 ~ 'a' * 65536 ~ 'a' * 65536 %}"
TEXT = "too much text"
# name -> (template, what the refusal says); the figure is what the template took before
HOSTILE = {
    "replace": ("{{ ('a'*60000)|replace('a', 'a'*60000) }}", TEXT),                # 3.4 GB
    "expandtabs": ("{{ ('\t'*60000).expandtabs(60000) }}", TEXT),                   # 3.4 GB
    "indent": ("{{ ('a\n'*30000)|indent(60000) }}", TEXT),                          # 3.4 GB
    "ljust": ("{{ 'a'.ljust(3000000000) }}", TEXT),                                 # 2.9 GB
    "zfill": ("{{ 'a'.zfill(3000000000) }}", TEXT),                                 # 2.9 GB
    "center": ("{{ 'a'.center(2000000000) }}", TEXT),                               # 1.9 GB
    "concat-doubling": ("{% set ns = namespace(s='a'*65536) %}{% for i in range(15) %}"
                        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}", TEXT),
    "percent-mapping": ("{{ ('%(a)s' * 10000) % dict(a='a'*60000) }}", TEXT),       # 580 MB
    "percent-star-width": ("{{ '%*s' % (2000000000, 'a') }}", TEXT),               # 1.9 GB
    "int-to-bytes": ("{{ (1).to_bytes(2000000000, 'big')|length }}", TEXT),       # 1.9 GB
    "translate": ("{{ ('a'*60000).translate({97: 'b'*60000}) }}", TEXT),            # 3.4 GB
    "power-tower": ("{% set ns = namespace(x=2**64) %}{% for i in range(6) %}"
                    "{% set ns.x = ns.x ** 64 %}{% endfor %}{{ ns.x > 1 }}", "(number)"),  # 13 s
    "squaring": ("{% set ns = namespace(x=3) %}{% for i in range(34) %}"
                 "{% set ns.x = ns.x * ns.x %}{% endfor %}{{ ns.x > 1 }}", "(number)"),   # 3.4 s
    "macro-buffer": ("{% macro m() %}{% for i in range(100000) %}" + "A" * 20000
                     + "{% endfor %}{% endmacro %}{{ m()|length }}", TEXT),        # 1.9 GB
    "block-call": ("{% if false %}{% block b %}{% for i in range(100000) %}" + "A" * 20000
                   + "{% endfor %}{% endblock %}{% endif %}{{ self.b()|length }}",
                   "unsafe"),                                                      # 1.9 GB
    "list-repr": ("{% set ns = namespace(l=['a'*60000] * 4) %}{% for i in range(12) %}"
                  "{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|string|length }}",
                  TEXT),                                                           # 950 MB
    "fromkeys": ("{{ {}.fromkeys(range(100000), 'a'*60000)|string|length }}", TEXT),  # 4.1 GB
    "map-center": ("{{ range(100000)|map('center', 60000)|list|length }}",
                   "too much memory"),                                             # 1.8 GB
    "slices-kept": (BIG + "".join(f"{{% set v{i} = big[{i}:] %}}" for i in range(300))
                    + "{{ v1|length }}", "too much memory"),                       # 75 MB
    "lipsum": ("{{ lipsum(1000000)|length }}", "UndefinedError"),                  # 2 s
}
CONVERSATION = [{"role": "system", "content": "You advise an alliance manager.\n" * 20}] + [
    {"role": "user" if i % 2 == 0 else "assistant",
     "content": f"Turn {i}: Müller's team said \"the listing slipped\" – again.\n" * 30}
    for i in range(60)]
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
          "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
          "{{ '<|im_start|>assistant\n' }}{% endif %}")
LLAMA3 = ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content ="
          " '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content']"
          " | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + "
          "content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
          "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
# The features the larger instruct templates use: namespace, selectattr, tojson, macros,
# truncate and wordwrap (which the old filter wrapper broke), indent, slices, replace, join.
FEATURES = """{%- set ns = namespace(system='', turns=0) -%}
{%- for m in messages|selectattr('role', 'equalto', 'system') -%}
  {%- set ns.system = ns.system ~ m.content|trim -%}
{%- endfor -%}
{%- macro turn(role, text) -%}
<|{{ role }}|>{{ text|replace('\t', '    ')|indent(2) }}<|end|>
{% endmacro -%}
{{ bos_token }}<|system|>{{ ns.system[:200]|wordwrap(60) }} {{ ns.system|truncate(40) }}
{%- for m in messages if m.role != 'system' %}{% set ns.turns = ns.turns + 1 %}
{{ turn(m.role, m.content) }}{{ {'n': ns.turns, 'role': m.role}|tojson }}
{%- endfor %}
{{ messages|map(attribute='role')|unique|join(', ') }}|{{ '%s/%d' % ('turns', ns.turns) }}
{%- if add_generation_prompt %}<|assistant|>{% endif %}"""
REAL = {"chatml": CHATML, "llama3": LLAMA3, "gemma3": GEMMA3_CHAT_TEMPLATE,
        "features": FEATURES}


def measured(template: str, messages=None):
    """Render under tracemalloc: (the error or the text, seconds, peak bytes)."""
    return measured_call(lambda: render(template, messages or [{"role": "user", "content": "hi"}]),
                         TemplateRefused)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_template_asking_for_gigabytes_is_refused_before_it_gets_them(name):
    template, says = HOSTILE[name]
    outcome, took, peak = measured(template)
    assert isinstance(outcome, TemplateRefused), outcome[:200]
    line = str(outcome)
    assert says in line and "time limit" not in line and "\n" not in line
    assert took < TIME_LIMIT, f"{took:.1f} s"
    assert peak < PEAK_LIMIT, f"{peak / 2**20:.0f} MB"


def reference(template: str, messages) -> str:
    """What Jinja's own sandbox, with no budget, makes of it."""
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from services.advice.template_sandbox import _generation_tag

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[loopcontrols, _generation_tag()])
    env.filters["tojson"] = render.__globals__["json"].dumps
    return env.from_string(template).render(
        messages=messages, bos_token="<bos>", eos_token="<eos>", add_generation_prompt=True)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_templates_render_a_long_conversation_as_jinja_does(name):
    """About 110,000 characters of conversation: the budget refuses none of it."""
    text, took, peak = measured(REAL[name], CONVERSATION)
    assert isinstance(text, str), str(text)
    assert text == reference(REAL[name], CONVERSATION) and len(text) > 100_000
    assert took < TIME_LIMIT and peak < PEAK_LIMIT
