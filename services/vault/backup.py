"""Backups: one file holding an encrypted copy of the journal and its (wrapped) key header.

The copy uses SQLite's online backup API, so it is consistent while the app keeps writing, and
is proven (services.check: every page's HMAC, the structure) before it is called written: a
damaged journal is refused, naming the damage, since its backup could never be restored.
A restore unpacks under a cap on the bytes it really writes (a zip bomb stops within megabytes),
verifies the backup completely before it replaces anything, and keeps the old vault
aside in `replaced-<time>/`. The replacing itself is a roll-forward journal
(`services.pending_restore`): a kill at any point leaves the old vault or, at the next open,
the new one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from models import db
from services import files, paths
from services.errors import (
    CorruptVault,
    InvalidInput,
    KeychainUnavailable,
    StorageFull,
    VaultInUse,
    WrongKey,
)
from services.store import translate
from services.vault import check, find_key, keychain, pending_restore
from services.vault.vault_header import read_header

MEMBERS = pending_restore.MEMBERS
WORK_PREFIX = ".confidant-backup-"  # + random + -<pid>.tmp: a backup's temporary folder
WORK_FILES = {"backup.zip", *(paths.DB_NAME + s for s in ("", *pending_restore.SIDECARS))}
# a restore unpacks at most this much (bytes written, counted as they are)
LIMITS = {paths.DB_NAME: 4 * 2**30, paths.HEADER_NAME: 64 * 2**10}
EXPANSION = 2  # encrypted pages do not compress: more than twice the stored size is no journal
ROOM_MARGIN = 2**20  # left free on the data dir's disk after unpacking
CHUNK = 2**20
OTHER_KEY = ("This backup was made under another passphrase (or another vault's): give the "
             "passphrase or recovery key that was in use when it was made.")


def backup(*, vault, target: Path) -> Path:
    """Write the backup to `target`, proven first: the copy's every page verifies, then the
    archive reads back whole; only then is it renamed into place. Temporary work is done in a
    `.confidant-backup-*-<pid>.tmp/` folder beside the target, removed on the way out (one a
    killed backup left is removed by the next backup there)."""
    target = files.check_target(Path(target))
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_work(folder)
        work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, suffix=f"-{os.getpid()}.tmp",
                                     dir=folder))
    except OSError as err:
        raise files.file_error(err, target) from err
    try:
        _refuse_damaged(vault)
        copy = work / paths.DB_NAME
        _copy_journal(vault, copy, target)
        _prove_copy(vault, copy, target)
        partial = work / "backup.zip"
        _write_archive(partial, copy, paths.header_path(vault.root), target)
        files.check_target(target)
        partial.replace(target)
    except OSError as err:
        raise files.file_error(err, target) from err
    finally:
        shutil.rmtree(work, ignore_errors=True)
    try:
        files.fsync_dir(folder)
    except OSError as err:  # the file is whole, its name may not survive a power cut
        raise InvalidInput(f"{target} was written whole, but the disk failed to record it "
                           f"({err.strerror or err}): back up again, to another disk if this "
                           "repeats.") from err
    return target


def _copy_journal(vault, copy: Path, target: Path) -> None:
    """SQLite's online backup of the live journal into `copy` (no WAL: one file)."""
    try:
        source = db.connect(vault.db_path, vault.key, read_only=vault.read_only)
    except db.DatabaseError as err:
        raise translate(err) from err
    try:
        dest = check.open_file(copy, vault.key)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")  # the source's WAL flag came along
        finally:
            dest.close()
    except db.DatabaseError as err:
        raise _write_error(err, target) from err
    finally:
        source.close()


def _write_error(err: db.DatabaseError, target: Path) -> Exception:
    """The copy failed: a full disk or a failing one where the backup goes, or the journal."""
    text = str(err).lower()
    if files.is_disk_full(err) or "disk i/o error" in text and files.no_space_left(
            target.parent):
        return StorageFull(f"The disk is full: {target} was not written. Free some space "
                           "and back up again.")
    if "disk i/o error" in text:
        return InvalidInput(f"Cannot write {target}: the disk reported an input/output error. "
                            "Nothing was written; try another disk or folder.")
    return translate(err)


def _refuse_damaged(vault) -> None:
    """A damaged journal is refused, naming the damage: even a page the copy would leave out
    (a free page) means the disk or a tool is damaging the file, and check would say so."""
    source = check.check_journal(vault=vault)
    if not source.ok:
        raise CorruptVault(f"The journal is damaged ({source.damage()}): no backup was "
                           "written, since it could not be restored. 'confidant check' "
                           "(File > Check the journal) reports the damage.")


def _prove_copy(vault, copy: Path, target: Path) -> None:
    """The copy is whole, or nothing is written."""
    copied = check.check_file(copy, vault.key)
    if not copied.ok:
        raise InvalidInput(f"The copy made for {target} does not verify ({copied.damage()}): "
                           "nothing was written. Check that disk, then back up again.")


def _write_archive(partial: Path, copy: Path, header_file: Path, target: Path) -> None:
    """The zip, fsynced, then read back: every member's checksum holds."""
    files.new_private_file(partial)
    with open(partial, "r+b") as fh:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as archive:
            archive.write(copy, paths.DB_NAME)
            archive.write(header_file, paths.HEADER_NAME)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        with zipfile.ZipFile(partial) as archive:
            whole = archive.testzip() is None and sorted(archive.namelist()) == sorted(MEMBERS)
    except (zipfile.BadZipFile, EOFError, ValueError):
        whole = False
    if not whole:
        raise InvalidInput(f"The backup written for {target} does not read back whole: "
                           "nothing was written. Check that disk, then back up again.")


def remove_stale_work(folder: Path) -> None:
    """Remove the work folders of backups that were killed: their process is gone and they hold
    nothing but a backup's pieces."""
    for work in files.stale_temporaries(folder, WORK_PREFIX):
        try:
            if work.is_dir() and all(p.name in WORK_FILES for p in work.iterdir()):
                shutil.rmtree(work)
        except OSError:
            continue


def verify(folder: Path, key: bytes) -> None:
    """Every page decrypts, the database is whole and holds a journal, or CorruptVault."""
    found = check.check_file(folder / paths.DB_NAME, key)
    if not found.ok:
        raise CorruptVault(f"The backup is damaged: {found.damage()}.")


def describe(folder: Path, key: bytes, vault_id: str) -> str:
    """Whose journal a verified backup holds: its vault id, entry count and newest entry."""
    con = check.open_file(folder / paths.DB_NAME, key)
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


def _extract(source: Path, staging: Path, root: Path) -> None:
    """The backup's two members into `staging`, each streamed under a cap on the bytes really
    written (what the zip declares is checked too, but not trusted): a journal's encrypted pages
    do not compress, so a member that grows far past its stored size is refused at once."""
    name = source.name
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            if sorted(m.filename for m in members) != sorted(MEMBERS):
                raise CorruptVault(f"{name} is not a Confidant backup.")
            for member in members:
                _check_member(member, name)
            _check_room(root, sum(m.file_size for m in members), name)
            for member in members:
                _stream(archive, member, staging / member.filename, name)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, RuntimeError,
            NotImplementedError) as err:
        if isinstance(err, OSError) and files.is_disk_full(err):
            raise files.file_error(err, root) from err
        raise CorruptVault(f"{name} is not a readable Confidant backup.") from err


def _check_member(member: zipfile.ZipInfo, name: str) -> None:
    if member.flag_bits & 0x1:
        raise CorruptVault(f"{name} is a password-protected zip, not a backup as Confidant "
                           "writes it (the journal inside is encrypted; the zip is not).")
    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise CorruptVault(f"{name} uses a zip compression Confidant does not read (method "
                           f"{member.compress_type}): it is not a backup as Confidant wrote it.")
    if member.file_size > LIMITS[member.filename]:
        raise CorruptVault(f"{name} claims a {member.filename} of {_size(member.file_size)}, "
                           f"more than a backup may hold ({_size(LIMITS[member.filename])}).")


def _check_room(root: Path, needed: int, name: str) -> None:
    try:
        info = os.statvfs(root)
    except (OSError, AttributeError):
        return
    free = info.f_bavail * info.f_frsize
    if needed + ROOM_MARGIN > free:
        raise StorageFull(f"The disk is full: restoring {name} needs {_size(needed)} in "
                          f"{root}, and {_size(free)} is free. Nothing was restored.")


def _stream(archive: zipfile.ZipFile, member: zipfile.ZipInfo, dest: Path, name: str) -> None:
    """Copy one member, counting the bytes written; past the cap, stop and refuse."""
    cap = min(LIMITS[member.filename], member.file_size,
              EXPANSION * member.compress_size + 1024 * 1024)
    written = 0
    files.new_private_file(dest)
    with archive.open(member) as src, open(dest, "wb") as out:
        while chunk := src.read(CHUNK):
            written += len(chunk)
            if written > cap:
                raise CorruptVault(f"{name} is not a Confidant backup: its {member.filename} "
                                   "unpacks to far more than it stores (a zip bomb).")
            out.write(chunk)


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


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
        _extract(source, staging, root)
        header = read_header(staging / paths.HEADER_NAME)
        try:
            key, _ = find_key(header, passphrase=passphrase, recovery_key=recovery_key,
                              use_keychain=True, ask=ask)
        except WrongKey as err:
            raise WrongKey(OTHER_KEY) from err
        verify(staging, key)
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
