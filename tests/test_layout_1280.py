"""Issue 20, layout at 1280x800: the reflection dialog fits the screen, the portfolio and the
stakeholder tables show their columns, the trend chart's legend clears the data, and a PDF
heading is never left alone at the foot of a page."""

from __future__ import annotations

import pytest

from services.journal import demo
from services.store import use_case
from tests.ui_support import open_window, settle
from ui.reflect_dialog import ReflectDialog

SCREEN_HEIGHT = 800


@pytest.fixture
def sample_window(qtbot, ctx):
    with use_case(ctx.vault, write=True) as s:
        demo.load_sample(session=s)
    win = open_window(qtbot, ctx)
    win.resize(1280, 800)
    settle(qtbot, ctx)
    yield win
    win.close()
    ctx.tasks.wait()


def northwind(win, qtbot):
    win.select_partner(1)
    settle(qtbot, win.ctx)
    return win


# --- 5. the reflection dialog on an 800 px screen ---------------------------------------------
def test_reflection_dialog_fits_an_800px_screen(qtbot, sample_window):
    win = northwind(sample_window, qtbot)
    dialog = ReflectDialog(win.ctx, win.partner_model.partners, 1, win)
    qtbot.addWidget(dialog)
    dialog.show()
    settle(qtbot, win.ctx)
    title_bar = 40
    assert dialog.screen().availableGeometry().height() <= SCREEN_HEIGHT
    assert dialog.minimumSizeHint().height() + title_bar <= SCREEN_HEIGHT, (
        dialog.minimumSizeHint())
    assert dialog.height() + title_bar <= SCREEN_HEIGHT, dialog.size()
    assert dialog.save_button.isVisible()
