"""Read a GGUF file's header without llama.cpp: what the model is, and whether the file is whole.

Enough of the format (v2/v3) to list metadata and tensor infos, count parameters, and check that
the file is as long as its tensors say. A file that is not GGUF or is cut short is refused here,
before llama.cpp sees it.

The header is untrusted input, read within a budget: bytes of header, array elements, strings
(and arrays inside arrays) stepped over one at a time, bytes of text kept. Only what the facts
need is kept: scalars, strings and short arrays of numbers (one value a layer); a vocabulary or
any other long array is stepped over with a seek (its strings by their lengths, read in chunks),
never parsed element by element into a list. A count the file or the budget cannot hold is
refused when it is read, before anything is skipped.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from services import files
from services.errors import InvalidInput

MAGIC = b"GGUF"
# GGUF value types -> struct format (None: string / array, handled apart)
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q",
            12: "d"}
STRING, ARRAY = 8, 9
# ggml tensor types: (elements per block, bytes per block)
GGML_TYPES = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24),
              8: (32, 34), 9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144),
              13: (256, 176), 14: (256, 210), 15: (256, 292), 16: (256, 66), 17: (256, 74),
              18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
              23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
              29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17)}
FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
              10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
              16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
              22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
              28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16"}
# Limits on what a header may hold (a model file is untrusted input): generous for real models
# (a 262k-token vocabulary, a 20 KB chat template), small enough that a crafted file is refused
# quickly and without a deep recursion or a huge allocation.
MAX_STRING = 16 * 1024 * 1024
MAX_KEY = 1024
MAX_KV = 65_536
MAX_TENSORS = 65_536             # the largest MoE files hold a few thousand
MAX_DIMS = 8
MAX_ARRAY = 16 * 1024 * 1024
MAX_DEPTH = 3                    # an array of arrays of scalars at most
MAX_HEADER = 128 * 1024 * 1024   # bytes from the start of the file to the end of the tensor infos
MAX_ELEMENTS = 8 * 1024 * 1024   # array elements in all (Gemma 3's vocabulary: 3 x 262,144)
MAX_ITEMS = 2 * 1024 * 1024      # strings in arrays, in all (a vocabulary and its merges)
MAX_NESTED = 65_536              # arrays inside arrays, in all (no real model has one)
MAX_TEXT = 16 * 1024 * 1024      # bytes of keys and strings kept (names, chat templates)
MAX_KEPT_ARRAY = 4096            # a longer array is stepped over, not kept
_CHUNK = 1 << 20
_U64 = struct.Struct("<Q")
# Weight types llama.cpp's CPU backend repacks into a second, interleaved copy at load time
# (Q4_0, Q4_K, IQ4_NL): that copy lives beside the mapped file, so a Q4 model's peak RSS is
# about 1.6x the file. Embeddings are only looked up (get_rows) and stay in the mapping.
REPACKED_TYPES = {2, 12, 20}


class _Truncated(Exception):
    pass


class _Skipped:
    """An array stepped over, not kept (where a whole number belongs, it is refused)."""

    def __init__(self, count: int):
        self.count = count


class _Reader:
    """A GGUF header read from `fh` within the budget (see the module's docstring)."""

    def __init__(self, fh, size: int | None = None):
        self.fh = fh
        self.size = os.fstat(fh.fileno()).st_size if size is None else size
        self.elements = self.items = self.nested = self.text = 0

    def take(self, n: int) -> bytes:
        data = self.fh.read(n)
        if len(data) != n:
            raise _Truncated
        return data

    def scalar(self, fmt: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def room(self, n: int) -> None:
        """Refuse, before reading or skipping them, n bytes the file or the budget lacks."""
        end = self.fh.tell() + n
        if end > self.size:
            raise _Truncated
        if end > MAX_HEADER:
            raise _Refused("its header is too large")

    def skip(self, n: int) -> None:
        self.room(n)
        self.fh.seek(n, 1)

    def count(self, what: str, n: int, limit: int, reason: str) -> None:
        total = getattr(self, what) + n
        if total > limit:
            raise _Refused(reason)
        setattr(self, what, total)

    def string(self, limit: int = MAX_STRING) -> str:
        n = self.scalar("Q")
        if n > limit:
            raise _Refused("a string is too long")
        self.room(n)
        self.count("text", n, MAX_TEXT, "its text is too long")
        return self.take(n).decode("utf-8", errors="replace")

    def skip_strings(self, count: int) -> None:
        """Step over `count` strings by their lengths, the file read in chunks: none is
        decoded or kept (a 262k-token vocabulary takes milliseconds)."""
        self.count("items", count, MAX_ITEMS, "its arrays hold too many strings")
        self.room(8 * count)
        fh, buf, pos = self.fh, b"", 0
        for _ in range(count):
            if pos + 8 > len(buf):
                buf, pos = buf[pos:] + fh.read(_CHUNK), 0
                self.room(0)
                if len(buf) < 8:
                    raise _Truncated
            n = _U64.unpack_from(buf, pos)[0]
            if n > MAX_STRING:
                raise _Refused("a string is too long")
            pos += 8 + n
            if pos > len(buf):              # it ends past the chunk: seek there
                self.skip(pos - len(buf))
                buf, pos = b"", 0
        fh.seek(pos - len(buf), 1)          # give back what was read past the last one

    def value(self, kind: int, keep: bool = True, depth: int = 0):
        """A scalar or a string as it is; an array as a list if it is short and of numbers
        and `keep`, else stepped over (_Skipped)."""
        if kind in _SCALARS:
            return self.scalar(_SCALARS[kind])
        if kind == STRING:
            return self.string()
        if kind != ARRAY:
            raise _Refused(f"unknown value type {kind}")
        if depth >= MAX_DEPTH:
            raise _Refused("arrays are nested too deeply")
        item, count = self.scalar("I"), self.scalar("Q")
        if count > MAX_ARRAY:
            raise _Refused("an array is too long")
        self.count("elements", count, MAX_ELEMENTS, "its arrays hold too many elements")
        if item in _SCALARS:
            fmt = f"<{count}{_SCALARS[item]}"
            if keep and count <= MAX_KEPT_ARRAY:
                self.room(struct.calcsize(fmt))
                return list(struct.unpack(fmt, self.take(struct.calcsize(fmt))))
            self.skip(struct.calcsize(_SCALARS[item]) * count)
        elif item == STRING:
            self.skip_strings(count)
        elif item == ARRAY:
            self.count("nested", count, MAX_NESTED, "it holds too many arrays in arrays")
            self.room(12 * count)
            for _ in range(count):
                self.value(ARRAY, False, depth + 1)
        else:
            raise _Refused(f"unknown value type {item}")
        return _Skipped(count)


class _Refused(Exception):
    """The header breaks a limit or holds a value of the wrong kind: str() says which."""


def _whole(meta: dict, key: str, default: int, low: int = 0, high: int = 2**40,
           per_layer: bool = False) -> int:
    """A metadata number, checked: an array, a string or a float where a whole number belongs,
    or a value out of range, is refused (per_layer: a list of them, one a layer, gives the
    largest)."""
    value = meta.get(key, default)
    if per_layer and isinstance(value, list) and value \
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        value = max(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refused(f"{key[:80]} is not a whole number")
    if not low <= value <= high:
        raise _Refused(f"{key[:80]} is out of range")
    return value


@dataclass
class ModelFacts:
    path: Path
    name: str
    architecture: str
    parameters: int
    quantization: str
    context_length: int
    file_size: int
    has_chat_template: bool
    chat_template: str | None
    layers: int
    embedding: int
    kv_heads: int
    heads: int
    head_dim: int = 0
    repacked_bytes: int = 0      # weights llama.cpp copies into its repacked CPU buffer

    @property
    def parameter_label(self) -> str:
        p = self.parameters
        return f"{p / 1e9:.1f} B" if p >= 1e9 else f"{p / 1e6:.0f} M"

    def ram_estimate(self, n_ctx: int) -> int:
        """File (weights, memory-mapped) + the repacked copy of Q4 weights + f16 KV cache for
        n_ctx + compute buffers."""
        head_dim = self.head_dim or self.embedding // max(self.heads, 1)
        kv = 2 * self.layers * n_ctx * max(self.kv_heads, 1) * head_dim * 2
        return self.file_size + self.repacked_bytes + kv + 64 * 1024 * 1024


def read_facts(path: Path) -> ModelFacts:
    path = Path(path)
    with files.open_input(path, missing=f"No model file at {path}.") as fh:
        return _read(path, fh)


def _read(path: Path, fh) -> ModelFacts:
    size = os.fstat(fh.fileno()).st_size
    try:
        r = _Reader(fh, size)
        if fh.read(4) != MAGIC:
            raise InvalidInput(f"{path.name} is not a GGUF model file.")
        version = r.scalar("I")
        if version not in (2, 3):
            raise InvalidInput(f"{path.name} uses GGUF version {version}, which is not "
                               "supported.")
        n_tensors, n_kv = r.scalar("Q"), r.scalar("Q")
        if n_kv > MAX_KV or n_tensors > MAX_TENSORS:
            raise _Refused("it counts too many entries")
        meta = {}
        for _ in range(n_kv):
            key = r.string(MAX_KEY)
            kind = r.scalar("I")
            meta[key] = r.value(kind, keep=not key.startswith("tokenizer.ggml."))
        alignment = _whole(meta, "general.alignment", 32, 1, 1 << 20)
        if alignment & (alignment - 1):
            raise _Refused("general.alignment is not a power of two")
        params, data_end, repacked = 0, 0, 0
        for _ in range(n_tensors):
            tensor_name = r.string(MAX_KEY)
            n_dims = r.scalar("I")
            if n_dims > MAX_DIMS:
                raise _Refused("a tensor has too many dimensions")
            dims = [r.scalar("Q") for _ in range(n_dims)]
            ggml_type, offset = r.scalar("I"), r.scalar("Q")
            count = 1
            for d in dims:
                count *= d
            params += count
            block, nbytes = GGML_TYPES.get(ggml_type, (1, 0))
            data_end = max(data_end, offset + count // block * nbytes)
            if ggml_type in REPACKED_TYPES and len(dims) >= 2 \
                    and not tensor_name.startswith("token_embd"):
                repacked += count // block * nbytes
        data_start = fh.tell() + (-fh.tell() % alignment)
        return _facts(path, meta, size, params, data_start + data_end, repacked)
    except _Truncated:
        raise InvalidInput(f"{path.name} is truncated: its header ends early.") from None
    except _Refused as err:
        raise InvalidInput(f"{path.name} is refused: {err}.") from None
    except InvalidInput:
        raise
    except Exception as err:  # noqa: BLE001 - an untrusted file: one line, never a traceback
        raise InvalidInput(f"{path.name} is not a readable GGUF file "
                           f"({type(err).__name__}).") from None


def _facts(path: Path, meta: dict, size: int, params: int, end: int,
           repacked: int) -> ModelFacts:
    if end > size:
        raise InvalidInput(f"{path.name} is truncated: {size:,} bytes of {end:,}.")
    arch = meta.get("general.architecture", "unknown")
    name = meta.get("general.name", path.stem)
    template = meta.get("tokenizer.chat_template")
    if not isinstance(arch, str) or not isinstance(name, str):
        raise _Refused("its name or architecture is not text")
    if template is not None and not isinstance(template, str):
        raise _Refused("its chat template is not text")
    file_type = _whole(meta, "general.file_type", -1, -1, 1 << 16)
    heads = _whole(meta, f"{arch}.attention.head_count", 1, 0, 1 << 16, per_layer=True)
    return ModelFacts(
        path=path, name=name[:200], architecture=arch[:80], parameters=params,
        quantization=FILE_TYPES.get(file_type, "unknown"),
        context_length=_whole(meta, f"{arch}.context_length", 0, 0, 1 << 24), file_size=size,
        has_chat_template=bool(template), chat_template=template,
        layers=_whole(meta, f"{arch}.block_count", 0, 0, 1 << 16),
        embedding=_whole(meta, f"{arch}.embedding_length", 0, 0, 1 << 20),
        kv_heads=_whole(meta, f"{arch}.attention.head_count_kv", heads, 0, 1 << 16,
                        per_layer=True),
        heads=heads, head_dim=_whole(meta, f"{arch}.attention.key_length", 0, 0, 1 << 16),
        repacked_bytes=repacked)
