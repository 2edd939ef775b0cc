"""Fixtures for UI tests: a real vault, a real TaskRunner, real widgets (offscreen)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from ui.main_window import MainWindow


def settle(qtbot, ctx, timeout: int = 5000) -> None:
    """Wait until every background task has delivered its result."""
    qtbot.waitUntil(lambda: not ctx.tasks.busy, timeout=timeout)


def open_window(qtbot, ctx) -> MainWindow:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    settle(qtbot, ctx)
    return window


def click_save(dialog) -> None:
    box = dialog.findChild(QDialogButtonBox)
    box.button(QDialogButtonBox.StandardButton.Save).click()


def northwind(win, qtbot):
    """The sample journal's Northwind Cloud (partner 1), chosen and settled."""
    win.select_partner(1)
    settle(qtbot, win.ctx)
    return win
