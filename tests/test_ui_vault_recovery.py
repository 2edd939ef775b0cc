"""The app when the journal cannot be opened (issue 10, items 3 and 7) and key rotation from
Settings (item 15). File dialogs and message boxes are faked: they are the boundary."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from services import journal, paths
from services import vault as vaults
from services.store import use_case
from services.vault import backup, keychain, vault_header
from services.vault.vault_header import key_check, read_header
from tests.ui_support import settle
from ui.app import open_or_create
from ui.context import AppContext
from ui.tasks import TaskRunner
from ui.vault_dialogs import UnlockForm
from ui.vault_recovery import DamagedDialog, RecoveryKeyDialog

PASS = "correct horse battery"


def add_entries(vault, n):
    with use_case(vault, write=True) as s:
        partner, _ = journal.ensure_partner(session=s, name="Helix")
        for i in range(n):
            journal.create_interaction(session=s, interaction_in={
                "partner_id": partner.id, "title": f"entry {i}"})


def count(vault) -> int:
    with use_case(vault) as s:
        return len(journal.list_interactions(session=s))


@pytest.fixture
def fresh_ctx(data_dir):
    ctx = AppContext(data_dir=data_dir, tasks=TaskRunner())
    yield ctx
    ctx.tasks.wait()
    if ctx.vault is not None:
        ctx.vault.lock()


def test_an_empty_journal_at_start_offers_its_backup(qtbot, vault, data_dir, tmp_path,
                                                     fresh_ctx, monkeypatch):
    add_entries(vault, 2)
    saved = backup.backup(vault=vault, target=tmp_path / "saved.backup")
    vault.lock()
    paths.db_path(data_dir).write_bytes(b"")  # a sync tool cut it to nothing
    shown = []

    def user_restores(self):
        shown.append(self.message.text())
        self.restore_button.click()
        return self.result()

    monkeypatch.setattr(DamagedDialog, "exec", user_restores)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(saved), ""))
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    assert open_or_create(fresh_ctx) is True
    assert "empty" in shown[0] and "damaged" in shown[0]
    assert count(fresh_ctx.vault) == 2
    kept = next(data_dir.glob("replaced-*"))
    assert (kept / paths.DB_NAME).stat().st_size == 0  # the damaged file, kept aside


def test_declining_the_backup_quits_and_creates_nothing(qtbot, vault, data_dir, fresh_ctx,
                                                        monkeypatch):
    vault.lock()
    paths.db_path(data_dir).write_bytes(b"")
    monkeypatch.setattr(DamagedDialog, "exec", lambda self: 0)
    with pytest.raises(vaults.CorruptVault) as quit_:  # the app exits 2
        open_or_create(fresh_ctx)
    assert quit_.value.shown  # already said in the dialog: no second box
    assert paths.db_path(data_dir).stat().st_size == 0 and fresh_ctx.vault is None


def test_the_unlock_screen_says_the_header_is_damaged_and_takes_the_recovery_key(
        qtbot, no_keyring, data_dir, fresh_ctx, monkeypatch):
    monkeypatch.setattr(vault_header, "SCRYPT_N", 2**14)
    created = vaults.create_vault(data_dir, passphrase=PASS)
    add_entries(created.vault, 1)
    created.vault.lock()
    header_file = paths.header_path(data_dir)
    header = json.loads(header_file.read_text())
    header["slots"]["passphrase"]["n"] = 3
    header_file.write_text(json.dumps(header))
    unlocked = []
    form = UnlockForm(fresh_ctx, lambda: unlocked.append(True))
    qtbot.addWidget(form)
    form.show()
    qtbot.keyClicks(form.secret, PASS)
    form.unlock_button.click()
    qtbot.waitUntil(lambda: form.error.isVisible(), timeout=5000)
    assert "damaged" in form.error.text() and "recovery key" in form.error.text()
    assert form.restore_button.isVisible()
    form.secret.clear()
    qtbot.keyClicks(form.secret, created.recovery_key)
    form.unlock_button.click()
    qtbot.waitUntil(lambda: unlocked == [True], timeout=5000)
    assert count(fresh_ctx.vault) == 1


def test_rotate_the_key_from_settings(qtbot, window, memory_keyring, monkeypatch):
    ctx = window.ctx
    old_check = read_header(paths.header_path(ctx.data_dir)).check
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    shown = []
    monkeypatch.setattr(RecoveryKeyDialog, "open", lambda self: shown.append(self))
    window.open_settings()
    assert window.dialog.rotate_button.text().startswith("Rotate the encryption key")
    window.dialog.rotate_key.emit()
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=5000)
    header = read_header(paths.header_path(ctx.data_dir))
    assert header.pending is not None  # shown, not yet closed: the old recovery key still works
    window.after_unlock()  # as the next start would find it, were the app stopped here
    settle(qtbot, ctx)
    assert "key rotation was not finished" in window.message.text()
    shown[0].done(0)  # the user closes the message, having seen the new key
    settle(qtbot, ctx)
    assert "key rotation" not in window.message.text()
    header = read_header(paths.header_path(ctx.data_dir))
    assert header.check != old_check and header.pending is None
    assert key_check(keychain.load_key(ctx.vault.vault_id)) == header.check
    add_entries(ctx.vault, 1)  # the open window goes on working under the new key
    assert count(ctx.vault) == 1
    window.dialog.reject()
