"""When the journal cannot be opened (a damaged file or header): say so and offer a backup.
And rotating the encryption key from Settings, with the new recovery key shown once."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
)

from services import vault as vaults
from services.vault import backup
from ui.context import AppContext
from ui.errors import report
from ui.small_dialogs import PassphraseDialog

BACKUP_FILTER = "Confidant backup (*.backup *.zip);;All files (*)"


def restore_from_backup(ctx: AppContext, parent=None) -> bool:
    """Pick a backup and restore it over the closed journal (the old files are kept aside in a
    replaced-* folder); True when restored. Runs on the UI thread: it may ask questions."""
    path, _ = QFileDialog.getOpenFileName(parent, "Restore from a backup", str(Path.home()),
                                          BACKUP_FILTER)
    if not path:
        return False

    def ask() -> str | None:
        text, ok = QInputDialog.getText(parent, "Restore from a backup",
                                        "The backup's passphrase or recovery key:",
                                        QLineEdit.EchoMode.Password)
        return text if ok and text else None

    def confirm(warning: str) -> bool:
        answer = QMessageBox.question(parent, "Restore another journal?",
                                      f"{warning}\n\nRestore it anyway?")
        return answer == QMessageBox.StandardButton.Yes

    try:
        aside = backup.restore(root=ctx.data_dir, source=Path(path), ask=ask, confirm=confirm,
                               by_this_app=True)
    except Exception as err:  # noqa: BLE001 - the UI's one error path decides what to show
        report(err, parent, lambda text: QMessageBox.warning(parent, "Confidant", text))
        return False
    QMessageBox.information(parent, "Confidant",
                            f"The backup is restored. The files it replaced are kept in {aside}.")
    return True


class DamagedDialog(QDialog):
    """The journal or its header is damaged: the reason, and a way back from a backup."""

    def __init__(self, ctx: AppContext, message: str, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Confidant cannot open the journal")
        layout = QVBoxLayout(self)
        self.message = QLabel(f"<b>{message}</b><br><br>If you have a backup, restore it: the "
                              "damaged files are kept aside, nothing is deleted.")
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox()
        self.restore_button = buttons.addButton("Restore from a backup…",
                                                QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Quit", QDialogButtonBox.ButtonRole.RejectRole)
        self.restore_button.clicked.connect(self.restore)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 200)

    def restore(self) -> None:
        if restore_from_backup(self.ctx, self):
            self.accept()


class RecoveryKeyDialog(QMessageBox):
    """A new recovery key, shown once, selectable. The old one is retired only when the user
    closes this dialog, having seen the new one."""

    def __init__(self, recovery_key: str, parent=None):
        super().__init__(parent)
        self.recovery_key = recovery_key
        self.setWindowTitle("New recovery key")
        self.setText("The journal is re-encrypted under a new key. Store this new recovery "
                     f"key somewhere safe; it is shown only now:\n\n{recovery_key}\n\n"
                     "When you close this message, your old recovery key and old copies of "
                     "the header stop opening the journal.")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)


def rotate_encryption_key(ctx: AppContext, parent, on_done=None) -> QDialog | None:
    """Ask what the new key is kept under (the passphrase, if the vault has one), rotate on the
    write worker, then show the new recovery key. Returns the dialog it opened, if any."""
    vault = ctx.vault

    def run(passphrase: str | None) -> None:
        from services.vault.key_rotation import rotate_key

        ctx.tasks.write(rotate_key, vault, passphrase=passphrase, on_done=shown,
                        on_error=lambda err: report(err, parent))

    def shown(recovery_key: str) -> None:
        from services.vault.key_rotation import finish_rotation

        dialog = RecoveryKeyDialog(recovery_key, parent)  # the parent owns it
        dialog.finished.connect(lambda _: ctx.tasks.write(
            finish_rotation, vault, on_error=lambda err: report(err, parent),
            on_done=lambda _: ctx.notices.announce_kind("key")))
        dialog.open()
        if on_done is not None:
            on_done(recovery_key)

    if vaults.uses_passphrase(vault.root) or not vaults.uses_keychain(vault.root):
        dialog = PassphraseDialog(
            parent, title="Rotate the encryption key", label="Passphrase",
            intro="The journal is re-encrypted under a new key, kept under this passphrase "
                  "(your current one or a new one). You then get a new recovery key; old "
                  "copies of the header and the old recovery key stop working.")
        dialog.accepted.connect(lambda: run(dialog.values()))
        dialog.open()
        return dialog
    answer = QMessageBox.question(parent, "Rotate the encryption key",
                                  "Re-encrypt the journal under a new key? You get a new "
                                  "recovery key; the old one stops working.")
    if answer == QMessageBox.StandardButton.Yes:
        run(None)
    return None
