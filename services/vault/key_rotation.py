"""Rotate the encryption key: the journal is re-encrypted (SQLCipher rekey) under a new random
key, wrapped under the passphrase with a new salt and under a new recovery key. Once finished, a
copy of the old header, with the old passphrase or recovery key, opens nothing.

Rotation is a protocol in two calls, so that no fault locks the user out and no recovery key is
voided before its successor has been shown:

`rotate_key` (nothing is retired yet)
1. the header gets a `pending` section (the new key's check and slots) beside the current one,
   and the new key sealed under the current key (its successor); written atomically, and put
   back if the disk fails after the rename. The keychain gets the new key under a second entry.
2. `PRAGMA rekey` rewrites every page in one transaction.
3. the rekey is verified by opening the file afresh with the new key and checking every page;
   if it did not take, the old key is verified instead and the pending section dropped.
   It returns the new recovery key: it works now, and so does every older secret (through
   the chain).

`finish_rotation`, once the caller has shown the new recovery key: the pending slots become
the only ones, the chain goes, and the keychain's main entry holds the new key.

A kill or an I/O error at any step leaves a vault that opens with the passphrase and with every
recovery key that was shown and not yet replaced by a finished rotation
(tests/test_rotation_faults.py injects one at every fsync, rename and write).
"""

from __future__ import annotations

from models import db
from services import files, paths
from services.errors import (
    ConfidantError,
    CorruptVault,
    InvalidInput,
    KeychainUnavailable,
    StorageFull,
    VaultInUse,
    VaultLocked,
    WrongKey,
)
from services.store import translate
from services.vault import Vault, _check_files, keychain, pending_account
from services.vault.vault_header import key_check, new_key, new_recovery_key, write_header


def _step(name: str) -> None:
    """Called before each step that changes a file: the kill tests' fault-injection point."""


def rotate_key(vault: Vault, *, passphrase: str | None) -> str:
    """Re-encrypt the open vault's journal under a new key; returns the new recovery key. Show
    it, then call `finish_rotation`: until then the old secrets keep working too. `passphrase`
    (the current one or a new one) wraps the new key; it is required when the vault has a
    passphrase or no keychain."""
    if vault.engine is None:
        raise VaultLocked("The vault is locked.")
    if vault.read_only:
        raise InvalidInput("The journal's folder is read-only: the key cannot be rotated.")
    root = vault.root
    if paths.app_running(root) and not paths.lock_is_ours(root):
        raise VaultInUse("Confidant is open on this journal: close it, then rotate the key.")
    header = _check_files(root)
    old = vault.key
    if key_check(old) not in header.checks() and header.check:
        raise WrongKey("That key does not belong to this vault.")
    if not passphrase and (header.has_passphrase or not header.keychain):
        raise InvalidInput("Give the passphrase (the current one or a new one): the new key is "
                           "kept under it.")
    new = new_key()
    recovery = new_recovery_key()
    header.begin_rotation(old, new, passphrase, recovery)
    _step("write pending header")
    write_header(paths.header_path(root), header)
    if header.keychain:
        _step("keychain pending entry")
        _keychain_store(pending_account(header.vault_id), new)
    vault.engine.dispose()  # the rekey needs the database to itself
    try:
        _step("rekey")
        _rekey(vault.db_path, old, new)
        _step("verify")
        _verify(vault.db_path, new)
    except (db.DatabaseError, ConfidantError) as err:
        reason = ("the disk is full" if files.is_disk_full(err) or files.no_space_left(root)
                  else str(err) if isinstance(err, ConfidantError) else str(translate(err)))
        if _undo(vault, header, old, new):
            raise StorageFull(f"The key was not rotated ({reason.rstrip('.')}). The journal "
                              "is as it was: your passphrase and recovery key open it.") from err
        raise CorruptVault(f"The key rotation did not finish ({reason.rstrip('.')}). Your "
                           "passphrase and your recovery key still open the journal; check "
                           "the disk, then rotate again.") from err
    old[:] = new  # the vault's buffer (the engine's creator shares it) now holds the new key
    new[:] = bytes(len(new))
    vault.rotation_unfinished = True  # until finish_rotation: the old secrets still open it
    return recovery


def finish_rotation(vault: Vault) -> None:
    """The new recovery key has been shown: retire every older key. A failure here keeps the
    older secrets working (the rotation stays unfinished) and is raised for the caller to say."""
    header = _check_files(vault.root)
    if header.pending is None or key_check(vault.key) != header.pending["key_check"]:
        return
    header.finish_rotation()
    if header.keychain:
        _step("keychain main entry")
        _keychain_store(header.vault_id, vault.key)
    _step("finish header")
    write_header(paths.header_path(vault.root), header)
    vault.rotation_unfinished = False
    try:
        keychain.forget_key(pending_account(header.vault_id))
    except KeychainUnavailable:
        pass


def _rekey(db_file, old, new) -> None:
    con = db.connect(db_file, old)
    try:
        db.set_key(con, new, rekey=True)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the new pages into the main file
    finally:
        con.close()


def _verify(db_file, key) -> None:
    """The file opens afresh with `key` and every page decrypts, or CorruptVault."""
    con = db.connect(db_file, key)
    try:
        bad = con.execute("PRAGMA cipher_integrity_check").fetchall()
    finally:
        con.close()
    if bad:
        raise CorruptVault("The journal did not verify under its new key.")


def _undo(vault: Vault, header, old, new) -> bool:
    """The rekey failed or did not verify: find the key the file answers to. Under the old key,
    the rotation is dropped (its recovery key was never shown) and True returned; under the new
    one, it stands unfinished, so both keys' secrets open it."""
    try:
        _verify(vault.db_path, old)
    except (db.DatabaseError, ConfidantError):
        try:
            _verify(vault.db_path, new)
            old[:] = new  # the rekey did take: the vault's key is the new one
        except (db.DatabaseError, ConfidantError):
            pass  # neither verifies now (the disk fails): the header keeps both keys
        new[:] = bytes(len(new))
        return False
    new[:] = bytes(len(new))
    header.abandon_rotation()
    try:
        write_header(paths.header_path(vault.root), header)
    except (ConfidantError, OSError):
        pass  # the pending section is harmless: the next open drops it
    return True


def _keychain_store(account: str, key) -> None:
    try:
        keychain.store_key(account, key)
    except KeychainUnavailable:
        pass
