"""Where Confidant keeps its files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Confidant"
# The source tree, or the unpacked application folder of a PyInstaller build.
APP_ROOT = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
DB_NAME = "journal.db"
HEADER_NAME = "vault.header"
LOCK_NAME = "confidant.lock"  # held by the desktop app (QLockFile: pid on the first line)


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The data dir: an explicit override, then CONFIDANT_DATA_DIR, then the platform's."""
    chosen = override or os.environ.get("CONFIDANT_DATA_DIR")
    path = Path(chosen).expanduser() if chosen else Path(platformdirs.user_data_dir(APP_NAME))
    return path.resolve()


def db_path(root: Path) -> Path:
    return root / DB_NAME


def header_path(root: Path) -> Path:
    return root / HEADER_NAME


def resource(name: str) -> Path:
    """A file under resources/ (in the source tree or the built application)."""
    return APP_ROOT / "resources" / name


def _lock_pid(root: Path) -> int | None:
    try:
        return int((root / LOCK_NAME).read_text(encoding="utf-8", errors="replace")
                   .splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def lock_is_ours(root: Path) -> bool:
    """Whether this very process (the app) holds the data dir's lock."""
    return _lock_pid(root) == os.getpid()


def app_running(root: Path) -> bool:
    """Whether a live Confidant window holds this data dir's lock."""
    pid = _lock_pid(root)
    return pid is not None and (pid == os.getpid() or pid_alive(pid))


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists. Never os.kill on Windows: there any signal terminates."""
    if os.name == "nt":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x00100000, False, pid)  # SYNCHRONIZE
        if not handle:
            return False
        try:
            return kernel32.WaitForSingleObject(handle, 0) == 0x102  # WAIT_TIMEOUT: running
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
