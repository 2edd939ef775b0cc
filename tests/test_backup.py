"""Backups are encrypted and consistent; a restore verifies before it replaces anything."""

from __future__ import annotations

import threading
import zipfile

import pytest

from services import journal, paths
from services import vault as vaults
from services.errors import CorruptVault, InvalidInput, WrongKey
from services.store import use_case
from services.vault import backup
from tests.helpers import snapshot


def add_entries(vault, partner_name, n):
    with use_case(vault) as s:
        partner, _ = journal.ensure_partner(session=s, name=partner_name)
        for i in range(n):
            journal.create_interaction(session=s, interaction_in={
                "partner_id": partner.id, "title": f"entry {i}", "notes": "BACKUPMARKER"})


def titles(vault):
    with use_case(vault) as s:
        return sorted(i.title for i in journal.list_interactions(session=s))


def test_backup_is_encrypted_and_restores(vault, data_dir, tmp_path):
    add_entries(vault, "Helix", 3)
    target = backup.backup(vault=vault, target=tmp_path / "out" / "journal.backup")
    assert b"BACKUPMARKER" not in target.read_bytes()
    add_entries(vault, "Helix", 2)  # after the backup: gone once restored
    vault.lock()
    aside = backup.restore(root=data_dir, source=target)
    assert (aside / paths.DB_NAME).exists() and (aside / paths.HEADER_NAME).exists()
    restored = vaults.open_vault(data_dir)
    assert titles(restored) == ["entry 0", "entry 1", "entry 2"]
    restored.lock()
    kept = vaults.open_with_key(aside, _key_of(aside))
    assert len(titles(kept)) == 5
    kept.lock()


def _key_of(root):
    from services.vault import keychain
    from services.vault.vault_header import read_header

    return keychain.load_key(read_header(paths.header_path(root)).vault_id)


def test_backup_while_another_connection_writes(vault, tmp_path):
    add_entries(vault, "Northwind", 50)
    stop = threading.Event()

    def writer():
        while not stop.is_set():
            add_entries(vault, "Northwind", 1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        targets = [backup.backup(vault=vault, target=tmp_path / f"b{i}.backup") for i in range(3)]
    finally:
        stop.set()
        thread.join()
    for target in targets:
        folder = tmp_path / target.stem
        zipfile.ZipFile(target).extractall(folder)
        backup.verify(folder, vault.key)


def test_damaged_backup_is_refused_and_vault_unchanged(vault, data_dir, tmp_path):
    add_entries(vault, "Kestrel", 2)
    good = backup.backup(vault=vault, target=tmp_path / "good.backup")
    vault.lock()
    before = snapshot(data_dir)

    folder = tmp_path / "unpacked"
    zipfile.ZipFile(good).extractall(folder)
    db_bytes = bytearray((folder / paths.DB_NAME).read_bytes())
    db_bytes[5000] ^= 0xFF  # one flipped bit inside page 2
    damaged = tmp_path / "damaged.backup"
    with zipfile.ZipFile(damaged, "w") as archive:
        archive.writestr(paths.DB_NAME, bytes(db_bytes))
        archive.write(folder / paths.HEADER_NAME, paths.HEADER_NAME)
    not_zip = tmp_path / "notes.txt"
    not_zip.write_text("not a backup")

    with pytest.raises(CorruptVault):
        backup.restore(root=data_dir, source=damaged)
    with pytest.raises(CorruptVault, match="not a readable"):
        backup.restore(root=data_dir, source=not_zip)
    with pytest.raises(InvalidInput, match="No backup file"):
        backup.restore(root=data_dir, source=tmp_path / "missing.backup")
    with pytest.raises(WrongKey):
        backup.restore(root=data_dir, source=good, passphrase="wrong passphrase")
    assert snapshot(data_dir) == before


def test_unwritable_target(vault, tmp_path):
    with pytest.raises(InvalidInput, match="folder"):
        backup.backup(vault=vault, target=tmp_path)


def test_restore_refuses_while_the_app_has_the_journal_open(vault, data_dir, tmp_path, qapp):
    from services.errors import VaultInUse
    from ui.app import instance_lock

    target = backup.backup(vault=vault, target=tmp_path / "b.backup")
    vault.lock()
    lock = instance_lock(data_dir)  # what a running window holds
    try:
        before = snapshot(data_dir)
        with pytest.raises(VaultInUse, match="close it"):
            backup.restore(root=data_dir, source=target)
        assert snapshot(data_dir) == before
    finally:
        lock.unlock()
    backup.restore(root=data_dir, source=target)  # once it is closed
