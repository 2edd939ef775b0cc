"""Sound in memory: a file decoded with PyAV, or the microphone recorded with sounddevice, as
16 kHz mono samples. Nothing here writes a file: a recording never exists as a plain WAV on disk,
and the copy a user keeps is FLAC bytes that go into the encrypted journal.

Refused with one line each (typed errors): not audio, cut short, silent, longer than
MAX_SECONDS, no microphone, a microphone the system blocks.
"""

from __future__ import annotations

import io
import os
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services import files
from services.errors import InvalidInput

RATE = 16_000                 # what Whisper hears
MAX_SECONDS = 30 * 60         # a memo after a meeting; 2 h would take the base model ~1 h on 2 cores
MIN_SECONDS = 0.3
SILENCE_RMS = 1e-4            # below this (full scale 1.0) nothing was said
FILE_LIMIT = 2 * 2**30        # bytes; a longer sound is refused from its header before this anyway
FORMATS = "wav, m4a, mp3, ogg"


class MicrophoneUnavailable(InvalidInput):
    """No microphone, no audio library, or the system refused access."""


@dataclass(frozen=True)
class Clip:
    samples: np.ndarray        # float32, mono, RATE Hz, in [-1, 1]
    source: str                # "microphone" or "file"

    @property
    def seconds(self) -> float:
        return len(self.samples) / RATE


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def checked(samples: np.ndarray, source: str, what: str) -> Clip:
    """A clip that can be transcribed: long enough, not too long, not silent."""
    samples = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
    seconds = len(samples) / RATE
    if seconds > MAX_SECONDS:
        raise InvalidInput(f"{what} is {_minutes(seconds)} long; Confidant transcribes at most "
                           f"{_minutes(MAX_SECONDS)} at a time. Nothing was transcribed.")
    if seconds < MIN_SECONDS:
        raise InvalidInput(f"{what} holds no sound to transcribe ({seconds:.1f} s).")
    if not np.isfinite(samples).all() or float(np.sqrt(np.mean(samples ** 2))) < SILENCE_RMS:
        raise InvalidInput(f"{what} is silent: nothing to transcribe.")
    return Clip(samples=samples, source=source)


# --- files -------------------------------------------------------------------------------------
def _wav_shortfall(path: Path) -> tuple[float, float] | None:
    """For a WAV whose header promises more sound than the file holds: (promised, held) s."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, rate_bytes = 12, 0
    while pos + 8 <= len(head):
        tag, length = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        if tag == b"fmt " and pos + 16 <= len(head):
            rate_bytes = struct.unpack("<I", head[pos + 16:pos + 20])[0]
        if tag == b"data":
            held = size - (pos + 8)
            if rate_bytes and length not in (0, 0xFFFFFFFF) and held < length * 0.98:
                return length / rate_bytes, max(0, held) / rate_bytes
            return None
        pos += 8 + length + (length & 1)
    return None


def decode_file(path: str | os.PathLike) -> Clip:
    """A sound file (wav, m4a, mp3, ogg, or a video's sound track) as a checked clip."""
    path = Path(path)
    name = path.name
    size = files.check_input(path)  # a pipe would block, a folder is no sound
    if size > FILE_LIMIT:
        raise InvalidInput(f"{name} is {size / 2**30:.1f} GB; Confidant transcribes at most "
                           f"{_minutes(MAX_SECONDS)} of sound at a time.")
    short = _wav_shortfall(path)
    if short:
        raise InvalidInput(f"{name} is cut short: its header promises {short[0]:.1f} s of sound "
                           f"and it holds {short[1]:.1f} s. Nothing was transcribed.")
    return checked(_decode(str(path), name), "file", name)


def decode_bytes(data: bytes, what: str = "The recording") -> Clip:
    return checked(_decode(io.BytesIO(data), what), "file", what)


def _decode(source, name: str) -> np.ndarray:
    import av

    try:
        container = av.open(source)
    except (av.error.FFmpegError, ValueError, OSError) as err:
        raise InvalidInput(f"{name} is not a sound file Confidant can read ({FORMATS}), or it "
                           "is damaged.") from err
    with container:
        streams = container.streams.audio
        if not streams:
            raise InvalidInput(f"{name} holds no sound track.")
        declared = container.duration / 1e6 if container.duration else None
        if declared and declared > MAX_SECONDS:
            raise InvalidInput(f"{name} is {_minutes(declared)} long; Confidant transcribes at "
                               f"most {_minutes(MAX_SECONDS)} at a time. Nothing was "
                               "transcribed.")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        parts, count = [], 0
        try:
            for frame in container.decode(streams[0]):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1))
                    count += out.samples
                if count > (MAX_SECONDS + 1) * RATE:  # a header that under-states the length
                    raise InvalidInput(f"{name} is longer than {_minutes(MAX_SECONDS)}; "
                                       "Confidant transcribes at most that at a time.")
            for out in resampler.resample(None):
                parts.append(out.to_ndarray().reshape(-1))
        except (av.error.FFmpegError, ValueError) as err:
            raise InvalidInput(f"{name} is damaged or cut short; nothing was transcribed.") \
                from err
    samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    if declared and declared > 2 and len(samples) / RATE < declared * 0.9:
        raise InvalidInput(f"{name} is cut short: it promises {declared:.1f} s of sound and "
                           f"holds {len(samples) / RATE:.1f} s. Nothing was transcribed.")
    return samples


def encode_flac(clip: Clip) -> bytes:
    """The clip as FLAC bytes, in memory (what 'keep the recording' stores in the journal)."""
    import av

    pcm = (np.clip(clip.samples, -1, 1) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="flac") as out:
        stream = out.add_stream("flac", rate=RATE)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = RATE
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


# --- the microphone ----------------------------------------------------------------------------
def _sounddevice():
    try:
        import sounddevice
    except OSError as err:  # the PortAudio library is missing
        raise MicrophoneUnavailable("Recording needs the PortAudio library (on Debian: "
                                    "apt-get install libportaudio2); attach a file instead.") \
            from err
    return sounddevice


BLOCKED = ("The microphone is blocked: allow Confidant to use it in the system's privacy "
           "settings, or attach a file instead.")


def _mic_error(err: Exception) -> MicrophoneUnavailable:
    text = str(err).lower()
    if any(w in text for w in ("permission", "denied", "not authorized", "unavailable",
                               "busy", "host error")):
        return MicrophoneUnavailable(BLOCKED)
    return MicrophoneUnavailable("No microphone was found; plug one in or attach a file.")


class Recorder:
    """Records the default microphone into memory until stop() (or MAX_SECONDS)."""

    def __init__(self, on_level: Callable[[float, float], None] | None = None):
        self._parts: list[np.ndarray] = []
        self._count = 0
        self._lock = threading.Lock()
        self._stream = None
        self.on_level = on_level   # (seconds so far, level 0-1), from the audio thread
        self.full = False

    def start(self) -> None:
        sd = _sounddevice()
        try:
            device = sd.query_devices(kind="input")
            if not device or device.get("max_input_channels", 0) < 1:
                raise MicrophoneUnavailable("No microphone was found; plug one in or attach "
                                            "a file.")
            self._stream = sd.InputStream(samplerate=RATE, channels=1, dtype="float32",
                                          callback=self._callback)
            self._stream.start()
        except MicrophoneUnavailable:
            raise
        except Exception as err:  # noqa: BLE001 - PortAudioError, ValueError: no usable device
            self._stream = None
            raise _mic_error(err) from err

    def _callback(self, indata, frames, time, status) -> None:  # the audio thread
        with self._lock:
            if self._count >= MAX_SECONDS * RATE:
                self.full = True
                return
            self._parts.append(np.array(indata[:, 0], dtype=np.float32))
            self._count += frames
            seconds = self._count / RATE
        if self.on_level:
            self.on_level(seconds, float(np.abs(indata).max()) if frames else 0.0)

    @property
    def recording(self) -> bool:
        return self._stream is not None

    @property
    def seconds(self) -> float:
        return self._count / RATE

    def stop(self) -> Clip:
        """The recording as a checked clip; a stream of exact zeros means a blocked microphone
        (macOS and Windows hand a refused app silence, not an error)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
        with self._lock:
            samples = np.concatenate(self._parts) if self._parts else np.zeros(0, np.float32)
            self._parts, self._count = [], 0
        if len(samples) >= MIN_SECONDS * RATE and not samples.any():
            raise MicrophoneUnavailable(BLOCKED)
        return checked(samples, "microphone", "The recording")

    def abort(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()
            stream.close()
        with self._lock:
            self._parts, self._count = [], 0
