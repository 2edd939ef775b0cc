"""Voice in the entry editor and the guided reflection (issue 15): a memo attached is
transcribed on the slow pool into the field chosen, for review; Save keeps the recording only
when asked; Cancel leaves the entry as it was."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from services import journal, voice
from services.settings import Preferences
from services.store import use_case
from services.voice import audio
from tests.ui_support import settle
from tests.voice_support import (
    fake_microphone,
    model_folder,
    share_model,
    speak,
    spoken_samples,
)
from ui.entry_editor import EntryEditor
from ui.reflect_dialog import ReflectDialog
from ui.small_dialogs import SettingsDialog
from ui.voice_widget import VoiceCapture

WAIT = 60_000  # the first transcription on a busy 2-core machine; the waits end as soon as done


@pytest.fixture(scope="session")
def whisper_folder(tmp_path_factory):
    return model_folder(tmp_path_factory)


@pytest.fixture
def northwind(ctx, whisper_folder):
    share_model(ctx.data_dir, whisper_folder)
    with use_case(ctx.vault, write=True) as s:
        p = journal.create_partner(session=s, partner_in={"name": "Northwind Cloud"})
        journal.create_stakeholder(session=s, stakeholder_in={"partner_id": p.id,
                                                              "name": "Marcus Oyelaran"})
    return p.id


def attach(monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def entries(ctx) -> list:
    with use_case(ctx.vault) as s:
        return journal.list_interactions(session=s)


@pytest.fixture
def editor(qtbot, ctx, northwind):
    widget = EntryEditor(ctx)
    qtbot.addWidget(widget)
    widget.new_entry(northwind)
    qtbot.waitUntil(widget.isEnabled, timeout=5000)
    yield widget
    widget.voice.reset()
    ctx.tasks.wait(WAIT)


def test_attached_memo_lands_in_the_notes_for_review_and_is_kept_on_save(
        qtbot, ctx, editor, monkeypatch, tmp_path):
    editor.title.setText("Corridor memo")
    attach(monkeypatch, speak("Marcus Oyelaran will send the listing plan on Friday.",
                              tmp_path / "memo.wav"))
    editor.voice.attach_button.click()
    assert not editor.voice.progress.isHidden() and not editor.voice.cancel_button.isHidden()
    qtbot.waitUntil(lambda: "Oyelaran" in editor.notes.text(), timeout=WAIT)
    assert "transcribed" in editor.voice.status.text() and not editor.voice.running
    assert editor.reflection.text() == "" and entries(ctx) == []   # for review: not saved yet

    editor.voice.keep.setChecked(True)
    with qtbot.waitSignal(editor.saved, timeout=5000) as saved:
        editor.save()
    settle(qtbot, ctx)
    with use_case(ctx.vault) as s:
        kept = voice.recordings(session=s, interaction_id=saved.args[0])
        notes = journal.get_interaction(session=s, interaction_id=saved.args[0]).notes
    assert "Marcus Oyelaran will send" in notes
    assert len(kept) == 1 and kept[0].source == "file" and 2 < kept[0].seconds < 8
    assert kept[0].audio[:4] == b"fLaC" and editor.voice.kept is None


def test_cancel_leaves_the_entry_as_it_was(qtbot, ctx, editor, monkeypatch, tmp_path):
    editor.notes.set_text("Before the memo.")
    attach(monkeypatch, speak("Dana Whitfield asked for the joint business plan.",
                              tmp_path / "memo.wav"))
    editor.voice.attach_button.click()
    editor.voice.cancel_button.click()
    assert not editor.voice.running and editor.voice.progress.isHidden()
    ctx.tasks.wait(WAIT)
    qtbot.wait(50)  # any late result is delivered, and ignored
    assert editor.notes.text() == "Before the memo." and editor.voice.message.text() == ""
    assert editor.voice.kept is None and entries(ctx) == []


def test_reflection_memo_recorded_goes_into_the_private_answer_and_is_dropped_by_default(
        qtbot, ctx, northwind, monkeypatch):
    microphone = fake_microphone(monkeypatch)
    microphone.samples = spoken_samples("I felt ambushed by the pricing question.")
    with use_case(ctx.vault) as s:
        partners = journal.list_partners(session=s)
    dialog = ReflectDialog(ctx, partners, northwind)
    qtbot.addWidget(dialog)
    dialog.title.setText("Steering committee")
    dialog.voice.into.setCurrentIndex(1)  # How did I feel? (private)
    dialog.voice.record_button.click()
    assert dialog.voice.record_button.text() == "Stop and transcribe"
    dialog.voice.record_button.click()
    qtbot.waitUntil(lambda: "ambushed" in dialog.answers["felt"].toPlainText(), timeout=WAIT)
    assert dialog.answers["happened"].toPlainText() == ""
    assert dialog.voice.kept is not None and dialog.voice.kept.source == "microphone"
    with qtbot.waitSignal(dialog.recorded, timeout=5000) as recorded:
        dialog.save()
    settle(qtbot, ctx)
    with use_case(ctx.vault) as s:
        item = journal.get_interaction(session=s, interaction_id=recorded.args[1])
        assert voice.recordings(session=s, interaction_id=item.id) == []
    assert "ambushed" in item.reflection and "ambushed" not in item.notes


def test_no_microphone_is_one_line_in_the_editor(qtbot, editor, monkeypatch):
    import sounddevice

    fake_microphone(monkeypatch)

    def none(kind=None):
        raise sounddevice.PortAudioError("Error querying device -1")
    monkeypatch.setattr(sounddevice, "query_devices", none)
    editor.voice.record_button.click()
    assert editor.voice.message.text() == ("No microphone was found; plug one in or attach a "
                                           "file.")
    assert not editor.voice.running and editor.voice.record_button.text() == "Record"


def test_fix_names_and_the_glossary_setting(qtbot, editor):
    editor.voice.into.setCurrentIndex(1)
    editor.voice._target = editor.reflection.editor
    editor.reflection.set_text("Marcus Oilerin from Northwind was late.")
    editor.voice._show_fixes(voice.corrections(editor.reflection.text(),
                                               ["Northwind Cloud", "Marcus Oyelaran"]))
    assert "Marcus Oyelaran (heard “Marcus Oilerin”)" in editor.voice.fix_label.text()
    editor.voice.fix_button.click()
    assert editor.reflection.text() == "Marcus Oyelaran from Northwind was late."
    assert editor.voice.fix_button.isHidden() and editor.dirty

    dialog = SettingsDialog(Preferences(glossary="Kestrava\nGMV"))
    qtbot.addWidget(dialog)
    dialog.glossary.setPlainText("Kestrava, GMV, DACH ")
    assert dialog.values()["glossary"] == "Kestrava, GMV, DACH"
    assert voice.glossary_terms(dialog.values()["glossary"]) == ["Kestrava", "GMV", "DACH"]


# --- issue 20: names tick people, the bar moves, a message does not outlive its entry ----------
def test_a_memo_that_names_a_person_ticks_them_and_so_does_fixing_a_name(
        qtbot, ctx, editor, monkeypatch, tmp_path):
    with use_case(ctx.vault, write=True) as s:
        journal.create_stakeholder(session=s, stakeholder_in={"partner_id": editor.partner_id,
                                                              "name": "Dana Whitfield"})
    editor.new_entry(editor.partner_id)
    qtbot.waitUntil(lambda: editor.participants.count() == 2, timeout=5000)

    def ticked() -> list[str]:
        return [editor.participants.item(i).text() for i in range(editor.participants.count())
                if editor.participants.item(i).checkState() == Qt.CheckState.Checked]

    attach(monkeypatch, speak("Marcus Oyelaran will send the listing plan on Friday.",
                              tmp_path / "memo.wav"))
    editor.voice.attach_button.click()
    qtbot.waitUntil(lambda: "Oyelaran" in editor.notes.text(), timeout=WAIT)
    assert ticked() == ["Marcus Oyelaran"] and editor.dirty

    editor.notes.editor.insertPlainText(" Vayna Whitfield agreed.")
    editor.voice._show_fixes(voice.corrections(editor.notes.text(), ["Dana Whitfield"]))
    editor.voice.fix_button.click()
    assert sorted(ticked()) == ["Dana Whitfield", "Marcus Oyelaran"]


class SlowModel:
    """One 30 s window, as a short memo is: its segments come only when it is done."""

    def transcribe(self, samples, **options):
        def pieces():
            time.sleep(2.0)
            yield SimpleNamespace(start=0.0, end=len(samples) / audio.RATE, text=" Slow memo.")
        return pieces(), SimpleNamespace(language="en")


def test_the_progress_bar_moves_before_the_first_segment(qtbot, ctx, editor, monkeypatch,
                                                         tmp_path):
    monkeypatch.setattr(voice, "load_model", lambda folder, threads=0: SlowModel())
    monkeypatch.setattr(VoiceCapture, "rate", 0.5, raising=False)  # 2 s of work for about 4 s of sound
    attach(monkeypatch, speak("Marcus Oyelaran will send the listing plan on Friday.",
                              tmp_path / "memo.wav"))
    editor.voice.attach_button.click()
    seen = []
    qtbot.waitUntil(lambda: seen.append(editor.voice.progress.value()) or
                    (editor.voice.running and editor.voice.progress.value() >= 20),
                    timeout=WAIT)
    assert "Slow memo." not in editor.notes.text()       # moving, and not yet done
    qtbot.waitUntil(lambda: "Slow memo." in editor.notes.text(), timeout=WAIT)
    assert seen == sorted(seen)                           # never backwards


def test_a_no_microphone_message_goes_when_another_entry_opens(qtbot, editor, monkeypatch):
    import sounddevice

    fake_microphone(monkeypatch)

    def none(kind=None):
        raise sounddevice.PortAudioError("Error querying device -1")
    monkeypatch.setattr(sounddevice, "query_devices", none)
    editor.voice.record_button.click()
    assert editor.voice.message.text().startswith("No microphone was found")
    editor.new_entry(editor.partner_id)   # the next entry, for the same partner
    qtbot.waitUntil(lambda: editor.voice.message.text() == "", timeout=5000)
    assert editor.voice.message.isHidden() or editor.voice.message.text() == ""
