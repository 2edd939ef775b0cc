"""Backups: one file holding an encrypted copy of the journal and its (wrapped) key header.

The copy uses SQLite's online backup API, so it is consistent while the app keeps writing.
A restore verifies the backup completely before it replaces anything, and keeps the old vault
aside in `replaced-<time>/`.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from models import db
from services import keychain, paths
from services.errors import CorruptVault, InvalidInput, KeychainUnavailable, VaultInUse
from services.store import file_error
from services.vault import SIDECARS, Vault, find_key
from services.vault_header import fsync_dir, read_header

MEMBERS = (paths.DB_NAME, paths.HEADER_NAME)


def backup(*, vault: Vault, target: Path) -> Path:
    """Write the backup to `target` (atomically: a temporary file, then a rename)."""
    target = Path(target)
    if target.is_dir():
        raise InvalidInput(f"{target} is a folder; give a file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        copy = Path(tmp) / paths.DB_NAME
        source = db.connect(vault.db_path, vault.key)
        dest = db.connect(copy, vault.key)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            source.close()
            dest.close()
        partial = Path(tmp) / "backup.zip"
        try:
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive:
                archive.write(copy, paths.DB_NAME)
                archive.write(paths.header_path(vault.root), paths.HEADER_NAME)
            partial.replace(target)
        except OSError as err:
            raise file_error(err, target) from err
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


def restore(*, root: Path, source: Path, passphrase: str | None = None,
            recovery_key: str | None = None, ask=None) -> Path:
    """Replace the vault in `root` by the backup; returns the folder holding the old one."""
    source = Path(source)
    if not source.is_file():
        raise InvalidInput(f"No backup file at {source}.")
    if paths.app_running(root):
        raise VaultInUse("Confidant is open on this journal: close it, then restore.")
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="restore-", dir=root))
    try:
        try:
            with zipfile.ZipFile(source) as archive:
                if sorted(archive.namelist()) != sorted(MEMBERS):
                    raise CorruptVault(f"{source.name} is not a Confidant backup.")
                for name in MEMBERS:
                    archive.extract(name, staging)
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise CorruptVault(f"{source.name} is not a readable Confidant backup.") from err
        header = read_header(staging / paths.HEADER_NAME)
        key, _ = find_key(header, passphrase=passphrase, recovery_key=recovery_key,
                          use_keychain=True, ask=ask)
        try:
            verify(staging, key)
        except db.DatabaseError as err:
            raise CorruptVault("The backup's journal cannot be read: it is damaged.") from err
        aside = root / f"replaced-{datetime.now():%Y%m%d-%H%M%S}"
        aside.mkdir()
        for name in (paths.DB_NAME, *(paths.DB_NAME + s for s in SIDECARS), paths.HEADER_NAME):
            if (root / name).exists():
                (root / name).replace(aside / name)
        for name in MEMBERS:
            (staging / name).replace(root / name)
        fsync_dir(root)
        try:
            keychain.store_key(header.vault_id, key)
        except KeychainUnavailable:
            pass
        return aside
    finally:
        shutil.rmtree(staging, ignore_errors=True)
