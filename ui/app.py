"""Start the desktop app: one instance per data dir, first run or unlock, then the window."""

from __future__ import annotations

import sys

from PySide6.QtCore import QLockFile, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from services import paths
from services import vault as vaults
from services.errors import ConfidantError, VaultError
from ui.context import AppContext
from ui.errors import ErrorDialog, log, log_unexpected, setup_logging
from ui.icons import app_icon
from ui.tasks import TaskRunner
from ui.vault_dialogs import FirstRunDialog, UnlockDialog

LOCK_NAME = "confidant.lock"


def instance_lock(data_dir) -> QLockFile | None:
    """The single-instance lock for this data dir, or None when another app holds it."""
    lock = QLockFile(str(data_dir / LOCK_NAME))
    lock.setStaleLockTime(0)
    if not lock.tryLock(100):
        return None
    return lock


def install_excepthook(parent_for=lambda: None) -> None:
    """Unexpected exceptions: logged (without notes' text), shown with 'Copy details', and the
    app goes on."""

    def hook(kind, err, tb):
        if issubclass(kind, KeyboardInterrupt):
            return sys.__excepthook__(kind, err, tb)
        err.__traceback__ = tb
        ErrorDialog(log_unexpected(err), parent_for()).exec()

    sys.excepthook = hook


def open_or_create(ctx: AppContext) -> bool:
    """Unlock silently when the keychain or CONFIDANT_PASSPHRASE allows, else ask."""
    if not vaults.exists(ctx.data_dir):
        return bool(FirstRunDialog(ctx).exec()) and ctx.vault is not None
    try:
        ctx.vault = vaults.open_vault(ctx.data_dir)
        return True
    except vaults.NeedsPassphrase:
        return bool(UnlockDialog(ctx).exec()) and ctx.vault is not None


def run_app(args) -> int:
    QApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Confidant")
    app.setOrganizationName("Confidant")
    app.setWindowIcon(app_icon())
    data_dir = paths.data_dir(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    setup_logging(data_dir)
    lock = instance_lock(data_dir)
    if lock is None:
        QMessageBox.information(None, "Confidant",
                                "Your journal is already open in another Confidant window.")
        return 1
    ctx = AppContext(data_dir=data_dir, tasks=TaskRunner())
    window = None
    install_excepthook(lambda: window)
    try:
        if not open_or_create(ctx):
            return 0
    except VaultError as err:
        QMessageBox.critical(None, "Confidant cannot open the journal", str(err))
        return 2
    except ConfidantError as err:
        QMessageBox.critical(None, "Confidant", str(err))
        return 1
    from ui.main_window import MainWindow

    window = MainWindow(ctx)
    window.show()
    log.info("started")
    code = app.exec()
    ctx.tasks.wait()
    if ctx.vault is not None:
        ctx.vault.lock()
    lock.unlock()
    return code
