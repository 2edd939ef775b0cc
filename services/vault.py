"""The vault: create, open and lock the encrypted journal.

Unlocking tries, in order: a passphrase given (or CONFIDANT_PASSPHRASE), a recovery key given,
the OS keychain, then `ask()` (a TTY prompt or a dialog). A failed open leaves every file as it
was: sidecar files (-wal, -shm) that the attempt created are removed again.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from models import db
from services import keychain, paths
from services.errors import (
    CorruptVault,
    InvalidInput,
    KeychainUnavailable,
    NeedsPassphrase,
    NoVault,
    VaultExists,
    VaultLocked,
    WrongKey,
)
from services.vault_header import Header, key_check, new_recovery_key, read_header, write_header

ENV_PASSPHRASE = "CONFIDANT_PASSPHRASE"
SQLITE_MAGIC = b"SQLite format 3\x00"
PAGE_SIZE = 4096
SIDECARS = ("-wal", "-shm", "-journal")


@dataclass
class Vault:
    root: Path
    vault_id: str
    engine: Engine | None
    unlocked_by: str = ""
    _key: bytearray | None = field(default=None, repr=False)

    @property
    def db_path(self) -> Path:
        return paths.db_path(self.root)

    def session(self) -> Session:
        if self.engine is None:
            raise VaultLocked("The vault is locked.")
        return Session(self.engine, expire_on_commit=False)

    @property
    def key(self) -> bytes:
        if self._key is None:
            raise VaultLocked("The vault is locked.")
        return bytes(self._key)

    @property
    def is_locked(self) -> bool:
        return self.engine is None

    def lock(self) -> None:
        """Close every connection and drop the key."""
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        if self._key is not None:
            self._key[:] = bytes(len(self._key))
            self._key = None


@dataclass
class CreatedVault:
    vault: Vault
    recovery_key: str
    in_keychain: bool


def exists(root: Path) -> bool:
    return paths.header_path(root).exists() or paths.db_path(root).exists()


def create_vault(root: Path, *, passphrase: str | None = None,
                 use_keychain: bool = True) -> CreatedVault:
    """A new, empty vault. At least one of the keychain and a passphrase must hold the key."""
    root.mkdir(parents=True, exist_ok=True)
    if exists(root):
        raise VaultExists(f"A vault already exists in {root}.")
    passphrase = passphrase if passphrase is not None else os.environ.get(ENV_PASSPHRASE)
    key = secrets.token_bytes(32)
    header = Header(vault_id=str(uuid.uuid4()), check=key_check(key))
    if passphrase:
        header.set_passphrase(key, passphrase)
    recovery = new_recovery_key()
    header.set_recovery_key(key, recovery)
    in_keychain = False
    if use_keychain:
        try:
            in_keychain = keychain.store_key(header.vault_id, key)
        except KeychainUnavailable:
            in_keychain = False
    if not in_keychain and not passphrase:
        raise InvalidInput("No system keychain is available: choose a passphrase "
                              f"(or set {ENV_PASSPHRASE}).")
    header.keychain = in_keychain
    write_header(paths.header_path(root), header)
    vault = open_with_key(root, key, vault_id=header.vault_id)
    vault.unlocked_by = "new"
    return CreatedVault(vault, recovery, in_keychain)


def _check_files(root: Path) -> Header:
    header_file, db_file = paths.header_path(root), paths.db_path(root)
    if not header_file.exists():
        if db_file.exists():
            with open(db_file, "rb") as fh:
                plain = fh.read(16) == SQLITE_MAGIC
            raise CorruptVault(f"{db_file} is a plain SQLite file, not a Confidant vault."
                               if plain else
                               f"The vault header ({header_file.name}) is missing beside "
                               f"{db_file}.")
        raise NoVault(f"No vault in {root}. Create one with 'confidant init'.")
    header = read_header(header_file)
    if not db_file.exists():
        raise CorruptVault(f"The journal file {db_file} is missing.")
    size = db_file.stat().st_size
    if size % PAGE_SIZE:
        raise CorruptVault(f"The journal file {db_file.name} is damaged (truncated).")
    return header


def find_key(header: Header, *, passphrase: str | None, recovery_key: str | None,
             use_keychain: bool, ask: Callable[[], str | None] | None) -> tuple[bytes, str]:
    """The raw key and what gave it, in the documented order."""
    passphrase = passphrase if passphrase is not None else os.environ.get(ENV_PASSPHRASE)
    if passphrase:
        key = header.unwrap_with_passphrase(passphrase) or header.unwrap_with_recovery_key(
            passphrase)
        if key is None:
            raise WrongKey("Wrong passphrase." if header.has_passphrase else
                           "This vault has no passphrase; that is not its recovery key either.")
        return key, "passphrase"
    if recovery_key:
        key = header.unwrap_with_recovery_key(recovery_key)
        if key is None:
            raise WrongKey("Wrong recovery key.")
        return key, "recovery"
    if use_keychain and header.keychain:  # 'always ask' vaults keep nothing in the keychain
        try:
            key = keychain.load_key(header.vault_id)
        except KeychainUnavailable:
            key = None
        if key is not None and key_check(key) == header.check:
            return key, "keychain"
    if ask is not None:
        answer = ask()
        if answer:
            return find_key(header, passphrase=answer, recovery_key=None, use_keychain=False,
                            ask=None)
    raise NeedsPassphrase(f"The vault is locked: give its passphrase or recovery key "
                          f"(or set {ENV_PASSPHRASE}).")


def open_vault(root: Path, *, passphrase: str | None = None, recovery_key: str | None = None,
               use_keychain: bool = True, ask: Callable[[], str | None] | None = None) -> Vault:
    header = _check_files(root)
    key, how = find_key(header, passphrase=passphrase, recovery_key=recovery_key,
                        use_keychain=use_keychain, ask=ask)
    vault = open_with_key(root, key, vault_id=header.vault_id)
    vault.unlocked_by = how
    if how != "keychain" and use_keychain and header.keychain:
        try:  # the keychain lost its entry (reinstall, new machine): put it back
            keychain.store_key(header.vault_id, key)
        except KeychainUnavailable:
            pass
    return vault


@contextmanager
def _no_new_sidecars(db_file: Path):
    """On failure, remove the -wal/-shm files this attempt created, so nothing changed."""
    before = {s for s in SIDECARS if Path(f"{db_file}{s}").exists()}
    try:
        yield
    except BaseException:
        for suffix in set(SIDECARS) - before:
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
        raise


def open_with_key(root: Path, key: bytes, *, vault_id: str = "") -> Vault:
    """Open with the raw key (no KDF): the fast path, and the one the benchmark times."""
    db_file = paths.db_path(root)
    with _no_new_sidecars(db_file):
        try:
            con = db.connect(db_file, key)
            try:
                pages = con.execute("PRAGMA page_count").fetchone()[0]
                wal = Path(f"{db_file}-wal")
                if pages * PAGE_SIZE > db_file.stat().st_size and not (
                        wal.exists() and wal.stat().st_size):
                    raise CorruptVault(f"The journal file {db_file.name} is damaged "
                                       "(truncated).")
            finally:
                con.close()
        except db.DatabaseError as err:
            raise CorruptVault(f"The journal file {db_file.name} cannot be read: it is damaged "
                               "or not a Confidant journal.") from err
        engine = db.make_engine(db_file, key)
        try:
            db.migrate(engine)
        except db.DatabaseError as err:
            engine.dispose()
            raise CorruptVault(f"The journal file {db_file.name} is damaged ({err}).") from err
    return Vault(root, vault_id, engine, _key=bytearray(key))


def unlock(vault: Vault, **credentials) -> Vault:
    """Reopen a locked vault in place (same object, so windows keep their reference)."""
    fresh = open_vault(vault.root, **credentials)
    vault.engine, vault.unlocked_by, vault._key = fresh.engine, fresh.unlocked_by, fresh._key
    return vault


def set_passphrase(root: Path, *, key: bytes, new_passphrase: str) -> None:
    """Wrap the key (from an opened vault) under a new passphrase; the old one stops working."""
    header = _check_files(root)
    if key_check(key) != header.check:
        raise WrongKey("That key does not belong to this vault.")
    header.set_passphrase(key, new_passphrase)
    write_header(paths.header_path(root), header)


def uses_keychain(root: Path) -> bool:
    return _check_files(root).keychain


def set_keychain(root: Path, *, key: bytes, remember: bool) -> bool:
    """Keep the key in the system keychain (opens without a prompt) or not ('always ask for
    the passphrase'). Returns whether the keychain now holds it."""
    header = _check_files(root)
    if key_check(key) != header.check:
        raise WrongKey("That key does not belong to this vault.")
    if remember:
        stored = keychain.store_key(header.vault_id, key)
        if not stored:
            raise KeychainUnavailable("No system keychain is available on this computer.")
    else:
        if not header.has_passphrase:
            raise InvalidInput("Set a passphrase first: without the keychain, it is what opens "
                               "the journal.")
        keychain.forget_key(header.vault_id)
    header.keychain = remember
    write_header(paths.header_path(root), header)
    return remember
