"""A restore that a kill cannot leave half done: an intent file, then renames that roll forward.

`services.backup.restore` verifies the backup in a staging folder (`restore-*/`), fsyncs it,
then writes `restore.pending` (fsynced, renamed into place) naming the staging folder and the
folder that keeps the old vault (`replaced-*/`). From that moment the restore is decided: the
old pieces move aside, the new ones move in, each step fsynced, and the intent is removed last.
Whoever opens the vault next (`open_vault`, `exists`, `restore`) calls `finish` first, which
repeats whatever steps are left. Killed before the intent is durable, nothing in the data dir
was touched: the old vault opens. Killed after, the next open finishes: the new vault opens.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from services import paths
from services.errors import CorruptVault
from services.files import fsync_dir, new_private_file

PENDING_NAME = "restore.pending"
SIDECARS = ("-wal", "-shm", "-journal")
MEMBERS = (paths.DB_NAME, paths.HEADER_NAME)  # what a backup holds
OLD_PIECES = (paths.DB_NAME, *(paths.DB_NAME + s for s in SIDECARS), paths.HEADER_NAME)
PREFIXES = ("restore-", "replaced-")


def _step(name: str) -> None:
    """Called before every rename and fsync of a restore: the fault-injection point of the kill
    tests (they replace it with a function that kills the process at the n-th call)."""


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def seal_staging(staging: Path) -> None:
    """Make the verified backup durable before anything depends on it."""
    for name in MEMBERS:
        (staging / name).chmod(0o600)
        _step(f"fsync staging/{name}")
        _fsync_file(staging / name)
    _step("fsync staging/")
    fsync_dir(staging)


def new_aside(root: Path, stamp: str) -> Path:
    """A new, unique `replaced-<time>` folder (a second restore in the same second gets -2)."""
    for n in range(1, 1000):
        aside = root / (f"replaced-{stamp}" + (f"-{n}" if n > 1 else ""))
        try:
            aside.mkdir(mode=0o700)
            return aside
        except FileExistsError:
            continue
    raise CorruptVault(f"Too many replaced-{stamp}* folders in {root}.")


def write_intent(root: Path, staging: Path, aside: Path) -> None:
    """The point of no return: after this, the restore completes even if killed."""
    tmp = root / (PENDING_NAME + ".tmp")
    new_private_file(tmp)
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"staging": staging.name, "aside": aside.name}, fh)
        fh.flush()
        _step("fsync intent")
        os.fsync(fh.fileno())
    _step("rename intent")
    os.replace(tmp, root / PENDING_NAME)
    _step("fsync root (intent)")
    fsync_dir(root)


def _folder(root: Path, data: dict, key: str, prefix: str) -> Path:
    name = data.get(key) if isinstance(data, dict) else None
    if not isinstance(name, str) or not name.startswith(prefix) or "/" in name or "\\" in name \
            or name in (".", ".."):
        raise CorruptVault(f"{root / PENDING_NAME} is damaged: restore a backup again.")
    return root / name


def finish(root: Path) -> bool:
    """Complete a restore that was interrupted after its intent was written; True if there was
    one. Safe to repeat: every step checks what is already done."""
    intent = root / PENDING_NAME
    try:
        text = intent.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return False
    except (OSError, UnicodeDecodeError) as err:
        raise CorruptVault(f"{intent} cannot be read ({err}).") from err
    try:
        data = json.loads(text)
    except ValueError as err:
        raise CorruptVault(f"{intent} is damaged: restore a backup again.") from err
    staging = _folder(root, data, "staging", "restore-")
    aside = _folder(root, data, "aside", "replaced-")
    try:
        aside.mkdir(mode=0o700, exist_ok=True)
        if all((staging / name).exists() for name in MEMBERS):
            # nothing of the backup moved in yet: whatever is in root is the old vault
            for name in OLD_PIECES:
                if (root / name).exists():
                    _step(f"rename {name} aside")
                    os.replace(root / name, aside / name)
            _step("fsync aside/")
            fsync_dir(aside)
            _step("fsync root (old moved aside)")
            fsync_dir(root)
        for name in MEMBERS:
            if (staging / name).exists():
                _step(f"rename {name} in")
                os.replace(staging / name, root / name)
        _step("fsync root (new moved in)")
        fsync_dir(root)
        _step("remove staging")
        shutil.rmtree(staging, ignore_errors=True)  # empty by now
        _step("remove intent")
        intent.unlink()
        _step("fsync root (intent removed)")
        fsync_dir(root)
    except OSError as err:
        raise CorruptVault(f"An interrupted restore in {root} could not be finished "
                           f"({err.strerror or err}); it will be tried again.") from err
    return True


def remove_stale_staging(root: Path) -> None:
    """Staging folders of restores killed before their intent was written (none is pending:
    `finish` ran first). They hold a verified copy of a backup, nothing else."""
    if (root / PENDING_NAME).exists():
        return
    for folder in root.glob("restore-*"):
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def pieces_aside(root: Path) -> Path | None:
    """A `restore-*` or `replaced-*` folder holding a journal or a header, if any."""
    try:
        folders = sorted(p for p in root.iterdir() if p.name.startswith(PREFIXES) and p.is_dir())
    except OSError:
        return None
    for folder in folders:
        if any((folder / name).exists() for name in MEMBERS):
            return folder
    return None
