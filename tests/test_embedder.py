"""The meaning model (issue 22, part A): all-MiniLM-L6-v2 from its pinned registry package,
converted by our torch-free converter, run by llama.cpp. Checked against sentence-transformers'
published similarities and against a numpy forward pass of the original weights."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from services import files
from services.errors import ModelUnavailable
from services.memory import embedder as emb
from tests.minilm_reference import Reference

QUICKSTART = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
# sentence-transformers' quickstart (docs/index.rst): model.similarity(embeddings, embeddings)
PUBLISHED = {(0, 1): 0.6660, (0, 2): 0.1046, (1, 2): 0.1411}

SENTENCES = QUICKSTART + [
    "Dana promised the revised term sheet by Friday, but it never arrived.",
    "Northwind's CFO (Marcus Lee) blocked the pilot budget — again.",
    "We agreed on a joint go-to-market plan for Q3 2026.",
    "Café meeting with Zoë Müller at the Hôtel de Ville; she seemed guarded.",
    "The integration is 40% done; 3 APIs remain.",
    "Trust fell after the missed deadline.",
    "an informal one-to-one might help rebuild intimacy",
    "会议在东京举行。",
    "email follow-up: send the NDA draft + pricing deck",
    "I worry that I over-promised on the SLA.",
    "Their champion left the company last month.",
    "Quarterly business review: revenue up 12%, churn flat.",
    'He said "we\'ll see" — not a yes.',
    "Escalate to the VP if no answer by 2026-11-22.",
    "Self-orientation was high: I talked about our roadmap the whole time.",
    "Workshop went well; the engineers loved the demo!!!",
    "Nothing new.",
]


@pytest.fixture(scope="session")
def model_path(tmp_path_factory) -> Path:
    """Converted once per worker, in a data dir of its own."""
    return emb.install_model(tmp_path_factory.mktemp("memory-data"))


@pytest.fixture(scope="session")
def embedder(model_path):
    model = emb.Embedder(model_path)
    yield model
    model.close()


@pytest.fixture(scope="session")
def reference() -> Reference:
    parts = emb.read_checked()
    return Reference(parts["model.safetensors"], json.loads(parts["tokenizer.json"]))


def _package_with(tmp_path: Path, **changes: bytes) -> Path:
    """A copy of the package's model.zip with some members replaced."""
    folder = tmp_path / "package"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(emb.package_dir() / "model.zip") as src, \
            zipfile.ZipFile(folder / "model.zip", "w") as out:
        for name in ("config.json", "tokenizer.json", "model.safetensors"):
            out.writestr(name, changes.get(name, src.read(name)))
    return folder


# --- what it computes --------------------------------------------------------------------------
def test_the_quickstart_similarities_are_reproduced(embedder):
    vectors = embedder.embed(QUICKSTART)
    similarity = vectors @ vectors.T
    for (i, j), published in PUBLISHED.items():
        assert similarity[i, j] == pytest.approx(published, abs=0.005), (i, j)
    assert np.allclose(np.diag(similarity), 1.0, atol=1e-5)


def test_it_agrees_with_a_numpy_forward_pass_of_the_original_weights(embedder, reference):
    for text in SENTENCES:  # llama.cpp's WordPiece and HF's, token for token
        assert embedder.tokens(text) == reference.tokenizer.encode(text), text
    got = embedder.embed(SENTENCES)
    want = np.stack([reference.embed(text) for text in SENTENCES])
    cosine = (got * want).sum(axis=1)
    assert cosine.min() >= 0.9999, dict(zip(SENTENCES, cosine.round(6), strict=True))


def test_embeddings_are_unit_float32_rows_of_384(embedder):
    vectors = embedder.embed(["one", "two words", ""])
    assert vectors.dtype == np.float32 and vectors.shape == (3, emb.DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.dimensions == 384 and embedder.model_id == "minilm-l6-v2-f16"
    assert embedder.embed([]).shape == (0, 384)
    with pytest.raises(TypeError):
        embedder.embed("a string, not a list")
    # the same text alone or among others: one call per text, nothing carried over
    alone = embedder.embed(["two words"])[0]
    assert np.allclose(alone, vectors[1], atol=1e-6)


def test_long_text_is_truncated_to_256_tokens_keeping_sep(embedder, reference):
    text = " ".join(f"partner{i % 7} review budget" for i in range(200))
    assert embedder.count_tokens(text) > 256
    assert embedder.count_tokens("It's so sunny outside!") == 9   # [CLS] 7 pieces [SEP]
    got = embedder.embed([text])[0]
    assert float(got @ reference.embed(text)) >= 0.9999  # the reference keeps 254 + 2
    shorter = embedder.embed([" ".join(text.split()[:60])])[0]
    assert float(got @ shorter) < 0.9999                   # more than the start was read


# --- files and checks --------------------------------------------------------------------------
def test_files_written_are_private_and_recorded(model_path):
    folder = model_path.parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    record = folder / (emb.GGUF_NAME + emb.RECORD_SUFFIX)
    for path in (model_path, record):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
    assert record.read_text() == f"{digest}  {emb.GGUF_NAME}\n"
    assert sorted(p.name for p in folder.iterdir()) == sorted([model_path.name, record.name])


def test_a_changed_gguf_is_never_loaded_but_rebuilt_from_the_package(model_path, tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    record = model_path.parent / (emb.GGUF_NAME + emb.RECORD_SUFFIX)
    shutil.copy(record, folder / record.name)
    data = bytearray(model_path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / emb.GGUF_NAME).write_bytes(bytes(data))
    # with no package to rebuild it from, the changed file is refused, not loaded
    empty = tmp_path / "no-package"
    empty.mkdir()
    with pytest.raises(ModelUnavailable) as refused:
        emb.install_model(tmp_path, package=empty)
    assert str(refused.value) == emb.NOT_INSTALLED
    # with the package, it is rebuilt: the same bytes as the first conversion
    rebuilt = emb.install_model(tmp_path)
    assert rebuilt.read_bytes() == model_path.read_bytes()
    assert stat.S_IMODE(rebuilt.stat().st_mode) == 0o600


def test_an_intact_gguf_is_not_converted_again(model_path):
    before = model_path.stat().st_mtime_ns
    assert emb.install_model(model_path.parent.parent, package=Path("/nonexistent")) == model_path
    assert model_path.stat().st_mtime_ns == before


@pytest.mark.parametrize("member", ["config.json", "tokenizer.json"])
def test_a_changed_package_file_is_refused_by_its_hash(tmp_path, member):
    with zipfile.ZipFile(emb.package_dir() / "model.zip") as zf:
        original = zf.read(member)
    changed = original.replace(b"384", b"385", 1) if member == "config.json" else \
        original.replace(b'"[UNK]"', b'"[UNKNOWN]"', 1)
    assert changed != original
    package = _package_with(tmp_path, **{member: changed})
    data = tmp_path / "data"
    with pytest.raises(ModelUnavailable) as refused:
        emb.load_embedder(data, package=package)
    assert str(refused.value) == (f"The meaning model's {member} was changed since it was "
                                  "checked (its SHA-256 differs): search uses words only.")
    assert not (data / "models" / emb.GGUF_NAME).exists()
    # the same copy, unchanged, is accepted: the refusal was the hash
    assert emb.read_checked(_package_with(tmp_path / "again")).keys() == emb.PINNED.keys()


def test_a_missing_package_is_one_line(tmp_path):
    empty = tmp_path / "site-packages"
    empty.mkdir()
    with pytest.raises(ModelUnavailable) as missing:
        emb.load_embedder(tmp_path / "data", package=empty)
    assert str(missing.value) == "The meaning model is not installed: search uses words only."
    assert not (tmp_path / "data" / "models" / emb.GGUF_NAME).exists()


def test_a_data_dir_that_cannot_hold_it_is_one_line(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(ModelUnavailable, match="cannot be set up in") as failed:
        emb.install_model(not_a_folder)
    assert "\n" not in str(failed.value)


def test_copy_checked_says_whether_the_bytes_are_the_pinned_ones(tmp_path):
    (tmp_path / "a").write_bytes(b"hello ")
    (tmp_path / "b").write_bytes(b"world")
    good = hashlib.sha256(b"hello world").hexdigest()
    with open(tmp_path / "out", "wb", opener=files.private_opener) as out:
        assert files.copy_checked([tmp_path / "a", lambda: open(tmp_path / "b", "rb")], out,
                                  good)
    assert (tmp_path / "out").read_bytes() == b"hello world"
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o600
    with open(tmp_path / "out2", "wb") as out:
        assert not files.copy_checked([tmp_path / "b"], out, good)


# --- offline, light ----------------------------------------------------------------------------
def test_conversion_and_embedding_open_no_socket(no_sockets, tmp_path):
    model = emb.load_embedder(tmp_path)
    try:
        assert model.embed(["offline"]).shape == (1, 384)
    finally:
        model.close()
    assert no_sockets == []


def test_neither_torch_nor_the_package_nor_qt_is_imported(tmp_path):
    code = ("import sys; from pathlib import Path; from services.memory import embedder as e;"
            f"m = e.load_embedder(Path({str(tmp_path)!r})); m.embed(['x']); m.close();"
            "bad = [n for n in ('torch', 'all_minilm_l6_v2', 'PySide6', 'transformers',"
            " 'sentence_transformers') if n in sys.modules]; print(bad)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).parent.parent, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert run.returncode == 0, run.stderr
    assert run.stdout == "[]\n"   # nothing else on stdout: the package (it prints) not imported
    assert "llama" not in run.stderr.lower()   # llama.cpp's notices are silenced


def test_the_holder_shares_one_model_and_remembers_why_not(model_path, tmp_path):
    holder = emb.EmbedderHolder()
    data_dir = model_path.parent.parent
    first = holder.get(data_dir)
    assert holder.get(data_dir) is first and holder.error is None
    empty = tmp_path / "none"
    empty.mkdir()
    with pytest.raises(ModelUnavailable):
        holder.get(tmp_path / "other", package=empty)
    assert holder.error == emb.NOT_INSTALLED and holder.embedder is None
    assert first.llm is None   # the one it held was closed, not leaked
    with pytest.raises(ModelUnavailable, match="closed"):
        first.embed(["after close"])
    holder.close()


def test_a_fifo_in_place_of_the_model_is_replaced_not_waited_on(model_path, tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    record = model_path.parent / (emb.GGUF_NAME + emb.RECORD_SUFFIX)
    shutil.copy(record, folder / record.name)
    os.mkfifo(folder / emb.GGUF_NAME)
    rebuilt = emb.install_model(tmp_path)
    assert rebuilt.is_file() and rebuilt.read_bytes() == model_path.read_bytes()
