"""The journal's integrity check: every page's HMAC (SQLCipher's cipher_integrity_check) and the
database's own structure (SQLite's integrity_check), as a plain report.

`confidant check`, the app's File -> Check the journal, every backup (its copy is proven before
it is called written) and every restore (the backup is proven before it replaces anything) use
it. A damaged page is found here, not by a read that happens to touch it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlcipher3

from models import db
from services import files
from services.vault import PAGE_SIZE

MAX_LISTED = 5  # pages named in one line; the rest are counted
JOURNAL_TABLES = ("alembic_version", "interaction")  # a journal, not some other database
WHAT_TO_DO = ("Restore a backup made before the damage (confidant restore FILE); an export "
              "(confidant export) saves what can still be read.")


@dataclass(frozen=True)
class JournalCheck:
    """What the check found; `ok` when nothing."""

    path: Path
    size: int = 0
    pages: int = 0
    bad_pages: tuple[int, ...] = ()  # pages whose HMAC does not verify
    problems: tuple[str, ...] = field(default=())  # anything else, one phrase each

    @property
    def ok(self) -> bool:
        return not self.bad_pages and not self.problems

    def damage(self) -> str:
        """The damage in one phrase, for a one-line error."""
        parts = list(self.problems)
        if self.pages > 1 and len(self.bad_pages) >= self.pages:
            parts.insert(0, f"none of its {self.pages:,} pages verifies (another key, or the "
                         "file was overwritten)")
        elif self.bad_pages:
            shown = ", ".join(str(p) for p in self.bad_pages[:MAX_LISTED])
            more = len(self.bad_pages) - MAX_LISTED
            parts.insert(0, (f"page {shown} does not verify" if len(self.bad_pages) == 1 else
                             f"pages {shown}" + (f" and {more} more" if more > 0 else "") +
                             " do not verify"))
        return "; ".join(parts) or "no damage found"

    def lines(self) -> list[str]:
        """The plain report: what was checked, what was found, what to do."""
        checked = f"{self.path}: {self.pages:,} pages ({self.size / 1e6:.1f} MB)."
        if self.ok:
            return [checked, "Every page decrypts and verifies, and the database's structure "
                    "is sound. Nothing to do."]
        return [checked, f"The journal is damaged: {self.damage()}.", WHAT_TO_DO]


def open_file(path: Path, key) -> sqlcipher3.Connection:
    """A connection to an encrypted file with none of the live journal's settings (no WAL):
    for the backup's copy and for checking a file that is not the live journal."""
    con = sqlcipher3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        con.execute("PRAGMA cipher_log_level = NONE")
        db.set_key(con, key)
    except BaseException:
        con.close()
        raise
    return con


def check_journal(*, vault) -> JournalCheck:
    """Check the vault's live journal (read only: nothing is written)."""
    def connect():
        return db.connect(vault.db_path, vault.key, read_only=vault.read_only)
    return _check(Path(vault.db_path), connect, live=True)


def check_file(path: Path, key) -> JournalCheck:
    """Check a journal file that is not in use (a backup's copy, a restore's staging)."""
    return _check(Path(path), lambda: open_file(path, key), live=False)


def _check(path: Path, connect, *, live: bool) -> JournalCheck:
    try:
        size = path.stat().st_size
    except OSError as err:
        return JournalCheck(path, problems=(f"it cannot be read ({err.strerror or err})",))
    wal = Path(f"{path}-wal")
    has_wal = live and wal.exists() and wal.stat().st_size > 0
    if size == 0 and not has_wal:
        return JournalCheck(path, problems=("the journal file is empty (no pages)",))
    if size % PAGE_SIZE:
        return JournalCheck(path, size, problems=(
            f"the journal file is cut short ({size:,} bytes, not a whole number of pages)",))
    try:
        con = connect()
    except (db.DatabaseError, OSError) as err:
        return JournalCheck(path, size, size // PAGE_SIZE, problems=(_unreadable(err),))
    try:
        return _inspect(con, path, size, has_wal)
    finally:
        con.close()


def _inspect(con, path: Path, size: int, has_wal: bool) -> JournalCheck:
    problems: list[str] = []
    bad: list[int] = []
    pages = size // PAGE_SIZE
    try:
        for (line,) in con.execute("PRAGMA cipher_integrity_check"):  # reads the file as is
            found = re.search(r"page (\d+)", str(line))
            if found:
                bad.append(int(found.group(1)))
            else:
                problems.append(str(line))
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        if pages * PAGE_SIZE > size and not has_wal:
            problems.append(f"it is cut short ({pages:,} pages are promised, "
                            f"{size // PAGE_SIZE:,} are there)")
        structure = [line for row in con.execute("PRAGMA integrity_check(20)")
                     for line in str(row[0]).splitlines() if not line.startswith("***")]
        if structure != ["ok"] and not bad:  # a page that does not verify breaks it too
            more = len(structure) - 1
            problems.append(f"its structure is broken ({structure[0]}"
                            + (f", and {more}{'+' if more >= 19 else ''} more faults)"
                               if more else ")"))
        tables = {row[0] for row in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not problems and not bad and not set(JOURNAL_TABLES) <= tables:
            problems.append("it holds no journal (not a Confidant journal, or an empty one)")
    except (db.DatabaseError, OSError) as err:
        if not bad:  # a page that does not verify breaks every read past it: say it once
            problems.append(_unreadable(err))
    return JournalCheck(path, size, pages, tuple(sorted(set(bad))), tuple(problems))


def _unreadable(err: BaseException) -> str:
    text = str(err).rstrip(".") or type(err).__name__
    if files.is_disk_full(err):
        return "it cannot be read while the disk is full"
    if "not a database" in text:
        return "it does not open with the vault's key (another key, or its first page is damaged)"
    return f"its structure is broken ({text}: cut short or overwritten)"
