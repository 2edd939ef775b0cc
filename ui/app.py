"""Start the desktop app: one instance per data dir, a frame painted at once, then first run or
unlock, then the main window. Only Qt is imported before the frame is on screen."""

from __future__ import annotations

import gc
import logging
import os
import sys

from PySide6.QtCore import QLockFile, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from services import paths
from ui import theme
from ui.icons import app_icon
from ui.startup import StartupFrame


def instance_lock(data_dir) -> QLockFile | None:
    """The single-instance lock for this data dir, or None when another app holds it."""
    lock = QLockFile(str(data_dir / paths.LOCK_NAME))
    lock.setStaleLockTime(0)
    if not lock.tryLock(100):
        return None
    return lock


def install_excepthook(parent_for=lambda: None) -> None:
    """Unexpected exceptions: logged (without notes' text), shown with 'Copy details', and the
    app goes on."""
    from ui.errors import ErrorDialog, log_unexpected

    def hook(kind, err, tb):
        if issubclass(kind, KeyboardInterrupt):
            return sys.__excepthook__(kind, err, tb)
        err.__traceback__ = tb
        ErrorDialog(log_unexpected(err), parent_for()).exec()

    sys.excepthook = hook


def open_or_create(ctx, parent=None) -> bool:
    """Unlock silently when the keychain or CONFIDANT_PASSPHRASE allows, else ask."""
    from services import vault as vaults
    from ui.vault_dialogs import FirstRunDialog, UnlockDialog

    if not vaults.exists(ctx.data_dir):
        return bool(FirstRunDialog(ctx, parent).exec()) and ctx.vault is not None
    try:
        ctx.vault = vaults.open_vault(ctx.data_dir)
        return True
    except vaults.NeedsPassphrase:
        return bool(UnlockDialog(ctx, parent).exec()) and ctx.vault is not None
    except vaults.CorruptVault as err:  # never a new journal over it: a backup, or quit
        from ui.vault_recovery import DamagedDialog

        if not DamagedDialog(ctx, str(err), parent).exec():
            err.shown = True  # the user read it and chose Quit: exit 2, no second box
            raise
        return open_or_create(ctx, parent)  # the restored journal


class Startup:
    """The steps after the frame is painted; holds what must live as long as the app."""

    def __init__(self, app: QApplication, data_dir, frame: StartupFrame):
        self.app, self.data_dir, self.frame = app, data_dir, frame
        self.ctx = self.window = None
        self.code = 0

    def run(self) -> None:
        from services.errors import ConfidantError, VaultError
        from ui.context import AppContext
        from ui.errors import log, setup_logging
        from ui.tasks import TaskRunner

        setup_logging(self.data_dir)
        install_excepthook(lambda: self.window or self.frame)
        self.ctx = AppContext(data_dir=self.data_dir, tasks=TaskRunner())
        try:
            if not open_or_create(self.ctx, self.frame):
                return self.app.quit()
        except VaultError as err:
            if not getattr(err, "shown", False):
                QMessageBox.critical(self.frame, "Confidant cannot open the journal", str(err))
            self.code = 2
            return self.app.exit(2)
        except ConfidantError as err:
            QMessageBox.critical(self.frame, "Confidant", str(err))
            self.code = 1
            return self.app.exit(1)
        from ui.main_window import MainWindow

        self.window = MainWindow(self.ctx)
        self.window.setGeometry(self.frame.geometry())
        self.window.show()
        self.frame.hide()
        # What start-up built lives as long as the app: keep it out of the cyclic collector's
        # full passes, which otherwise stall painting for 60 ms every few seconds.
        gc.freeze()
        log.info("started")

    def shutdown(self) -> None:
        if self.ctx is not None:
            if not self.ctx.tasks.abandoned:
                self.ctx.tasks.wait()
            if self.ctx.vault is not None:
                self.ctx.vault.lock()


def run_app(args) -> int:
    QApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Confidant")
    app.setOrganizationName("Confidant")
    app.setWindowIcon(app_icon())
    theme.apply("system")  # the journal's own choice applies once it is unlocked
    data_dir = paths.data_dir(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = instance_lock(data_dir)
    if lock is None:
        probe = QLockFile(str(data_dir / paths.LOCK_NAME))
        probe.tryLock(0)
        read_only = probe.error() == QLockFile.LockError.PermissionError
        QMessageBox.information(None, "Confidant", (
            "The journal's folder is read-only: the app needs to write there. (The command "
            "line can still read the journal: list, search, export.)") if read_only else
            "Your journal is already open in another Confidant window.")
        return 1
    frame = StartupFrame(data_dir)
    frame.show()
    app.processEvents()  # expose and paint the frame now, before the slow imports
    startup = Startup(app, data_dir, frame)
    QTimer.singleShot(0, startup.run)
    code = app.exec()
    startup.shutdown()
    lock.unlock()
    if startup.ctx is not None and startup.ctx.tasks.abandoned:
        # A job that could not stop still runs on a pool thread: end here, as the pools'
        # destructors would otherwise wait for it. Everything the app owns is saved and closed.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code or startup.code)
    return code or startup.code
