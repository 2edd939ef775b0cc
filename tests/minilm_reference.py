"""A reference all-MiniLM-L6-v2 in numpy, for the tests only: BERT's WordPiece tokeniser from
tokenizer.json and the forward pass from the safetensors weights (embeddings, 6 post-norm
layers, exact GELU, mean pooling), in float32 as sentence-transformers runs it. Nothing here is
shared with the app's converter or llama.cpp."""

from __future__ import annotations

import json
import math
import struct
import unicodedata

import numpy as np

EPS = 1e-12
HEADS = 12
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    return (33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126
            or unicodedata.category(ch).startswith("P"))


def _is_cjk(cp: int) -> bool:
    return any(a <= cp <= b for a, b in ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF),
                                         (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
                                         (0x2B820, 0x2CEAF), (0xF900, 0xFAFF),
                                         (0x2F800, 0x2FA1F)))


class WordPiece:
    """HF's BertNormalizer (clean, CJK apart, lower case, accents off), BertPreTokenizer
    (whitespace, punctuation) and greedy longest-match WordPiece."""

    def __init__(self, tokenizer: dict):
        model = tokenizer["model"]
        self.vocab, self.unk = model["vocab"], model["vocab"][model["unk_token"]]
        self.cls, self.sep = self.vocab["[CLS]"], self.vocab["[SEP]"]
        self.max_chars = model.get("max_input_chars_per_word", 100)

    def normalise(self, text: str) -> str:
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch).startswith("C")
                                           and ch not in "\t\n\r"):
                continue
            if ch in "\t\n\r" or unicodedata.category(ch) == "Zs":
                out.append(" ")
            elif _is_cjk(cp):
                out.append(f" {ch} ")
            else:
                out.append(ch)
        text = unicodedata.normalize("NFD", "".join(out).lower())
        return "".join(c for c in text if unicodedata.category(c) != "Mn")

    def words(self, text: str) -> list[str]:
        words = []
        for chunk in self.normalise(text).split():
            current = ""
            for ch in chunk:
                if _is_punctuation(ch):
                    if current:
                        words.append(current)
                    words.append(ch)
                    current = ""
                else:
                    current += ch
            if current:
                words.append(current)
        return words

    def pieces(self, word: str) -> list[int]:
        if len(word) > self.max_chars:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    break
                end -= 1
            if end == start:
                return [self.unk]
            start = end
        return ids

    def encode(self, text: str, limit: int = 256) -> list[int]:
        ids = [i for w in self.words(text) for i in self.pieces(w)]
        return [self.cls, *ids[:limit - 2], self.sep]


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    out = {}
    for name, info in header.items():
        if name != "__metadata__" and info["dtype"] == "F32":
            begin, end = info["data_offsets"]
            out[name] = np.frombuffer(data[8 + size + begin:8 + size + end],
                                      dtype="<f4").reshape(info["shape"])
    return out


def _norm(x, w, b):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * w + b


class Reference:
    def __init__(self, safetensors: bytes, tokenizer: dict):
        self.w = read_safetensors(safetensors)
        self.tokenizer = WordPiece(tokenizer)
        self.layers = 1 + max(int(k.split(".")[2]) for k in self.w if k.startswith("encoder."))

    def _lin(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def embed(self, text: str) -> np.ndarray:
        w, ids = self.w, self.tokenizer.encode(text)
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][: len(ids)]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        n, width = x.shape
        d = width // HEADS
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q, k, v = (self._lin(x, p + f"attention.self.{m}").reshape(n, HEADS, d)
                       .transpose(1, 0, 2) for m in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, width)
            x = _norm(x + self._lin(context, p + "attention.output.dense"),
                      w[p + "attention.output.LayerNorm.weight"],
                      w[p + "attention.output.LayerNorm.bias"])
            h = self._lin(x, p + "intermediate.dense")
            h = (0.5 * h * (1.0 + _erf(h / math.sqrt(2.0)))).astype(np.float32)
            x = _norm(x + self._lin(h, p + "output.dense"), w[p + "output.LayerNorm.weight"],
                      w[p + "output.LayerNorm.bias"])
        pooled = x.mean(0)
        return (pooled / np.linalg.norm(pooled)).astype(np.float32)
