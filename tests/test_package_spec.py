"""The PyInstaller spec, run with stand-ins for PyInstaller's build steps: what it puts in the
packaged folder (issue 20, item 24: the speech model was missing, so voice did not work)."""

from __future__ import annotations

from pathlib import Path

import PyInstaller  # noqa: F401 - the dev extra installs it: this test never skips
import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "confidant.spec"


class Recorder:
    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.datas = list(kwargs.get("datas", []))  # Analysis: (dest, source, kind) entries
        self.pure = []
        self.scripts = self.binaries = []


def run_spec(tmp_path, monkeypatch, with_whisper=True):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    whisper = tmp_path / "whisper-base"
    whisper.mkdir()
    if with_whisper:
        for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
            (whisper / name).write_bytes(b"x")
    monkeypatch.setenv("CONFIDANT_MODEL", str(gguf))
    monkeypatch.setenv("CONFIDANT_WHISPER", str(whisper))
    made: dict = {}

    def step(name):
        def make(*args, **kwargs):
            made[name] = Recorder(*args, **kwargs)
            return made[name]
        return make

    scope = {"SPECPATH": str(SPEC.parent), "__file__": str(SPEC),
             **{n: step(n) for n in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}}
    exec(compile(SPEC.read_text(), str(SPEC), "exec"), scope)
    return made, whisper


def test_the_speech_model_and_the_vad_go_into_the_folder(tmp_path, monkeypatch):
    made, whisper = run_spec(tmp_path, monkeypatch)
    datas = made["Analysis"].kwargs["datas"]
    shipped = {Path(src).name for src, dest in datas if dest == "model/whisper-base"}
    assert shipped == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    # where services.voice.install_model looks in a packaged app
    assert all(Path(src).parent == whisper for src, dest in datas if dest == "model/whisper-base")
    # faster-whisper's VAD (vad_filter=True) reads its ONNX model from the package's assets
    assert any(src.endswith("silero_vad_v6.onnx") for src, dest in datas), "no VAD model"
    assert any(Path(src).name == "selftest_voice.wav" or dest == "resources"
               for src, dest in datas)


def test_a_build_without_the_speech_model_stops(tmp_path, monkeypatch):
    with pytest.raises(SystemExit, match="CONFIDANT_WHISPER"):
        run_spec(tmp_path, monkeypatch, with_whisper=False)


def test_what_the_app_never_loads_stays_out(tmp_path, monkeypatch):
    made, _ = run_spec(tmp_path, monkeypatch)
    excludes = made["Analysis"].kwargs["excludes"]
    assert {"hypothesis", "hf_xet", "pytest"} <= set(excludes)


def test_the_self_test_clip_is_small_and_short():
    clip = ROOT / "resources" / "selftest_voice.wav"
    assert clip.stat().st_size < 100_000
