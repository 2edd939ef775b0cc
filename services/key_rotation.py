"""Rotate the encryption key: the journal is re-encrypted (SQLCipher rekey) under a new random
key, wrapped under the passphrase with a new salt and under a new recovery key. A copy of the
old header, with the old passphrase or recovery key, then opens nothing.

Crash-safe by its order; a kill at any step leaves a vault that opens:
1. the header gets a `pending` section (the new key's check and slots) beside the current
   one, written atomically; the keychain gets the new key under a second entry;
2. `PRAGMA rekey` rewrites every page in one transaction (in WAL mode: frames that count only
   once the commit frame is written);
3. the keychain's main entry gets the new key; the header's pending slots become the only ones;
   the second keychain entry goes.
At the next open, `services.vault` tries the new key, then the old one, and keeps the slots of
the one the database answers to (a rekey that committed is finished, one that did not is
abandoned).
"""

from __future__ import annotations

from models import db
from services import keychain, paths
from services.errors import InvalidInput, KeychainUnavailable, VaultLocked, WrongKey
from services.store import translate
from services.vault import (
    Vault,
    _check_files,
    _settle_rotation,
    pending_account,
)
from services.vault_header import key_check, new_key, new_recovery_key, write_header


def _step(name: str) -> None:
    """Called before each step that changes a file: the kill tests' fault-injection point."""


def rotate_key(vault: Vault, *, passphrase: str | None) -> str:
    """Re-encrypt the open vault's journal under a new key; returns the new recovery key (show
    it once: the old one stops working). `passphrase` (the current one or a new one) wraps the
    new key; it is required when the vault has a passphrase or no keychain."""
    if vault.engine is None:
        raise VaultLocked("The vault is locked.")
    if vault.read_only:
        raise InvalidInput("The journal's folder is read-only: the key cannot be rotated.")
    root = vault.root
    header = _check_files(root)
    old = vault.key
    if key_check(old) != header.check:
        raise WrongKey("That key does not belong to this vault.")
    if not passphrase and (header.has_passphrase or not header.keychain):
        raise InvalidInput("Give the passphrase (the current one or a new one): the new key is "
                           "kept under it.")
    new = new_key()
    recovery = new_recovery_key()
    header.begin_rotation(new, passphrase, recovery)
    _step("write pending header")
    write_header(paths.header_path(root), header)
    if header.keychain:
        _step("keychain pending entry")
        _keychain_store(pending_account(header.vault_id), new)
    # the rekey needs the database to itself: close the pool, rekey on one connection
    vault.engine.dispose()
    con = None
    try:
        con = db.connect(vault.db_path, old)
        _step("rekey")
        db.set_key(con, new, rekey=True)
    except db.DatabaseError as err:  # the rekey did not commit: the old key stays
        if con is not None:
            con.close()
        _settle_rotation(root, header, old)
        new[:] = bytes(len(new))
        raise translate(err) from err
    try:
        _step("checkpoint")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the new pages into the main file
    except db.DatabaseError:
        pass  # they stay in the -wal, committed: the next checkpoint moves them
    finally:
        con.close()
    _step("settle")
    _settle_rotation(root, header, new)
    old[:] = new  # the vault's buffer (the engine's creator shares it) now holds the new key
    new[:] = bytes(len(new))
    return recovery


def _keychain_store(account: str, key) -> None:
    try:
        keychain.store_key(account, key)
    except KeychainUnavailable:
        pass
