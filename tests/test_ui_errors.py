"""One error path in the UI: every slot that receives a failure hands it to `report`; none
re-raises into sys.excepthook, none emits another object's signal, and every journal write
(the advisor's saved advice included) goes through the one write worker."""

from __future__ import annotations

import pytest

from services.errors import InvalidInput
from ui import errors as ui_errors
from ui.brief_dialog import BriefDialog
from ui.entry_editor import EntryEditor
from ui.model_dialog import ModelDialog
from ui.reflect_dialog import ReflectDialog
from ui.vault_dialogs import FirstRunDialog, UnlockForm


@pytest.fixture
def dialogs_shown(monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(ui_errors.ErrorDialog, "exec", lambda self: shown.append(self.details))
    return shown


def failing_slots(ctx):
    """(widget, its failure slot, the label where its one line appears)."""
    brief = BriefDialog(ctx, [])
    model = ModelDialog(ctx)
    reflect = ReflectDialog(ctx, [])
    first = FirstRunDialog(ctx)
    unlock = UnlockForm(ctx, lambda: None)
    editor = EntryEditor(ctx)
    return [(brief, brief._failed, brief.message), (model, model._refused, model.facts),
            (reflect, reflect._failed, reflect.error), (first, first._failed, first.error),
            (unlock, unlock._failed, unlock.error), (editor, editor._failed, editor.message)]


def test_an_unexpected_failure_is_logged_and_shown_once_never_re_raised(
        qtbot, ctx, dialogs_shown, data_dir):
    for widget, slot, label in failing_slots(ctx):
        qtbot.addWidget(widget)
        slot(RuntimeError("boom: the partner's VP said something private"))
        assert "journal is safe" in label.text(), type(widget).__name__
    assert len(dialogs_shown) == 6
    assert all("RuntimeError" in details for details in dialogs_shown)


def test_an_expected_failure_is_one_line_in_the_widget_with_no_dialog(qtbot, ctx,
                                                                      dialogs_shown):
    for widget, slot, label in failing_slots(ctx):
        qtbot.addWidget(widget)
        slot(InvalidInput("The title cannot be empty."))
        assert "The title cannot be empty." in label.text(), type(widget).__name__
    assert dialogs_shown == []


def test_the_editor_does_not_emit_the_task_runners_signal(qtbot, ctx, dialogs_shown):
    editor = EntryEditor(ctx)
    qtbot.addWidget(editor)
    emitted: list = []
    ctx.tasks.error.connect(emitted.append)
    editor._failed(InvalidInput("Nope."))
    assert emitted == [] and editor.message.text() == "Nope."


def test_the_advisors_saved_advice_goes_through_the_write_worker(qtbot, ctx, monkeypatch):
    from services.advice import advisor
    from ui.advisor_panel import AdvisorPanel

    panel = AdvisorPanel(ctx)
    qtbot.addWidget(panel)
    calls: list[tuple] = []
    monkeypatch.setattr(ctx, "db", lambda fn, **kw: calls.append((fn, kw.get("write"))))
    result = advisor.AdviceResult(angles=[], question="How?", text="Call her first.")
    panel._written(advisor.AdviceRequest(partner_id=1), result)
    assert calls == [(advisor.save_advice, True)]
