"""The vault: unlocking paths, wrong keys and damaged files leave everything unchanged."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from services import journal, paths
from services import vault as vaults
from services.errors import CorruptVault, InvalidInput, NoVault, VaultExists, VaultLocked, WrongKey
from services.store import use_case
from services.vault import keychain
from tests.helpers import snapshot

PASS = "correct horse battery"


@pytest.fixture
def closed_vault(data_dir):
    """A vault with a passphrase and one entry, closed again."""
    created = vaults.create_vault(data_dir, passphrase=PASS)
    with use_case(created.vault) as s:
        p = journal.create_partner(session=s, partner_in={"name": "Acme"})
        journal.create_interaction(session=s, interaction_in={"partner_id": p.id, "title": "x"})
    created.vault.lock()
    return created


def count_entries(vault) -> int:
    with use_case(vault) as s:
        return len(journal.list_interactions(session=s))


def test_open_from_keychain_without_passphrase(closed_vault, data_dir):
    vault = vaults.open_vault(data_dir)
    assert vault.unlocked_by == "keychain"
    assert count_entries(vault) == 1
    vault.lock()


def test_passphrase_from_environment_comes_first(closed_vault, data_dir, monkeypatch):
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", PASS)
    vault = vaults.open_vault(data_dir)
    assert vault.unlocked_by == "passphrase"
    vault.lock()


def test_connection_pragmas(vault):
    with use_case(vault) as s:
        conn = s.connection()
        values = {p: conn.execute(text(f"PRAGMA {p}")).scalar()
                  for p in ("journal_mode", "synchronous", "temp_store", "foreign_keys")}
    assert values == {"journal_mode": "wal", "synchronous": 2, "temp_store": 2,
                      "foreign_keys": 1}


def test_keychain_lost_passphrase_and_recovery_key_still_open(closed_vault, data_dir,
                                                              memory_keyring):
    memory_keyring.store.clear()
    with pytest.raises(vaults.NeedsPassphrase):
        vaults.open_vault(data_dir)
    by_pass = vaults.open_vault(data_dir, passphrase=PASS)
    assert count_entries(by_pass) == 1
    by_pass.lock()
    memory_keyring.store.clear()
    by_recovery = vaults.open_vault(data_dir, recovery_key=closed_vault.recovery_key.lower())
    assert by_recovery.unlocked_by == "recovery" and count_entries(by_recovery) == 1
    by_recovery.lock()
    # opening with the passphrase put the key back into the keychain
    assert keychain.load_key(closed_vault.vault.vault_id) is not None


def test_ask_callback_is_the_last_resort(closed_vault, data_dir, memory_keyring):
    memory_keyring.store.clear()
    asked = []
    vault = vaults.open_vault(data_dir, ask=lambda: asked.append(1) or PASS)
    assert asked == [1] and vault.unlocked_by == "passphrase"
    vault.lock()


def test_no_keychain_is_normal(no_keyring, data_dir):
    with pytest.raises(InvalidInput, match="passphrase"):
        vaults.create_vault(data_dir)
    created = vaults.create_vault(data_dir, passphrase=PASS)
    assert created.in_keychain is False
    created.vault.lock()
    with pytest.raises(vaults.NeedsPassphrase, match="CONFIDANT_PASSPHRASE"):
        vaults.open_vault(data_dir)
    vaults.open_vault(data_dir, passphrase=PASS).lock()


def test_wrong_passphrase_changes_nothing(closed_vault, data_dir):
    before = snapshot(data_dir)
    with pytest.raises(WrongKey, match="Wrong passphrase"):
        vaults.open_vault(data_dir, passphrase="not the passphrase")
    with pytest.raises(WrongKey):
        vaults.open_vault(data_dir, recovery_key="AAAA-" * 7 + "AAAA")
    assert snapshot(data_dir) == before


def test_truncated_file_is_reported_and_left_alone(closed_vault, data_dir):
    db_file = paths.db_path(data_dir)
    for cut in (db_file.stat().st_size - 100, vaults.PAGE_SIZE):
        data = db_file.read_bytes()
        db_file.write_bytes(data[:cut])
        before = snapshot(data_dir)
        with pytest.raises(CorruptVault):
            vaults.open_vault(data_dir)
        assert snapshot(data_dir) == before
        db_file.write_bytes(data)


def test_text_file_renamed_to_the_vault(closed_vault, data_dir):
    for size in (9200, 2 * vaults.PAGE_SIZE):  # any size, and one that looks page-aligned
        paths.db_path(data_dir).write_bytes(("minutes of the meeting\n" * 400).encode()[:size])
        before = snapshot(data_dir)
        with pytest.raises(CorruptVault, match="damaged"):
            vaults.open_vault(data_dir)
        assert snapshot(data_dir) == before


def test_plain_sqlite_file_is_not_a_vault(data_dir):
    con = sqlite3.connect(paths.db_path(data_dir))
    con.execute("create table t(x)")
    con.close()
    before = snapshot(data_dir)
    with pytest.raises(CorruptVault, match="plain SQLite"):
        vaults.open_vault(data_dir)
    assert snapshot(data_dir) == before


def test_missing_vault_and_damaged_header(data_dir, closed_vault, tmp_path):
    with pytest.raises(NoVault):
        vaults.open_vault(tmp_path / "elsewhere")
    paths.header_path(data_dir).write_text("{not json")
    with pytest.raises(CorruptVault, match="header"):
        vaults.open_vault(data_dir)


def test_create_refuses_existing_vault(closed_vault, data_dir):
    with pytest.raises(VaultExists):
        vaults.create_vault(data_dir, passphrase=PASS)


def test_change_passphrase(closed_vault, data_dir):
    vault = vaults.open_vault(data_dir)
    vaults.set_passphrase(data_dir, key=vault.key, new_passphrase="a brand new phrase")
    vault.lock()
    with pytest.raises(WrongKey):
        vaults.open_vault(data_dir, passphrase=PASS)
    vaults.open_vault(data_dir, passphrase="a brand new phrase").lock()
    with pytest.raises(WrongKey):
        vaults.set_passphrase(data_dir, key=b"\0" * 32, new_passphrase="another phrase")


def test_short_passphrase_refused(data_dir):
    with pytest.raises(InvalidInput, match="8 characters"):
        vaults.create_vault(data_dir, passphrase="short")


def test_lock_drops_engine_and_key(vault):
    vault.lock()
    assert vault.is_locked
    with pytest.raises(VaultLocked):
        vault.session()
    with pytest.raises(VaultLocked):
        _ = vault.key
    vaults.unlock(vault)
    assert count_entries(vault) == 0


def test_always_ask_keeps_nothing_in_the_keychain(closed_vault, data_dir, memory_keyring):
    vault = vaults.open_vault(data_dir)
    assert vaults.uses_keychain(data_dir)
    vaults.set_keychain(data_dir, key=vault.key, remember=False)
    vault.lock()
    assert memory_keyring.store == {} and not vaults.uses_keychain(data_dir)
    with pytest.raises(vaults.NeedsPassphrase):
        vaults.open_vault(data_dir)
    again = vaults.open_vault(data_dir, passphrase=PASS)
    assert memory_keyring.store == {}  # opening with the passphrase does not put it back
    vaults.set_keychain(data_dir, key=again.key, remember=True)
    again.lock()
    assert vaults.open_vault(data_dir).unlocked_by == "keychain"


def test_always_ask_needs_a_passphrase(vault, data_dir):
    with pytest.raises(InvalidInput, match="passphrase first"):
        vaults.set_keychain(data_dir, key=vault.key, remember=False)
