"""The advisor panel, driven through the UI with a small fake model (the UI is what is tested
here; the real model is tested in test_llm.py)."""

from __future__ import annotations

import re
import threading
import time

import pytest
from PySide6.QtCore import QUrl

from services import journal
from services.advice import advisor
from services.advice.engine import Generation
from services.advice.llm import ModelSettings
from services.journal import demo
from services.store import use_case
from tests.ui_support import open_window, settle


class FakeModel:
    name = "Fake 1B"
    is_instruct = False

    def __init__(self):
        self.settings = ModelSettings(path=None)
        self.calls = 0
        self.release = threading.Event()

    def generate(self, *, prompt=None, messages=None, on_token=None, should_stop=None, **kw):
        """Per angle: a sentence on the angle's own words (kept), one naming a company the
        journal does not hold (withheld), then a sentence it never finishes. The second angle
        gets only the invented name, so its first step stands in its place."""
        self.calls += 1
        situation = prompt[-1].split("Situation:")[1].split("\n")[0] if prompt else ""
        topic = re.findall(r"\b[a-z]{6,}\b", situation)[:2] or ["journal"]
        good = f" Plan one dated step on {topic[0]} and {topic[-1]} with them."
        bad = " Ask Orion Systems about it today."
        words = re.findall(r" \S+", (bad if self.calls == 2 else good + bad)
                           + " Then we" + " more" * 12)
        pieces, stopped = [], False
        for piece in words:
            if should_stop and should_stop():
                stopped = True
                break
            if on_token:
                on_token(piece)
            time.sleep(0.01 if self.release.is_set() else 0.05)
        return Generation("".join(pieces), 10, 10, len(pieces), 0.5, 0.01, stopped)


class FakeHolder:
    def __init__(self, model):
        self.model = model

    def for_settings(self, values, data_dir):
        return self.model

    def close(self):
        pass


@pytest.fixture
def sample_window(qtbot, ctx):
    with use_case(ctx.vault) as s:
        demo.load_sample(session=s)
    ctx.llm = FakeHolder(FakeModel())
    win = open_window(qtbot, ctx)
    row = win.partner_model.row_of(1)  # Northwind Cloud
    win.partner_view.setCurrentIndex(win.partner_model.index(row))
    settle(qtbot, ctx)
    yield win
    win.close()
    ctx.tasks.wait()


def test_ask_stream_stop_and_cite(qtbot, sample_window):
    win = sample_window
    panel = win.advisor
    assert panel.partner_id == 1 and panel.ask_button.isEnabled()
    win.ask_action.trigger()
    assert win.right.currentWidget() is panel
    qtbot.waitUntil(lambda: len(panel.angle_cards()) >= 3, timeout=5000)
    qtbot.waitUntil(lambda: "Plan one dated step" in panel.advice.toPlainText(), timeout=5000)
    assert "Orion" not in panel.advice.toPlainText()   # a sentence shows once it has passed
    assert panel.stop_button.isEnabled() and not panel.ask_button.isEnabled()
    panel.stop_button.click()
    qtbot.waitUntil(lambda: panel.task is None, timeout=5000)
    shown = panel.advice.toPlainText()
    assert panel.note.text().startswith("Stopped.") and "withheld: " in shown
    assert "Orion" not in shown and "more" not in shown and "Then we" not in shown
    assert win.ctx.llm.model.calls == 1  # no further angle was written after Stop
    settle(qtbot, win.ctx)
    assert panel.history.count() == 1  # the complete, checked sentence is saved, as stopped
    with use_case(win.ctx.vault) as s:
        saved = advisor.list_advice(session=s, partner_id=1)[0]
    assert saved.stopped and saved.text.count(".") == 1 and "Plan one dated step" in saved.text

    card = panel.angle_cards()[0]
    cited = int(card.label.text().split('href="entry:')[1].split('"')[0])
    card.label.linkActivated.emit(f"entry:{cited}")
    qtbot.waitUntil(lambda: win.editor.interaction_id == cited, timeout=5000)
    assert win.right.currentWidget() is win.editor


def test_full_advice_with_clickable_citations_and_tokens_per_second(qtbot, sample_window):
    win = sample_window
    win.ctx.llm.model.release.set()
    win.advisor.kind.setCurrentIndex(win.advisor.kind.findData("prepare"))
    with qtbot.waitSignal(win.advisor.status, timeout=20000) as status:
        win.advisor.ask()
    assert "Fake 1B" in status.args[0] and "tokens/s" in status.args[0]
    assert "Fake 1B" in win.statusBar().currentMessage()
    html = win.advisor.advice.toHtml()
    shown = win.advisor.advice.toPlainText()
    assert 'href="entry:' in html
    assert "withheld: names 'Orion', who is not in your journal" in shown
    second = win.advisor._angles[1]      # nothing kept on it: its first step stands instead
    assert f"{second.title}: First step: {second.first_step}" in shown
    assert "withheld" in win.advisor.note.text()
    with use_case(win.ctx.vault) as s:
        saved = advisor.list_advice(session=s, partner_id=1)[0]
    assert "Orion" not in saved.text and "Plan one dated step" in saved.text
    assert second.title not in saved.text and not saved.stopped
    with use_case(win.ctx.vault) as s:
        target = journal.list_interactions(session=s, partner_id=1, limit=1)[0].id
    win.advisor.advice.anchorClicked.emit(QUrl(f"entry:{target}"))
    qtbot.waitUntil(lambda: win.editor.interaction_id == target, timeout=5000)


def test_no_model_shows_angles_and_why(qtbot, sample_window):
    from services.advice.llm import ModelUnavailable

    class Missing(FakeHolder):
        def for_settings(self, values, data_dir):
            raise ModelUnavailable("The model file /nowhere.gguf is missing.")

    win = sample_window
    win.ctx.llm = Missing(None)
    win.advisor.ask()
    qtbot.waitUntil(lambda: win.advisor.task is None, timeout=5000)
    assert win.advisor.angle_cards()
    assert win.advisor.note.text() == ("No written advice: The model file /nowhere.gguf is "
                                       "missing.")
    assert win.advisor.history.count() == 0


def test_model_dialog_shows_facts_and_refuses_bad_files(qtbot, ctx, model_dir, tmp_path,
                                                        monkeypatch):
    from PySide6.QtWidgets import QDialogButtonBox, QFileDialog

    from ui.model_dialog import ModelDialog

    good = str(model_dir / "models" / "gemma-3-270m-q4_k_m.gguf")
    bad = tmp_path / "notes.gguf"
    bad.write_text("hello")
    dialog = ModelDialog(ctx)
    qtbot.addWidget(dialog)
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    dialog.choose()
    qtbot.waitUntil(lambda: dialog.facts.text().startswith("Refused"), timeout=5000)
    assert "not a GGUF" in dialog.facts.text() and not save.isEnabled()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (good, ""))
    dialog.choose()
    qtbot.waitUntil(lambda: "Q4_K_M" in dialog.facts.text(), timeout=5000)
    assert "Gemma 3" in dialog.facts.text() and "base model" in dialog.facts.text()
    assert save.isEnabled() and dialog.values()["model_path"] == good


def test_a_small_models_text_is_a_folded_draft_kept_only_on_request(qtbot, sample_window):
    """Issue 21: the base model's kept text is labelled and folded; the brief leaves it out
    until 'Keep for the brief'; only the leading angles show until 'N more angles'."""
    from services.practice import brief

    win = sample_window
    panel = win.advisor
    win.ctx.llm.model.release.set()
    win.right.setCurrentWidget(panel)
    panel.kind.setCurrentIndex(panel.kind.findData("prepare"))
    with qtbot.waitSignal(panel.status, timeout=20000):
        panel.ask()
    settle(qtbot, win.ctx)
    assert panel.draft_toggle.isVisible() and not panel.advice.isVisible()
    assert "written by a small model: check before use" in panel.draft_toggle.text()
    panel.draft_toggle.click()
    assert panel.advice.isVisible() and "Plan one dated step" in panel.advice.toPlainText()
    cards = panel.angle_cards()
    shown = [c for c in cards if c.isVisible()]
    assert len(shown) == 3, [(c.angle.rule, c.angle.leads, c.isHidden()) for c in cards]
    assert all(c.angle.leads for c in shown) and len(cards) > 3
    assert panel.more_button.text() == f"{len(cards) - 3} more angles…"
    panel.more_button.click()
    assert all(c.isVisible() for c in cards) and panel.more_button.text().startswith("Hide")

    def brief_advice():
        with use_case(win.ctx.vault) as s:
            return brief.build_brief(session=s, options=brief.BriefOptions(
                partner_id=1, with_advice=True)).advice
    assert brief_advice() is None                   # a draft stays out of the brief
    assert panel.keep_button.isVisible()
    panel.keep_button.click()
    qtbot.waitUntil(lambda: not panel.keep_button.isVisible(), timeout=5000)
    assert "Plan one dated step" in brief_advice()
