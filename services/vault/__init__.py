"""The vault: create, open and lock the encrypted journal.

Unlocking tries, in order: a passphrase given (or CONFIDANT_PASSPHRASE), a recovery key given,
the OS keychain, then `ask()` (a TTY prompt or a dialog). A failed open leaves every file as it
was: sidecar files (-wal, -shm) that the attempt created are removed again.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from models import db
from services import files, paths
from services.errors import (
    ConfidantError,
    CorruptVault,
    InvalidInput,
    KeychainUnavailable,
    NeedsPassphrase,  # noqa: F401 - callers catch vaults.NeedsPassphrase
    NoVault,
    ReadOnlyJournal,
    StorageFull,
    VaultExists,
    VaultLocked,
    WrongKey,
)
from services.vault import keychain, pending_restore
from services.vault.unlock_keys import (  # noqa: F401 - part of this module's interface
    ENV_PASSPHRASE,
    find_key,
    find_keys,
    pending_account,
)
from services.vault.vault_header import (
    Header,
    key_check,
    new_key,
    new_recovery_key,
    read_header,
    write_header,
)

READ_ONLY = "The journal's folder is read-only."
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
    read_only: bool = False  # the data dir cannot be written: reading works, writes fail
    # a key rotation re-encrypted the journal but was not confirmed as shown: the older
    # passphrase and recovery key still open it (rotate again to retire them)
    rotation_unfinished: bool = False

    @property
    def db_path(self) -> Path:
        return paths.db_path(self.root)

    def session(self, *, write: bool = False) -> Session:
        """A session for one use case (see services.store.use_case); a write session's
        transactions begin IMMEDIATE, so they wait for a busy journal instead of failing."""
        if self.engine is None:
            raise VaultLocked("The vault is locked.")
        bind = self.engine.execution_options(begin="IMMEDIATE") if write else self.engine
        return Session(bind, expire_on_commit=False)

    @property
    def key(self) -> bytearray:
        """The raw key: the vault's own buffer, not a copy (lock() zeroes it; do not keep it)."""
        if self._key is None:
            raise VaultLocked("The vault is locked.")
        return self._key

    @property
    def is_locked(self) -> bool:
        return self.engine is None

    def lock(self) -> None:
        """Close every connection and drop the key."""
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        if self._key is not None:
            self._key[:] = bytes(len(self._key))  # the engine's creator shares this buffer
            self._key = None


@dataclass
class CreatedVault:
    vault: Vault
    recovery_key: str
    in_keychain: bool


def exists(root: Path) -> bool:
    """Whether `root` holds a vault, or the pieces of one (a restore interrupted or kept
    aside): never offer to create a new vault over those. Finishes an interrupted restore."""
    pending_restore.finish(root)
    return (paths.header_path(root).exists() or paths.db_path(root).exists()
            or pending_restore.pieces_aside(root) is not None)


def exists_message(root: Path) -> str:
    aside = None
    if not (paths.header_path(root).exists() or paths.db_path(root).exists()):
        aside = pending_restore.pieces_aside(root)
    if aside is not None:
        return (f"The pieces of a vault are kept in {aside}: restore a backup, or move that "
                "folder away before creating a new vault.")
    return f"A vault already exists in {root}."


def create_vault(root: Path, *, passphrase: str | None = None,
                 use_keychain: bool = True) -> CreatedVault:
    """A new, empty vault. At least one of the keychain and a passphrase must hold the key.
    A failure (a full disk) leaves no file behind."""
    files.private_dir(root)
    if exists(root):
        raise VaultExists(exists_message(root))
    passphrase = passphrase if passphrase is not None else os.environ.get(ENV_PASSPHRASE)
    key = new_key()
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
    try:
        write_header(paths.header_path(root), header)
        files.new_private_file(paths.db_path(root))  # 0600 before SQLCipher creates it
        vault = open_with_key(root, key, vault_id=header.vault_id, new=True)
    except BaseException:
        for name in (paths.HEADER_NAME, paths.DB_NAME, *(paths.DB_NAME + s for s in SIDECARS)):
            try:
                (root / name).unlink(missing_ok=True)
            except OSError:
                pass
        if in_keychain:
            try:
                keychain.forget_key(header.vault_id)
            except KeychainUnavailable:
                pass
        raise
    finally:
        key[:] = bytes(len(key))  # the vault keeps its own copy
    vault.unlocked_by = "new"
    return CreatedVault(vault, recovery, in_keychain)


def _check_db_file(db_file: Path) -> None:
    """A journal file cut short (a sync tool, a crash) is damaged: never open it as new."""
    size = db_file.stat().st_size
    wal = Path(f"{db_file}-wal")
    if size == 0 and not (wal.exists() and wal.stat().st_size):
        raise CorruptVault(f"The journal file {db_file.name} is empty: it is damaged "
                           "(cut short by a crash or a sync tool). Restore it from a backup.")
    if size % PAGE_SIZE:
        raise CorruptVault(f"The journal file {db_file.name} is damaged (truncated).")


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
        aside = pending_restore.pieces_aside(root)
        if aside is not None:
            raise CorruptVault(f"No journal in {root}, but the pieces of one are kept in "
                               f"{aside}: restore a backup, or move them back.")
        raise NoVault(f"No vault in {root}. Create one with 'confidant init'.")
    header = read_header(header_file)
    if not db_file.exists():
        raise CorruptVault(f"The journal file {db_file} is missing.")
    _check_db_file(db_file)
    return header


def _open_first(root: Path, keys: list[bytes], header: Header) -> tuple[Vault, bytes]:
    """Open with the first key the database answers to (they come newest first), then settle
    what the header says of it (see `_settle`)."""
    error: ConfidantError | None = None
    for key in keys:
        try:
            vault = open_with_key(root, key, vault_id=header.vault_id)
        except CorruptVault as err:
            error = error or err
            continue
        vault.rotation_unfinished = _settle(root, header, key, read_only=vault.read_only)
        return vault, key
    assert error is not None
    raise error


def _settle(root: Path, header: Header, key: bytes, *, read_only: bool) -> bool:
    """After an open with `key`: a rotation whose rekey never committed is abandoned (its
    recovery key was never shown), and a damaged key check or checksum is repaired. A rotation
    whose rekey committed stays unfinished: its new recovery key may never have been shown, so
    the older secrets keep working until a rotation finishes. Best effort: a header that cannot
    be written now is settled at a later open. Returns whether a rotation is unfinished."""
    check = key_check(key)
    changed = False
    if header.pending is not None and check == header.check:
        header.abandon_rotation()
        changed = True
    if check not in header.checks() and header.pending is None:  # the check was damaged
        header.check, changed = check, True
    if (changed or header.tampered) and not read_only:
        try:
            write_header(paths.header_path(root), header)
        except (ConfidantError, OSError):
            pass
    if header.pending is None:
        try:
            keychain.forget_key(pending_account(header.vault_id))
        except KeychainUnavailable:
            pass
    return header.pending is not None


def open_vault(root: Path, *, passphrase: str | None = None, recovery_key: str | None = None,
               use_keychain: bool = True, ask: Callable[[], str | None] | None = None) -> Vault:
    pending_restore.finish(root)  # a restore interrupted earlier: finish it first
    files.tighten_dir(root)  # a data dir made 0755 by an older version
    files.remove_stale_temporaries(root)  # a header write that was killed
    header = _check_files(root)
    keys, how = find_keys(header, passphrase=passphrase, recovery_key=recovery_key,
                          use_keychain=use_keychain, ask=ask)
    try:
        vault, key = _open_first(root, keys, header)
        vault.unlocked_by = how
        if how != "keychain" and use_keychain and header.keychain:
            try:  # the keychain lost its entry (reinstall, new machine): put it back
                keychain.store_key(header.vault_id, key)
            except KeychainUnavailable:
                pass
    finally:
        for found in keys:  # the vault keeps its own copy
            found[:] = bytes(len(found))
    return vault


@contextmanager
def _no_new_sidecars(db_file: Path):
    """On failure, remove the -wal/-shm files this attempt created, so nothing changed."""
    before = {s for s in SIDECARS if Path(f"{db_file}{s}").exists()}
    try:
        yield
    except BaseException:
        for suffix in set(SIDECARS) - before:
            try:  # a read-only folder: nothing was created, and the real error must show
                Path(f"{db_file}{suffix}").unlink(missing_ok=True)
            except OSError:
                pass
        raise


def _open_error(err: BaseException, db_file: Path) -> ConfidantError:
    """What a failed open means for the user: a full disk is not a damaged journal."""
    if files.is_disk_full(err) or (_sqlite_io_error(err) and files.no_space_left(db_file.parent)):
        return StorageFull("The disk is full: the journal cannot be opened. Free some space "
                           "and try again.")
    return CorruptVault(f"The journal file {db_file.name} cannot be read: it is damaged "
                        "or not a Confidant journal.")


def open_with_key(root: Path, key: bytes, *, vault_id: str = "", new: bool = False) -> Vault:
    """Open with the raw key (no KDF): the fast path, and the one the benchmark times.
    `new`: the file was just created empty by `create_vault` (any other empty file is
    damaged, not a new journal)."""
    db_file = paths.db_path(root)
    if not new:
        if not db_file.exists():
            raise CorruptVault(f"The journal file {db_file} is missing.")
        _check_db_file(db_file)
    read_only = False
    with _no_new_sidecars(db_file):
        try:
            _try_key(db_file, key, read_only=False)
        except (db.DatabaseError, OSError) as err:
            if new or not _folder_read_only(root):
                raise _open_error(err, db_file) from err
            read_only = True  # no -wal/-shm can be made: read it as it is
            try:
                _try_key(db_file, key, read_only=True)
            except (db.DatabaseError, OSError) as again:
                raise _open_error(again, db_file) from again
        for suffix in ("", *SIDECARS):  # files from before 0600 was the rule
            files.make_private(Path(f"{db_file}{suffix}"))
        secret = bytearray(key)  # the one copy the vault keeps; lock() zeroes it
        engine = db.make_engine(db_file, secret, read_only=read_only)
        try:
            db.migrate(engine)
        except (db.DatabaseError, DBAPIError, OSError) as err:
            err = getattr(err, "orig", None) or err
            engine.dispose()
            if read_only:
                raise ReadOnlyJournal(f"{READ_ONLY} It needs an update first: open it once "
                                      "where it can be written.") from err
            if files.is_disk_full(err):
                raise _open_error(err, db_file) from err
            raise CorruptVault(f"The journal file {db_file.name} is damaged ({err}).") from err
    return Vault(root, vault_id, engine, _key=secret, read_only=read_only)


def _sqlite_io_error(err: BaseException) -> bool:
    """SQLITE_IOERR: what a full disk gives when the -shm file cannot grow."""
    return getattr(err, "sqlite_errorcode", None) == 10 or "disk i/o error" in str(err).lower()


def _try_key(db_file: Path, key, *, read_only: bool) -> None:
    """The key opens the file and the file is as long as it says, or an error."""
    con = db.connect(db_file, key, read_only=read_only)
    try:
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        wal = Path(f"{db_file}-wal")
        if pages * PAGE_SIZE > db_file.stat().st_size and not (
                wal.exists() and wal.stat().st_size):
            raise CorruptVault(f"The journal file {db_file.name} is damaged (truncated).")
    finally:
        con.close()


def _folder_read_only(root: Path) -> bool:
    """Whether nothing can be created in the data dir (a read-only disk or folder)."""
    probe = root / f".confidant-probe-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as err:
        return files.is_read_only(err)
    os.close(fd)
    probe.unlink(missing_ok=True)
    return False


def unlock(vault: Vault, **credentials) -> Vault:
    """Reopen a locked vault in place (same object, so windows keep their reference)."""
    fresh = open_vault(vault.root, **credentials)
    vault.engine, vault.unlocked_by, vault._key = fresh.engine, fresh.unlocked_by, fresh._key
    vault.vault_id, vault.read_only = fresh.vault_id, fresh.read_only  # a backup was restored
    vault.rotation_unfinished = fresh.rotation_unfinished
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


def uses_passphrase(root: Path) -> bool:
    return _check_files(root).has_passphrase


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
