"""First run (create the vault, show the recovery key once) and unlock (passphrase or recovery
key, retry on a wrong one). Both work through the task helper: scrypt takes half a second."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from services import vault as vaults
from services.errors import CorruptVault
from services.vault import keychain
from ui.context import AppContext
from ui.errors import report


def _error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("error")  # coloured by resources/confidant.qss
    label.setWordWrap(True)
    label.hide()
    return label


class FirstRunDialog(QDialog):
    """Create the vault: optional passphrase (required without a keychain), then the recovery
    key, which the user must confirm they stored."""

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.recovery_key = ""
        self.setWindowTitle("Welcome to Confidant")
        self.pages = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.pages.addWidget(self._passphrase_page())
        self.pages.addWidget(self._recovery_page())
        self.resize(520, 360)

    def _passphrase_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        title = QLabel("<h2>Your private alliance journal</h2>")
        has_keychain = keychain.available()
        intro = QLabel(
            "Everything you write stays on this computer, encrypted. "
            + ("The key is kept in your system keychain, so a passphrase is optional: add one "
               "if you want to open the journal elsewhere or without the keychain."
               if has_keychain else
               "This computer has no system keychain, so choose a passphrase to open your "
               "journal."))
        intro.setWordWrap(True)
        form = QFormLayout()
        self.passphrase = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("optional" if has_keychain else "at least 8 characters")
        self.confirm = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        form.addRow("Passphrase", self.passphrase)
        form.addRow("Repeat it", self.confirm)
        self.error = _error_label()
        for field in (self.passphrase, self.confirm):  # a message about what was typed goes
            field.textChanged.connect(self.error.hide)  # once the typing changes
        buttons = QDialogButtonBox()
        self.create_button = buttons.addButton("Create my journal",
                                               QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.create)
        buttons.rejected.connect(self.reject)
        for w in (title, intro):
            layout.addWidget(w)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch()
        layout.addWidget(buttons)
        return page

    def _recovery_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        text = QLabel("<h3>Your recovery key</h3>It opens your journal if you forget the "
                      "passphrase or lose the keychain. It is shown <b>only now</b>: store it "
                      "somewhere safe, away from this computer (a password manager, or paper).")
        text.setWordWrap(True)
        self.key_label = QLabel()
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(font.pointSize() + 3)
        self.key_label.setFont(font)
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row = QHBoxLayout()
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.recovery_key))
        row.addWidget(self.key_label, 1)
        row.addWidget(self.copy_button)
        self.stored = QCheckBox("I have stored my recovery key somewhere safe")
        self.finish_button = QPushButton("Open my journal")
        self.finish_button.setEnabled(False)
        self.stored.toggled.connect(self.finish_button.setEnabled)
        self.finish_button.clicked.connect(self.accept)
        layout.addWidget(text)
        layout.addLayout(row)
        layout.addWidget(self.stored)
        layout.addStretch()
        layout.addWidget(self.finish_button, alignment=Qt.AlignmentFlag.AlignRight)
        return page

    def create(self) -> None:
        passphrase, again = self.passphrase.text(), self.confirm.text()
        if passphrase != again:
            return self._fail("The two passphrases differ.")
        self.create_button.setEnabled(False)
        self.ctx.tasks.run(vaults.create_vault, self.ctx.data_dir, passphrase=passphrase or None,
                           on_done=self._created, on_error=self._failed)

    def _created(self, created: vaults.CreatedVault) -> None:
        self.ctx.vault = created.vault
        self.recovery_key = created.recovery_key
        self.key_label.setText(created.recovery_key)
        self.pages.setCurrentIndex(1)

    def _failed(self, err: BaseException) -> None:
        self.create_button.setEnabled(True)
        report(err, self, self._fail)

    def _fail(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def reject(self) -> None:  # the recovery key must be acknowledged once the vault exists
        if self.pages.currentIndex() == 0:
            super().reject()


class UnlockForm(QWidget):
    """Passphrase or recovery key, with an error line; used by the dialog and the lock screen."""

    def __init__(self, ctx: AppContext, on_unlocked, parent=None):
        super().__init__(parent)
        self.ctx, self.on_unlocked = ctx, on_unlocked
        layout = QVBoxLayout(self)
        self.prompt = QLabel("Enter your passphrase or recovery key.")
        self.secret = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("passphrase or recovery key")
        self.secret.returnPressed.connect(self.unlock)
        self.error = _error_label()
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.unlock)
        # offered when the journal or its header is damaged (the recovery key may still work)
        self.restore_button = QPushButton("Restore from a backup…")
        self.restore_button.clicked.connect(self.restore)
        self.restore_button.hide()
        for w in (self.prompt, self.secret, self.error):
            layout.addWidget(w)
        row = QHBoxLayout()
        row.addWidget(self.restore_button)
        row.addStretch()
        row.addWidget(self.unlock_button)
        layout.addLayout(row)

    def unlock(self) -> None:
        secret = self.secret.text()
        if not secret and not keychain.available():
            self.error.setText("Type your passphrase or recovery key.")
            self.error.show()
            return
        self.unlock_button.setEnabled(False)
        self.ctx.tasks.run(self._open, secret or None, on_done=self._opened,
                           on_error=self._failed)

    def _open(self, secret: str | None) -> vaults.Vault:
        if self.ctx.vault is not None:
            return vaults.unlock(self.ctx.vault, passphrase=secret)
        return vaults.open_vault(self.ctx.data_dir, passphrase=secret)

    def _opened(self, vault: vaults.Vault) -> None:
        self.ctx.vault = vault
        self.secret.clear()
        self.error.hide()
        self.unlock_button.setEnabled(True)
        self.on_unlocked()

    def _failed(self, err: BaseException) -> None:
        self.unlock_button.setEnabled(True)
        if report(err, self, self.error.setText) is None:
            return
        self.error.show()
        self.restore_button.setVisible(isinstance(err, CorruptVault))
        self.secret.selectAll()
        self.secret.setFocus()

    def restore(self) -> None:
        from ui.vault_recovery import restore_from_backup

        if restore_from_backup(self.ctx, self):
            self.restore_button.hide()
            self.error.hide()
            self.prompt.setText("The backup is restored. Enter its passphrase or recovery key.")


class UnlockDialog(QDialog):
    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Unlock Confidant")
        layout = QVBoxLayout(self)
        self.form = UnlockForm(ctx, self.accept, self)
        layout.addWidget(self.form)
        self.resize(420, 160)
