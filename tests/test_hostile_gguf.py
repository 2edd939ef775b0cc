"""A GGUF header is untrusted input (issue 18, item 16): its reader has a budget (bytes of
header, array elements, strings stepped over, text kept) and refuses a count the budget or the
file cannot hold when it reads it, before anything is skipped. Each crafted file here took
seconds to minutes, or a gigabyte, to refuse; the files are sparse (their zeros are valid
empty arrays, empty strings and empty tensor infos), so they cost no disk. The bundled model
is still read, with less memory than before."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from services.advice import gguf, llm
from services.errors import InvalidInput
from tests.helpers import measured as measured_call

ARRAY, STRING, UINT8 = 9, 8, 0
PEAK_LIMIT = 64 * 1024 * 1024


def text(value: str) -> bytes:
    data = value.encode()
    return struct.pack("<Q", len(data)) + data


def crafted(path: Path, head: bytes, body: int, n_tensors: int = 0, n_kv: int = 1) -> str:
    """`head` after the file header and the architecture, then `body` zero bytes (sparse)."""
    with open(path, "wb") as fh:
        fh.write(b"GGUF" + struct.pack("<IQQ", 3, n_tensors, n_kv + 1)
                 + text("general.architecture") + struct.pack("<I", STRING) + text("llama")
                 + head)
        fh.truncate(fh.tell() + body)
    return str(path)


def array(key: str, item: int, count: int) -> bytes:
    return text(key) + struct.pack("<IIQ", ARRAY, item, count)


def long_strings(path: Path, keys: int = 64, size: int = 16 * 2**20) -> str:
    """`keys` keys, each a string of `size` zero bytes (the most one string may hold)."""
    with open(path, "wb") as fh:
        fh.write(b"GGUF" + struct.pack("<IQQ", 3, 0, keys))
        for i in range(keys):
            fh.write(text(f"general.s{i}") + struct.pack("<IQ", STRING, size))
            fh.seek(size, 1)
        fh.truncate(fh.tell())
    return str(path)


M = 1024 * 1024
# name -> (file maker, what the refusal says); the figure is what the old reader took
HOSTILE = {
    "16M empty arrays": (lambda p: crafted(p, array("general.x", ARRAY, 16 * M), 12 * 16 * M),
                         "too many elements"),                         # 26 s, 1.1 GB
    "16M uint8 kept": (lambda p: crafted(p, array("general.x", UINT8, 16 * M), 16 * M),
                       "too many elements"),                           # 8.2 s, 122 MB
    "8M strings kept": (lambda p: crafted(p, array("general.x", STRING, 8 * M), 8 * 8 * M),
                        "too many strings"),                           # 5.9 s
    "8M vocabulary strings": (
        lambda p: crafted(p, array("tokenizer.ggml.tokens", STRING, 8 * M), 8 * 8 * M),
        "too many strings"),                                           # 5.5 s
    "1M tensor infos": (lambda p: crafted(p, b"", 24 * 10**6 + 64, n_tensors=10**6, n_kv=0),
                        "too many entries"),                           # 2.0 s
    "64 strings of 16 MB": (long_strings, "text is too long"),         # 1.0 GB
}


def measured(path: str):
    return measured_call(lambda: gguf.read_facts(Path(path)), InvalidInput)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_huge_header_is_refused_at_once_from_its_counts(name, tmp_path):
    make, says = HOSTILE[name]
    path = make(tmp_path / "crafted.gguf")
    outcome, took, peak = measured(path)
    assert isinstance(outcome, InvalidInput), outcome
    line = str(outcome)
    assert says in line and "refused" in line and "\n" not in line
    assert took < 1.0, f"{took:.1f} s"
    assert peak < PEAK_LIMIT, f"{peak / 2**20:.0f} MB"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.timeout(10)
def test_a_fifo_swapped_in_after_any_check_is_refused_not_waited_on(tmp_path, monkeypatch):
    """The file is checked on the descriptor it is read from: a FIFO put in place after a
    path check (here: a check that said 'a file') would block the read forever."""
    fifo = tmp_path / "model.gguf"
    os.mkfifo(fifo)
    monkeypatch.setattr(Path, "is_file", lambda self: True)
    with pytest.raises(InvalidInput, match="model.gguf is not a regular file"):
        gguf.read_facts(fifo)


@pytest.mark.timeout(10)
def test_a_folder_is_not_a_model_file(tmp_path):
    folder = tmp_path / "folder.gguf"
    folder.mkdir()
    with pytest.raises(InvalidInput, match="folder.gguf is a folder"):
        gguf.read_facts(folder)


@pytest.mark.timeout(60)
def test_the_bundled_model_is_read_as_before_in_a_few_megabytes(model_dir):
    """The vocabulary (262,144 tokens) is stepped over by its lengths, not decoded: the old
    reader peaked at 22 MB here."""
    facts, took, peak = measured(llm.bundled_path(model_dir))
    assert (facts.name, facts.architecture, facts.parameters) == \
        ("Gemma 3 270m", "gemma3", 268_098_176)
    assert (facts.layers, facts.context_length, facts.has_chat_template) == (18, 32768, False)
    assert (facts.quantization, facts.heads, facts.kv_heads, facts.repacked_bytes) == \
        ("Q4_K_M", 4, 1, 13_271_040)
    assert peak < 8 * 1024 * 1024, f"{peak / 2**20:.0f} MB"
