"""Voice benchmark (issue 15): the Whisper base model (CTranslate2, int8) on this machine.

Targets: real-time factor (seconds to transcribe / seconds of sound) <= 0.5 on a 60 s memo
with 2 threads; model load time; peak RSS. The memo is espeak-ng reading the sample journal's
kind of sentences, held in memory. Run: `.venv/bin/python bench/voice_bench.py`.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT, env_note, peak_rss_mb

from services import voice
from services.voice import audio

sys.path.insert(0, str(ROOT))
from tests.voice_support import wer  # noqa: E402

THREADS = 2
ROUNDS = 3
SECONDS = 60
TEXT = ("Today I met Dana Whitfield and Marcus Oyelaran from Northwind. Marcus promised the "
        "marketplace listing by the end of June, and Dana asked for one named owner per pillar. "
        "Priya Raman still wants proof, not slides, before the steering committee. Tom Becker "
        "thinks partner deals distract his reps; Lena Fischer will talk to his regional "
        "directors. We owe them the metering API and a private offer by the next review. ")
WORDS = ["Northwind Cloud", "Dana Whitfield", "Marcus Oyelaran", "Priya Raman", "Tom Becker",
         "Lena Fischer"]


def memo() -> tuple[audio.Clip, str]:
    """About SECONDS of speech, made in memory (espeak-ng's WAV on stdout)."""
    espeak = shutil.which("espeak-ng")
    if not espeak:
        sys.exit("voice_bench needs espeak-ng (Debian: apt-get install espeak-ng)")
    wav = subprocess.run([espeak, "-v", "en-us", "-s", "150", "--stdout", TEXT],
                         check=True, capture_output=True).stdout
    once = audio.decode_bytes(wav).samples
    times = max(1, round(SECONDS * audio.RATE / len(once)))   # whole readings, about SECONDS
    return audio.checked(np.concatenate([once] * times), "file", "memo"), TEXT * times

def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="confidant-voice-bench-"))
    clip, said = memo()
    t = time.perf_counter()
    folder = voice.install_model(data_dir)
    install = time.perf_counter() - t
    t = time.perf_counter()
    model = voice.load_model(folder, THREADS)
    load = time.perf_counter() - t
    print(f"Whisper base (int8), {THREADS} threads: assemble and check {install:.1f} s (first "
          f"time only), load {load:.2f} s — {env_note()}")
    factors, cpu = [], []
    for _ in range(ROUNDS):
        c0 = time.process_time()
        result = voice.transcribe(clip, model=model, words=WORDS, language="en")
        cpu.append((time.process_time() - c0) / clip.seconds)
        factors.append(result.real_time_factor)
    error = wer(said, result.text)
    print(f"{clip.seconds:.0f} s memo: real-time factor {statistics.median(factors):.2f} "
          f"(median of {ROUNDS}; min {min(factors):.2f}, max {max(factors):.2f}; CPU time / "
          f"sound {statistics.median(cpu):.2f}), WER {error:.0%}")
    print(f"peak RSS {peak_rss_mb():.0f} MB")
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
