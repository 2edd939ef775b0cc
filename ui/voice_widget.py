"""Record or attach a voice memo (issue 15): transcribed on this machine, on the slow pool, into
the field the user chooses (the notes or the private reflection), for review before saving.

The sound stays in memory. It is dropped when the entry is saved or closed, unless "Keep the
recording" is ticked: then the save stores it, as FLAC, in the encrypted journal in the same
use case as the entry. Cancel stops the transcription and leaves every field as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QTimer, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from services import voice
from services.voice import audio
from ui.context import AppContext
from ui.errors import report

FILTER = "Sound (*.wav *.m4a *.mp3 *.ogg *.oga *.opus *.flac *.webm *.mp4);;Any file (*)"


PREPARED = 0.05      # the bar's share for decoding and loading the model
RATE = 0.5           # seconds of work per second of sound, until one memo was measured


def _job(source, words: list[str], data_dir: Path, threads: int, task) -> tuple:
    """The slow part, on a worker: decode (a file), load the model, transcribe. Each stage says
    how long the transcription should take, so the bar can move before the first segment
    (faster-whisper yields a 30 s window's segments only once it is done: a short memo is one
    window)."""
    clip = source if isinstance(source, audio.Clip) else audio.decode_file(source)
    task.progress.emit((0.0, None, "Preparing the speech model…"))
    model = voice.load_model(voice.install_model(data_dir), threads)
    task.progress.emit((0.0, None, "Transcribing on this machine…", clip.seconds))
    transcript = voice.transcribe(
        clip, model=model, words=words,
        on_progress=lambda done, left: task.progress.emit((done, left, None)),
        cancelled=lambda: task.cancelled)
    return transcript, voice.keep(clip, transcript.language)  # FLAC here, not in the save


def _left(seconds: float | None) -> str:
    if seconds is None:
        return "Transcribing on this machine…"
    if seconds >= 90:
        return f"About {seconds / 60:.0f} min left"
    return f"About {max(1, round(seconds))} s left"


class VoiceCapture(QWidget):
    """Record / Attach…, where the text goes, Keep the recording, progress with Cancel.

    `heard(text)` follows each transcript inserted and each fix of names: the entry ticks the
    people it names."""

    heard = Signal(str)
    rate = RATE   # measured by the last memo transcribed (seconds of work per second of sound)

    def __init__(self, ctx: AppContext, targets: list[tuple[str, QPlainTextEdit]],
                 partner_id: Callable[[], int | None], parent=None):
        super().__init__(parent)
        self.setObjectName("voiceCapture")
        self.ctx, self.targets, self.partner_id = ctx, targets, partner_id
        self.recorder: audio.Recorder | None = None
        self.task = None
        self.kept: voice.KeptAudio | None = None   # the last memo, encoded, until saved or closed
        self.offered: list[voice.Correction] = []
        self._target: QPlainTextEdit | None = None
        self._run = 0                                # a cancelled run's late result is ignored
        self.record_button = QPushButton("Record")
        self.record_button.setToolTip("Record a voice memo; it is transcribed on this machine")
        self.record_button.clicked.connect(self.toggle_recording)
        self.attach_button = QPushButton("Attach audio…")
        self.attach_button.clicked.connect(self.attach)
        self.into = QComboBox()
        self.into.setAccessibleName("Transcript goes into")
        for label, _ in targets:
            self.into.addItem(label)
        self.keep = QCheckBox("Keep the recording (inside the encrypted journal)")
        self.progress = QProgressBar(maximum=100)
        self.status = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.fix_label = QLabel()
        self.fix_label.setWordWrap(True)
        self.fix_button = QPushButton("Fix names")
        self.fix_button.clicked.connect(self.fix_names)
        self.message = QLabel()
        self.message.setObjectName("errorText")
        self.message.setWordWrap(True)
        self.clock = QTimer(self, interval=250)
        self.clock.timeout.connect(self._tick)
        self.since = QElapsedTimer()   # the transcription's own clock
        self.expected = 0.0            # its seconds, estimated; 0 while preparing
        self.reported = 0.0            # the fraction the model last reported

        top = QHBoxLayout()  # two short rows: the editor pane stays narrow at 1280x800
        top.addWidget(self.record_button)
        top.addWidget(self.attach_button)
        top.addWidget(QLabel("into"))
        top.addWidget(self.into)
        top.addStretch(1)
        keep_row = QHBoxLayout()
        keep_row.addWidget(self.keep, 1)
        busy = QHBoxLayout()
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.status)
        busy.addWidget(self.cancel_button)
        fix = QHBoxLayout()
        fix.addWidget(self.fix_label, 1)
        fix.addWidget(self.fix_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(keep_row)
        layout.addLayout(busy)
        layout.addLayout(fix)
        layout.addWidget(self.message)
        self._idle()

    # --- state -------------------------------------------------------------------------------
    def _idle(self, status: str = "") -> None:
        self.clock.stop()
        self.task = None
        for w in (self.progress, self.cancel_button):
            w.setVisible(False)
        self.status.setText(status)
        self.status.setVisible(bool(status))
        self.record_button.setText("Record")
        self.record_button.setEnabled(True)
        self.attach_button.setEnabled(True)

    def _busy(self, status: str) -> None:
        self.message.clear()
        self.expected = self.reported = 0.0
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.status.setText(status)
        self.status.setVisible(True)
        self.attach_button.setEnabled(False)

    def _show_fixes(self, offered: list[voice.Correction]) -> None:
        self.offered = offered
        self.fix_label.setText("Did you mean " + "; ".join(
            f"{c.name} (heard “{c.heard}”)" for c in offered) + "?" if offered else "")
        self.fix_label.setVisible(bool(offered))
        self.fix_button.setVisible(bool(offered))

    def clear_message(self) -> None:
        """Another entry is shown: a message about the last one (no microphone) goes."""
        self.message.clear()

    def reset(self) -> None:
        """Another entry opens, or this one closes: drop the memo, stop whatever runs."""
        self.cancel()
        self.kept = None
        self.keep.setChecked(False)
        self.message.clear()
        self._show_fixes([])
        self._idle()

    @property
    def running(self) -> bool:
        return self.task is not None or self.recorder is not None

    # --- record ------------------------------------------------------------------------------
    def toggle_recording(self) -> None:
        if self.recorder is None:
            if self.task is not None:
                return
            recorder = audio.Recorder()
            try:
                recorder.start()
            except Exception as err:  # noqa: BLE001 - one line through report()
                report(err, self, self.message.setText)
                return
            self.recorder = recorder
            self._busy("Recording… 0 s")
            self.progress.setVisible(False)
            self.record_button.setText("Stop and transcribe")
            self.clock.start()
            return
        recorder, self.recorder = self.recorder, None
        self.clock.stop()
        try:
            clip = recorder.stop()
        except Exception as err:  # noqa: BLE001
            self._idle()
            report(err, self, self.message.setText)
            return
        self._transcribe(clip)

    def _tick(self) -> None:
        recorder = self.recorder
        if recorder is None:
            self._estimate()
            return
        if recorder.full:
            self.toggle_recording()
            return
        self.status.setText(f"Recording… {recorder.seconds:.0f} s")

    # --- attach ------------------------------------------------------------------------------
    def attach(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Attach a voice memo", "", FILTER)
        if path:
            self._transcribe(path)

    # --- transcribe --------------------------------------------------------------------------
    def _transcribe(self, source) -> None:
        self._target = self.targets[self.into.currentIndex()][1]
        self._busy("Preparing…")
        self.record_button.setEnabled(False)
        self._run += 1
        run = self._run
        self.task = self.ctx.db(voice.vocabulary, partner_id=self.partner_id(),
                                glossary=self.ctx.settings.glossary,
                                on_done=lambda words: self._start(run, source, words),
                                on_error=lambda err: self._failed(err, run))

    def _start(self, run: int, source, words: list[str]) -> None:
        if run != self._run:  # cancelled meanwhile
            return
        threads = self.ctx.settings.threads or (os.cpu_count() or 1)
        self.task = self.ctx.tasks.run(
            _job, source, words, self.ctx.data_dir, threads, pool="slow",
            on_progress=lambda event: run == self._run and self._progress(event),
            on_done=lambda result: run == self._run and self._done(result),
            on_error=lambda err: self._failed(err, run))

    def _progress(self, event) -> None:
        done, left, status, *expected = event
        if expected:   # the model is loaded: the transcription starts now
            self.expected = max(1.0, expected[0] * self.rate)
            self.since.start()
            self.clock.start()
        self.reported = max(self.reported, done)
        self._show_progress()
        self.status.setText(status or _left(left))

    def _estimate(self) -> None:
        """Between the model's reports: the time spent against the time expected."""
        if self.task is None or not self.expected:
            return
        self._show_progress()
        if self.reported < 0.02:
            self.status.setText(_left(max(0.0, self.expected - self.since.elapsed() / 1000)))

    def _show_progress(self) -> None:
        guess = min(0.95, self.since.elapsed() / 1000 / self.expected) if self.expected else 0
        done = PREPARED + (1 - PREPARED) * max(self.reported, guess) if self.expected else 0
        self.progress.setValue(max(self.progress.value(), int(done * 100)))

    def _done(self, result) -> None:
        transcript, kept = result
        if transcript.seconds:
            type(self).rate = min(5.0, max(0.05, transcript.real_time_factor))
        self._idle(f"{transcript.seconds:.0f} s transcribed; review it, then save the entry.")
        self.kept = kept
        editor = self._target or self.targets[0][1]
        editor.moveCursor(QTextCursor.MoveOperation.End)
        editor.insertPlainText(("\n\n" if editor.toPlainText().strip() else "")
                               + transcript.text)
        self._show_fixes(transcript.corrections)
        self.heard.emit(transcript.text)

    def _failed(self, err: BaseException, run: int | None = None) -> None:
        if run is not None and run != self._run:
            return  # a cancelled run: shown as nothing
        self._idle()
        report(err, self, self.message.setText)

    def cancel(self) -> None:
        """Stop recording or transcribing; nothing is inserted."""
        if self.recorder is not None:
            recorder, self.recorder = self.recorder, None
            recorder.abort()
        if self.task is not None:
            self.task.cancel()
        self._run += 1
        self._idle()

    def fix_names(self) -> None:
        editor = self._target or self.targets[0][1]
        cursor = editor.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(voice.apply_corrections(editor.toPlainText(), self.offered))
        self._show_fixes([])
        self.heard.emit(editor.toPlainText())

    # --- save --------------------------------------------------------------------------------
    def saving(self, save: Callable) -> tuple[Callable, dict]:
        """The save function and its extra arguments: with the memo when it is to be kept."""
        if self.kept is None or not self.keep.isChecked():
            return save, {}
        return voice.keeping(save), {"recording": self.kept}

    def saved(self) -> None:
        """The entry is saved: the memo in memory is dropped (or was stored with it)."""
        self.kept = None
        self.keep.setChecked(False)
