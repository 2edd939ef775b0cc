"""Backups: one file holding an encrypted copy of the journal and its (wrapped) key header.

The copy uses SQLite's online backup API, so it is consistent while the app keeps writing.
A restore verifies the backup completely before it replaces anything, and keeps the old vault
aside in `replaced-<time>/`. The replacing itself is a roll-forward journal
(`services.pending_restore`): a kill at any point leaves the old vault or, at the next open,
the new one.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from models import db
from services import files, keychain, paths, pending_restore
from services.errors import CorruptVault, InvalidInput, KeychainUnavailable, VaultInUse
from services.store import translate
from services.vault import find_key
from services.vault_header import read_header

MEMBERS = pending_restore.MEMBERS


def backup(*, vault, target: Path) -> Path:
    """Write the backup to `target` (atomically: a temporary file, then a rename)."""
    target = files.check_target(Path(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise files.file_error(err, target) from err
    try:
        tmp_dir = tempfile.TemporaryDirectory(dir=target.parent)
    except OSError as err:
        raise files.file_error(err, target) from err
    with tmp_dir as tmp:
        copy = Path(tmp) / paths.DB_NAME
        try:
            source = db.connect(vault.db_path, vault.key, read_only=vault.read_only)
            try:
                dest = db.connect(copy, vault.key)
                try:
                    source.backup(dest)
                    dest.execute("PRAGMA journal_mode = DELETE")
                finally:
                    dest.close()
            finally:
                source.close()
        except db.DatabaseError as err:
            raise translate(err) from err
        partial = Path(tmp) / "backup.zip"
        try:
            files.new_private_file(partial)
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive:
                archive.write(copy, paths.DB_NAME)
                archive.write(paths.header_path(vault.root), paths.HEADER_NAME)
            files.check_target(target)
            partial.replace(target)
        except OSError as err:
            raise files.file_error(err, target) from err
    return target


def verify(folder: Path, key: bytes) -> None:
    """Every page decrypts and the database is whole, or CorruptVault."""
    con = db.connect(folder / paths.DB_NAME, key)
    try:
        bad = con.execute("PRAGMA cipher_integrity_check").fetchall()
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    if bad or ok != "ok":
        raise CorruptVault("The backup is damaged: its pages do not verify.")


def describe(folder: Path, key: bytes, vault_id: str) -> str:
    """Whose journal a verified backup holds: its vault id, entry count and newest entry."""
    con = db.connect(folder / paths.DB_NAME, key)
    try:
        count, newest = con.execute(
            "SELECT count(*), max(occurred_at) FROM interaction").fetchone()
    except db.DatabaseError:
        count, newest = None, None
    finally:
        con.close()
    if count is None:
        return f"vault {vault_id}"
    return (f"vault {vault_id}, {count} entries" +
            (f", the newest of {str(newest)[:10]}" if newest else ""))


def _current_vault_id(root: Path) -> str | None:
    try:
        return read_header(paths.header_path(root)).vault_id
    except (CorruptVault, OSError):
        return None


def restore(*, root: Path, source: Path, passphrase: str | None = None,
            recovery_key: str | None = None, ask=None,
            confirm: Callable[[str], bool] | None = None, by_this_app: bool = False) -> Path:
    """Replace the vault in `root` by the backup; returns the folder holding the old one.

    A backup of another vault (another vault id) is restored only if `confirm(warning)` says
    yes; without `confirm` it is refused. `by_this_app`: the caller is the app that holds the
    data dir's lock, with the journal closed (its start-up, offering a backup of a damaged one).
    """
    source = Path(source)
    if not source.is_file():
        raise InvalidInput(f"No backup file at {source}.")
    if paths.app_running(root) and not (by_this_app and paths.lock_is_ours(root)):
        raise VaultInUse("Confidant is open on this journal: close it, then restore.")
    files.private_dir(root)
    pending_restore.finish(root)  # an earlier restore that was interrupted
    pending_restore.remove_stale_staging(root)  # one killed before it was decided
    try:
        staging = Path(tempfile.mkdtemp(prefix="restore-", dir=root))
    except OSError as err:  # a read-only or full data dir
        raise files.file_error(err, root) from err
    aside = key = None
    handed_over = False
    try:
        try:
            with zipfile.ZipFile(source) as archive:
                if sorted(archive.namelist()) != sorted(MEMBERS):
                    raise CorruptVault(f"{source.name} is not a Confidant backup.")
                for name in MEMBERS:
                    archive.extract(name, staging)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
            if isinstance(err, OSError) and files.is_disk_full(err):
                raise files.file_error(err, root) from err
            raise CorruptVault(f"{source.name} is not a readable Confidant backup.") from err
        header = read_header(staging / paths.HEADER_NAME)
        key, _ = find_key(header, passphrase=passphrase, recovery_key=recovery_key,
                          use_keychain=True, ask=ask)
        try:
            verify(staging, key)
        except db.DatabaseError as err:
            raise CorruptVault("The backup's journal cannot be read: it is damaged.") from err
        current = _current_vault_id(root)
        if current is not None and current != header.vault_id:
            warning = (f"This backup is of another journal ({describe(staging, key, header.vault_id)}"
                       f"), not of the one in {root} (vault {current}).")
            if confirm is None or not confirm(warning):
                raise InvalidInput(warning + " Nothing was restored.")
        try:
            pending_restore.seal_staging(staging)
            aside = pending_restore.new_aside(root, f"{datetime.now():%Y%m%d-%H%M%S}")
            pending_restore.write_intent(root, staging, aside)
        except OSError as err:
            raise files.file_error(err, root) from err
        handed_over = True
        pending_restore.finish(root)
        try:
            keychain.store_key(header.vault_id, key)
        except KeychainUnavailable:
            pass
        return aside
    finally:
        if key is not None:
            key[:] = bytes(len(key))
        if not handed_over:
            (root / (pending_restore.PENDING_NAME + ".tmp")).unlink(missing_ok=True)
            shutil.rmtree(staging, ignore_errors=True)
            if aside is not None:
                shutil.rmtree(aside, ignore_errors=True)
