"""Read a GGUF file's header without llama.cpp: what the model is, and whether the file is whole.

Enough of the format (v2/v3) to list metadata and tensor infos, count parameters, and check that
the file is as long as its tensors say. A file that is not GGUF or is cut short is refused here,
before llama.cpp sees it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

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
MAX_TENSORS = 1_000_000
MAX_DIMS = 8
MAX_ARRAY = 16 * 1024 * 1024
MAX_DEPTH = 3                    # an array of arrays of scalars at most
# Weight types llama.cpp's CPU backend repacks into a second, interleaved copy at load time
# (Q4_0, Q4_K, IQ4_NL): that copy lives beside the mapped file, so a Q4 model's peak RSS is
# about 1.6x the file. Embeddings are only looked up (get_rows) and stay in the mapping.
REPACKED_TYPES = {2, 12, 20}


class _Truncated(Exception):
    pass


class _Reader:
    def __init__(self, fh):
        self.fh = fh

    def take(self, n: int) -> bytes:
        data = self.fh.read(n)
        if len(data) != n:
            raise _Truncated
        return data

    def scalar(self, fmt: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self, limit: int = MAX_STRING) -> str:
        n = self.scalar("Q")
        if n > limit:
            raise _Refused("a string is too long")
        return self.take(n).decode("utf-8", errors="replace")

    def value(self, kind: int, keep: bool = True, depth: int = 0):
        if kind in _SCALARS:
            return self.scalar(_SCALARS[kind])
        if kind == STRING:
            return self.string()
        if kind == ARRAY:
            if depth >= MAX_DEPTH:
                raise _Refused("arrays are nested too deeply")
            item, count = self.scalar("I"), self.scalar("Q")
            if count > MAX_ARRAY:
                raise _Refused("an array is too long")
            if item in _SCALARS and not keep:  # large arrays (vocabularies): skip the bytes
                self.fh.seek(struct.calcsize(_SCALARS[item]) * count, 1)
                return count
            values = [self.value(item, keep, depth + 1) for _ in range(count)]
            return values if keep else count
        raise _Refused(f"unknown value type {kind}")


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
    try:
        found = path.is_file()
    except (ValueError, OSError):    # a NUL byte in the name, a name too long
        found = False
    if not found:
        raise InvalidInput(f"No model file at {path}.")
    size = path.stat().st_size
    try:
        with open(path, "rb") as fh:
            r = _Reader(fh)
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
