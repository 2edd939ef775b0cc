"""Issue 18: a backup is proven before it is called written (item 5), `check` reports damage in
the CLI and the app, a read of a damaged page says the journal is damaged, and a backup that
fails (an I/O error, a full disk, a kill) is one line and leaves nothing beside its target.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from services import journal, paths
from services import vault as vaults
from services.errors import CorruptVault
from services.store import use_case
from services.vault import backup, check
from tests import fault_injection, helpers
from tests.test_vault_robustness import in_namespace, needs_namespace, pass_vault  # noqa: F401

PASS = "correct horse battery"


def add_entries(vault, n=40):
    helpers.add_entries(vault, n, notes="words " * 200)  # pages enough to damage one


def damage_entries_page(data_dir: Path, key: bytes) -> int:
    """Flip one byte in the root page of the entries' table (the vault still opens); its
    page number."""
    con = check.open_file(paths.db_path(data_dir), key)
    try:
        root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'interaction'"
                           ).fetchone()[0]
    finally:
        con.close()
    db_file = paths.db_path(data_dir)
    data = bytearray(db_file.read_bytes())
    data[(root - 1) * vaults.PAGE_SIZE + 300] ^= 0x01
    db_file.write_bytes(bytes(data))
    return root


@pytest.fixture
def damaged(vault, data_dir):
    """The vault with one damaged page, closed; (key, damaged page number)."""
    add_entries(vault)
    key = bytes(vault.key)
    vault.lock()  # checkpointed: every page is in journal.db
    return key, damage_entries_page(data_dir, key)


def test_damage_on_a_page_the_copy_leaves_out_is_refused_too(vault, data_dir, tmp_path,
                                                              cli):
    """Found by the attack rerun: the last page damaged (a free page after deletes) was left
    out of SQLite's copy, so 'backup' said written while 'check' said damaged."""
    add_entries(vault)
    with use_case(vault, write=True) as s:
        for item in journal.list_interactions(session=s)[:30]:
            journal.delete_interaction(session=s, interaction_id=item.id)
    vault.lock()
    db_file = paths.db_path(data_dir)
    pages = db_file.stat().st_size // vaults.PAGE_SIZE
    data = bytearray(db_file.read_bytes())
    data[(pages - 1) * vaults.PAGE_SIZE + 200] ^= 0x01
    db_file.write_bytes(bytes(data))
    code, report, _ = cli("check")
    assert code == 1 and f"page {pages} does not verify" in report
    code, _, err = cli("backup", "-o", str(tmp_path / "b.backup"))
    assert code == 2 and f"page {pages} does not verify" in err, err
    assert not (tmp_path / "b.backup").exists()


def beside(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- item 5: a damaged journal is refused, naming the damage; check reports it ------------------
@pytest.mark.timeout(60)
def test_a_damaged_journal_is_not_backed_up_and_check_names_the_page(damaged, data_dir,
                                                                     tmp_path, cli):
    _, page = damaged
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = cli("backup", "-o", str(out / "b.backup"))
    assert code == 2 and "Traceback" not in err, err
    assert f"damaged (page {page} does not verify): no backup was written" in err
    assert beside(out) == []  # no file, no temporary folder
    code, report, err = cli("check")
    assert code == 1, err
    assert f"page {page} does not verify" in report and "restore" in report.lower()
    # small item: a read of the damaged page says the journal is damaged, not 'written'
    code, _, err = cli("list")
    assert code == 2 and "written" not in err, err
    assert "damaged" in err and "check" in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.timeout(60)
def test_a_whole_journal_checks_and_backs_up_proven(vault, data_dir, tmp_path, cli):
    add_entries(vault, 5)
    vault.lock()
    code, report, err = cli("check")
    assert code == 0 and "Every page decrypts and verifies" in report, (report, err)
    code, said, err = cli("backup", "-o", str(tmp_path / "b.backup"))
    assert code == 0 and "every page verified" in said, err
    with zipfile.ZipFile(tmp_path / "b.backup") as archive:
        archive.extractall(tmp_path / "unpacked")
    opened = vaults.open_vault(data_dir)
    try:
        assert check.check_file(tmp_path / "unpacked" / paths.DB_NAME, opened.key).ok
    finally:
        opened.lock()
    assert beside(tmp_path) == sorted(["b.backup", "data", "unpacked"])


@pytest.mark.timeout(60)
def test_the_app_checks_the_journal_from_the_file_menu(window, qtbot, monkeypatch):
    window.check_action.trigger()
    qtbot.waitUntil(lambda: getattr(window, "check_report", None) is not None
                    and window.check_report.isVisible(), timeout=10_000)
    assert "Nothing to do" in window.check_report.text()
    window.check_report.close()
    hurt = check.JournalCheck(Path("journal.db"), 40960, 10, bad_pages=(7,))
    monkeypatch.setattr(check, "check_journal", lambda vault: hurt)
    window.check_report = None
    window.check_action.trigger()
    qtbot.waitUntil(lambda: window.check_report is not None, timeout=10_000)
    assert "page 7 does not verify" in window.check_report.text()
    assert window.check_report.windowTitle() == "The journal is damaged"
    window.check_report.close()


# --- a killed backup leaves a work folder the next one removes ----------------------------------
@pytest.mark.timeout(60)
def test_a_killed_backup_leaves_a_folder_the_next_backup_removes(vault, tmp_path):
    add_entries(vault, 3)
    out = tmp_path / "out"
    out.mkdir()
    pid = os.fork()
    if pid == 0:  # killed once the copy is made, as SIGKILL would: no clean-up runs
        try:
            backup._write_archive = lambda *a: os._exit(9)
            backup.backup(vault=vault, target=out / "first.backup")
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 9
    left = beside(out)
    assert len(left) == 1 and left[0].startswith(".confidant-backup-"), left
    not_ours = out / f"{backup.WORK_PREFIX}x-{pid}.tmp"  # a dead pid, but a file we never make
    not_ours.mkdir()
    (not_ours / "notes.txt").write_text("keep me")
    live = out / f"{backup.WORK_PREFIX}y-{os.getppid()}.tmp"  # a live process's
    live.mkdir()
    backup.backup(vault=vault, target=out / "second.backup")
    assert beside(out) == sorted([not_ours.name, live.name, "second.backup"])


# --- tracebacks: an I/O error at every fsync and rename of a backup ------------------------------
@pytest.mark.skipif(not fault_injection.available(), reason="needs strace (ptrace allowed)")
@pytest.mark.timeout(300)
@pytest.mark.usefixtures("pass_vault")
def test_an_io_error_at_every_step_of_a_backup_is_one_line(data_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    target = out / "b.backup"
    argv = ["--data-dir", str(data_dir), "backup", "-o", str(target)]
    env = {"CONFIDANT_PASSPHRASE": PASS}
    seen = fault_injection.counts(argv, env, tmp_path)
    target.unlink()
    opened = vaults.open_vault(data_dir, passphrase=PASS)
    key = bytes(opened.key)
    opened.lock()
    for name, n in fault_injection.points(seen):
        done = fault_injection.run(argv, env, tmp_path / "run.txt",
                                   strace_args=fault_injection.fault(name, n, "eio"))
        where = (name, n, done.out)
        # 2: the error hit the vault's opening (its -wal and -shm), before the backup began
        assert done.code in (0, 1, 2) and "Traceback" not in done.out, where
        lines = done.out.strip().splitlines()  # an error at the report's own write: two
        assert len([line for line in lines if line.startswith("confidant:")]) <= 1, where
        assert all(line.startswith(("confidant:", "Backup written")) for line in lines), where
        assert beside(out) in ([], ["b.backup"]), (where, beside(out))
        if target.exists():  # whatever is left under the target's name is whole
            with zipfile.ZipFile(target) as archive:
                assert archive.testzip() is None, where
                archive.extractall(tmp_path / "unpacked")
            backup.verify(tmp_path / "unpacked", key)
            target.unlink()
        if done.code == 1:
            assert "input/output error" in done.out.lower(), where


# --- tracebacks: a full disk, really full (tmpfs in a private mount namespace) ---------------------
@needs_namespace
@pytest.mark.timeout(300)
@pytest.mark.usefixtures("pass_vault")
def test_a_backup_on_a_full_disk_is_one_line_and_leaves_nothing(data_dir, tmp_path):
    size_k = paths.db_path(data_dir).stat().st_size // 1024
    mnt = tmp_path / "disk"
    mnt.mkdir()
    lines = []
    for free_k in (0, 8, 16, 32, size_k + 8):  # 8-32 KiB gave a traceback; then the copy fits
        lines.append(f'''
mount -t tmpfs -o size=2m tmpfs {mnt}
dd if=/dev/zero of={mnt}/filler bs=4k count={(2048 - free_k) // 4} 2>/dev/null
r backup{free_k} backup -o {mnt}/out.backup
printf 'left{free_k}\t0\t%s\t\n' "$(ls -A {mnt} | tr '\n' ' ')"
umount {mnt}''')
    results = in_namespace("\n".join(lines), data_dir)
    for free_k in (0, 8, 16, 32, size_k + 8):
        code, _, err = results[f"backup{free_k}"]
        assert code == 1 and "disk is full" in err and "|" not in err, (free_k, err)
        assert results[f"left{free_k}"][1].strip() == "filler", results[f"left{free_k}"]


def test_check_reports_an_empty_journal_file(tmp_path):
    empty = tmp_path / paths.DB_NAME
    empty.write_bytes(b"")
    found = check.check_file(empty, bytes(32))
    assert not found.ok and "empty" in found.damage()
    with pytest.raises(CorruptVault, match="empty"):
        backup.verify(tmp_path, bytes(32))
