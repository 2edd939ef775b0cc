"""A model file is untrusted input. Each crafted header and chat template from issue 12, built here
with the `gguf` package (the 5,000-deep array by hand: gguf-py itself recurses): refused at
`models add` with one line, no traceback, nothing added; a template that misbehaves only on the
real conversation is one line at use, and its message (journal text) reaches neither the user's
line nor the log."""

from __future__ import annotations

import struct

import gguf
import numpy as np
import pytest

from services import journal
from services import settings as settings_service
from services.advice import advisor, llm, model_holder, model_library
from services.advice.template_sandbox import TIME_LIMIT, TemplateRefused, render
from services.errors import InvalidInput, ModelUnavailable
from services.journal import demo
from services.store import use_case
from tests.gguf_chat import GEMMA3_CHAT_TEMPLATE
from tests.model_servers import with_chat_template

T = gguf.GGUFValueType


def tiny_gguf(path, extra: list[tuple]) -> str:
    """A small, whole GGUF (one tensor) with the metadata `extra`: (key, value, type[, sub])."""
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_block_count(1)
    writer.add_name("crafted")
    for key, value, kind, *sub in extra:
        writer.add_key_value(key, value, kind, sub_type=sub[0] if sub else None)
    writer.add_tensor("blk.0.ffn_up.weight", np.zeros((4, 32), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return str(path)


def nested_arrays(path, depth: int = 5000) -> str:
    """A header whose one value is an array of an array of ... `depth` deep."""
    key = b"general.nested"
    body = struct.pack("<Q", len(key)) + key + struct.pack("<I", T.ARRAY)
    body += struct.pack("<IQ", T.ARRAY, 1) * depth + struct.pack("<IQ", T.UINT8, 0)
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + body)
    return str(path)


HEADERS = {
    "alignment-zero": ([("general.alignment", 0, T.UINT32)], "general.alignment is out of range"),
    "alignment-array": ([("general.alignment", [32, 64], T.ARRAY, T.UINT32)],
                        "general.alignment is not a whole number"),
    "file-type-array": ([("general.file_type", [15], T.ARRAY, T.UINT32)],
                        "general.file_type is not a whole number"),
    "context-abc": ([("llama.context_length", "abc", T.STRING)],
                    "llama.context_length is not a whole number"),
    "alignment-odd": ([("general.alignment", 24, T.UINT32)], "not a power of two"),
    "ordinary-array": ([("general.tags", ["x"] * 3, T.ARRAY, T.STRING)], None),
}

TEMPLATES = {
    "security": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "SecurityError"),
    "syntax": ("{% for m in messages %}{{ m['content'] }", "TemplateSyntaxError"),
    "raise": ("{{ raise_exception('x ' ~ messages[1]['content'][:150]) }}", "raise_exception"),
    "attr": ("{{ messages|attr('__class__') }}", "SecurityError"),
    "memory": ("{{ 'A'*10**10 }}", "too much text"),
    "loop": ("{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
             "time limit"),
}


@pytest.fixture
def cli(cli, monkeypatch):
    """conftest's command line, on a vault made with a passphrase."""
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", "a long test passphrase")
    assert cli("init")[0] == 0
    return cli


def library_of(data_dir):
    from services import vault as vaults

    vault = vaults.open_vault(data_dir)
    try:
        with use_case(vault) as s:
            return [e.name for e in model_library.entries(settings_service.get_settings(
                session=s))]
    finally:
        vault.lock()


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_crafted_headers_are_refused_with_one_line(name, tmp_path, cli, data_dir):
    extra, line = HEADERS[name]
    path = tiny_gguf(tmp_path / f"{name}.gguf", extra)
    if line is None:  # a well-formed file with an ordinary array is accepted: the limits do
        code, out, err = cli("models", "add", path)     # not refuse everything
        assert code == 0 and "Added" in out and library_of(data_dir) == ["bundled", name]
        return
    with pytest.raises(InvalidInput, match=line):
        llm.inspect_model(path)
    code, out, err = cli("models", "add", path)
    assert code == 1 and out == "" and line in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert library_of(data_dir) == ["bundled"]


def test_arrays_nested_5000_deep_are_one_line(tmp_path, cli, data_dir):
    path = nested_arrays(tmp_path / "deep.gguf")
    with pytest.raises(InvalidInput, match="nested too deeply"):
        llm.inspect_model(path)
    code, out, err = cli("models", "add", path)
    assert code == 1 and err.count("\n") == 1 and len(err) < 200 and "Traceback" not in err


def test_oversized_counts_and_strings_are_refused(tmp_path):
    many = tmp_path / "many.gguf"
    many.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 10**12))
    with pytest.raises(InvalidInput, match="too many entries"):
        llm.inspect_model(many)
    long_key = tmp_path / "key.gguf"
    long_key.write_bytes(b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 10**9))
    with pytest.raises(InvalidInput, match="string is too long"):
        llm.inspect_model(long_key)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_crafted_templates_are_refused_at_add(name, tmp_path, cli, data_dir):
    template, kind = TEMPLATES[name]
    path = tiny_gguf(tmp_path / f"{name}.gguf",
                     [("tokenizer.chat_template", template, T.STRING)])
    with pytest.raises(TemplateRefused, match=kind):
        model_library.check_file(llm.Path(path))
    code, out, err = cli("models", "add", path)
    assert code == 1 and out == "" and kind in err and "refused" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert library_of(data_dir) == ["bundled"]


def test_the_looping_template_stops_at_the_time_limit():
    """It would run for hours; refused once the limit passed (the test ending is the proof)."""
    with pytest.raises(TemplateRefused, match=f"time limit \\({TIME_LIMIT:g} s\\)"):
        render(TEMPLATES["loop"][0], [{"role": "user", "content": "hi"}])


# --- at use: a template that passes the sample and fails on the journal -------------------------
HIDDEN = ("{% if 'Northwind' in messages[-1]['content'] %}"
          "{{ raise_exception('x ' ~ messages[1]['content'][:150]) }}{% endif %}")
HIDDEN_LOOP = ("{% if 'Northwind' in messages[-1]['content'] %}{% for i in range(99999) %}"
               "{% for j in range(99999) %}{% endfor %}{% endfor %}{% endif %}")


def test_a_template_failing_on_the_journal_is_one_line_and_never_logged(
        model_dir, tmp_path, vault, data_dir):
    from ui.errors import report, setup_logging

    path = with_chat_template(llm.bundled_path(model_dir), tmp_path / "hidden.gguf",
                              HIDDEN + GEMMA3_CHAT_TEMPLATE)
    with use_case(vault, write=True) as s:
        demo.load_sample(session=s)
        partner = journal.resolve_partner(session=s, name="Northwind Cloud")
        model_library.add_gguf(session=s, path=path, data_dir=data_dir, name="hidden")
        model_library.use(session=s, name="hidden")
        values = settings_service.get_settings(session=s)
    holder = model_holder.ModelHolder()
    angles = []
    try:
        with use_case(vault) as s, pytest.raises(ModelUnavailable) as caught:
            advisor.advise(session=s, request=advisor.AdviceRequest(partner_id=partner.id),
                           model_source=lambda: holder.for_settings(values, data_dir),
                           listener=advisor.AdviceListener(angles=angles.extend))
    finally:
        holder.close()
    line = str(caught.value)
    assert "raise_exception" in line and "Northwind" not in line and "\n" not in line
    assert caught.value.__cause__ is None
    assert angles
    setup_logging(data_dir)
    shown = []
    assert report(caught.value, None, shown.append) == line and shown == [line]
    text = logged()
    assert "Northwind" not in text and "Dana" not in text
    with use_case(vault) as s:
        assert advisor.list_advice(session=s, partner_id=partner.id) == []


def test_a_template_looping_on_the_journal_is_stopped_at_use():
    messages = [{"role": "system", "content": "advise"},
                {"role": "user", "content": "Partner: Northwind Cloud"}]
    assert render(HIDDEN_LOOP, [{"role": "user", "content": "hi"}]) == ""  # passes the sample
    with pytest.raises(TemplateRefused, match="time limit"):
        render(HIDDEN_LOOP, messages)


def test_an_unexpected_error_from_model_code_is_logged_by_type_and_frames_only(data_dir):
    """Should anything from a template or llama.cpp ever escape as an unexpected error, the log
    keeps its type and frames, never its message."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from ui.errors import log_unexpected, setup_logging

    template = ImmutableSandboxedEnvironment().from_string(
        "{{ raise_exception('Dana said: ' ~ messages[0]) }}")

    def raise_exception(text):
        raise ValueError(text)

    with pytest.raises(ValueError) as caught:
        template.render(messages=["the listing slipped again"], raise_exception=raise_exception)
    setup_logging(data_dir)
    details = log_unexpected(caught.value)
    text = logged()
    assert "ValueError" in details and "<template>" in details and "<template>" in text
    assert "listing slipped" not in text and "Dana" not in text


def logged() -> str:
    """Everything in the app's log files (the handler set up first in this process stays)."""
    import logging
    from logging.handlers import RotatingFileHandler
    from pathlib import Path

    files = [Path(h.baseFilename) for h in logging.getLogger("confidant").handlers
             if isinstance(h, RotatingFileHandler)]
    return "".join(f.read_text(encoding="utf-8") for f in files if f.exists())
