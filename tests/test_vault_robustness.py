"""Issue 10: damaged, empty, full, read-only and foreign files give one line, change nothing,
and never replace what the user did not mean (items 3, 7, 8, 9, 11, 12, 13).

Some tests run the CLI in a private mount namespace (`unshare -m`) over a real tmpfs: a disk
that is really full, a folder that is really read-only (as root, chmod does not stop writes).
Where namespaces are not allowed they are skipped; the in-process tests around them still run.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import main
from services import journal, paths
from services import vault as vaults
from services.errors import CorruptVault, ReadOnlyJournal, StorageFull
from services.store import translate, use_case
from services.vault import backup, vault_header
from tests.helpers import snapshot

ROOT = Path(__file__).resolve().parent.parent
PASS = "correct horse battery"


def add_entry(vault, partner="Helix", title="Margin talk"):
    with use_case(vault, write=True) as s:
        p, _ = journal.ensure_partner(session=s, name=partner)
        journal.create_interaction(session=s, interaction_in={"partner_id": p.id,
                                                              "title": title})


def run_cli(data_dir, *argv):
    code = main.main(["--data-dir", str(data_dir), *argv])
    return code


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def subprocess_env(data_dir) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT")}
    return env | {"CONFIDANT_DATA_DIR": str(data_dir), "CONFIDANT_PASSPHRASE": PASS,
                  "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                  "QT_QPA_PLATFORM": "offscreen"}


def cli_process(data_dir, *argv):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *argv], cwd=ROOT,
                          env=subprocess_env(data_dir), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)


@pytest.fixture
def pass_vault(no_keyring, data_dir, monkeypatch):
    """A passphrase-only vault (no keychain) with one entry, closed; scrypt at the smallest
    cost a header may ask for, so the CLI processes below start fast."""
    monkeypatch.setattr(vault_header, "SCRYPT_N", 2**14)
    created = vaults.create_vault(data_dir, passphrase=PASS)
    add_entry(created.vault)
    created.vault.lock()
    return created


# --- item 3: an empty journal file is damaged, never a new journal ----------------------------
def test_an_empty_journal_file_is_damaged_and_left_alone(vault, data_dir, capsys):
    add_entry(vault)
    vault.lock()
    paths.db_path(data_dir).write_bytes(b"")
    before = snapshot(data_dir)
    with pytest.raises(CorruptVault, match="empty"):
        vaults.open_vault(data_dir)
    assert run_cli(data_dir, "list") == 2
    assert "damaged" in one_line(capsys.readouterr().err)
    assert snapshot(data_dir) == before  # still empty, no -wal or -shm left behind
    assert paths.db_path(data_dir).stat().st_size == 0


# --- item 7: a damaged header is one line, exit 2, and scrypt's cost is capped ---------------
def _slot(h):
    return h["slots"]["passphrase"]


HEADER_DAMAGE = {
    "scrypt n=3": lambda h: _slot(h).update(n=3),
    "scrypt n=2**40": lambda h: _slot(h).update(n=2**40),
    "scrypt r=2**20": lambda h: _slot(h).update(r=2**20),
    "scrypt p=10**6": lambda h: _slot(h).update(p=10**6),
    "n is text": lambda h: _slot(h).update(n="many"),
    "n is true": lambda h: _slot(h).update(n=True),
    "salt not base64": lambda h: _slot(h).update(salt="%%% not base64 %%%"),
    "empty nonce": lambda h: _slot(h).update(nonce=""),
    "nonce missing": lambda h: _slot(h).pop("nonce"),
    "sealed missing": lambda h: _slot(h).pop("sealed"),
    "slot is a string": lambda h: h["slots"].update(passphrase="secret"),
    "slots missing": lambda h: h.pop("slots"),
    "slots a list": lambda h: h.update(slots=[]),
    "key_check missing": lambda h: h.pop("key_check"),
    "key_check a number": lambda h: h.update(key_check=12),
    "vault_id a number": lambda h: h.update(vault_id=7),
    "keychain is text": lambda h: h.update(keychain="yes"),
    "format unknown": lambda h: h.update(format="other/9"),
    "pending is text": lambda h: h.update(pending="x"),
    "not an object": lambda h: h.clear() or h.update(x=1),
}


def test_a_damaged_header_is_one_line_and_exit_2(pass_vault, data_dir, monkeypatch, capsys):
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", PASS)
    header_file = paths.header_path(data_dir)
    good = json.loads(header_file.read_text())
    for name, damage in HEADER_DAMAGE.items():
        header = json.loads(json.dumps(good))
        damage(header)
        header_file.write_text(json.dumps(header) if name != "not an object" else "[1, 2]")
        before = snapshot(data_dir)
        code = run_cli(data_dir, "list")
        err = capsys.readouterr().err
        assert code == 2, (name, err)
        line = one_line(err)
        assert "header" in line, (name, line)
        assert snapshot(data_dir) == before, name
    header = json.loads(json.dumps(good))
    header["slots"]["recovery"] = [1, 2]  # only the other slot is damaged: the passphrase opens
    header_file.write_text(json.dumps(header))
    assert run_cli(data_dir, "list") == 0
    assert "Margin talk" in capsys.readouterr().out
    header_file.unlink()
    header_file.mkdir()  # the header is a directory
    assert run_cli(data_dir, "list") == 2
    assert "header" in one_line(capsys.readouterr().err)


def test_a_damaged_passphrase_slot_still_opens_with_the_recovery_key(pass_vault, data_dir):
    header_file = paths.header_path(data_dir)
    header = json.loads(header_file.read_text())
    header["slots"]["passphrase"]["n"] = 2**40
    header_file.write_text(json.dumps(header))
    with pytest.raises(CorruptVault, match="passphrase slot is damaged.*recovery key"):
        vaults.open_vault(data_dir, passphrase=PASS)
    vault = vaults.open_vault(data_dir, passphrase=pass_vault.recovery_key)  # typed in the box
    assert vault.unlocked_by == "passphrase"
    vault.lock()


# --- item 9: a full disk says so, and leaves no temporary file ---------------------------------
def test_init_on_a_full_disk_leaves_nothing(no_keyring, tmp_path, monkeypatch):
    root = tmp_path / "full"

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(StorageFull, match="disk is full"):
        vaults.create_vault(root, passphrase=PASS)
    assert list(root.iterdir()) == []  # no vault.tmp, no header, no journal


def test_sqlite_full_and_readonly_errors_are_translated():
    import sqlcipher3

    full = sqlcipher3.OperationalError("database or disk is full")
    assert isinstance(vaults._open_error(full, Path("journal.db")), StorageFull)
    assert isinstance(translate(sqlcipher3.OperationalError(
        "attempt to write a readonly database")), ReadOnlyJournal)


# --- item 8: the sidecar clean-up never hides the real error -----------------------------------
def test_sidecar_cleanup_does_not_mask_the_error(tmp_path, monkeypatch):
    db_file = tmp_path / paths.DB_NAME

    def read_only(self, missing_ok=False):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "unlink", read_only)
    with pytest.raises(CorruptVault, match="the real one"):
        with vaults._no_new_sidecars(db_file):
            raise CorruptVault("the real one")


# --- real full and read-only disks, in a private mount namespace -------------------------------
def _namespaces_work() -> bool:
    if not shutil.which("unshare") or not sys.platform.startswith("linux"):
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"],
                           capture_output=True)
    return probe.returncode == 0


needs_namespace = pytest.mark.skipif(not _namespaces_work(),
                                     reason="needs unshare -m and mount (root in a container)")


def in_namespace(script: str, data_dir: Path) -> dict:
    """Run `script` (sh) in a private mount namespace; $CLI runs the CLI; each line
    'name<TAB>code<TAB>stdout<TAB>stderr' the script prints through `r` is returned."""
    prelude = f'''
set -u
CLI="{sys.executable} {ROOT / "main.py"}"
r() {{ name=$1; shift; out=$($CLI "$@" 2>/tmp/.err.$$); code=$?
       printf '%s\\t%s\\t%s\\t%s\\n' "$name" "$code" "$(echo "$out" | tr '\\n\\t' '  ')" \\
              "$(tr '\\n' '|' < /tmp/.err.$$)"; }}
'''
    done = subprocess.run(["unshare", "-m", "sh", "-c", prelude + script], cwd=ROOT,
                          env=subprocess_env(data_dir), capture_output=True, text=True,
                          timeout=300)
    results = {}
    for line in done.stdout.splitlines():
        name, code, out, err = (line.split("\t") + ["", "", ""])[:4]
        results[name] = (int(code), out, err.rstrip("|"))
    assert results, done.stderr
    return results


@needs_namespace
def test_a_full_disk_says_so(pass_vault, data_dir, tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    results = in_namespace(f'''
mount -t tmpfs -o size=1m tmpfs {mnt}
cp -a {data_dir} {mnt}/vault
mkdir {mnt}/new
dd if=/dev/zero of={mnt}/filler bs=4k 2>/dev/null
export CONFIDANT_DATA_DIR={mnt}/vault
r list list
CONFIDANT_DATA_DIR={mnt}/new r init init
printf 'left\t0\t%s\t\n' "$(ls -A {mnt}/new | tr '\n' ' ')"
''', data_dir)
    for name in ("list", "init"):
        code, _, err = results[name]
        assert code == 1 and "disk is full" in err and "|" not in err, (name, err)
    assert results["left"][1].strip() == ""  # no vault.tmp, no half vault


@needs_namespace
def test_a_read_only_folder_reads_and_refuses_writes_in_one_line(pass_vault, data_dir,
                                                                  tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    opened = vaults.open_vault(data_dir, passphrase=PASS)
    saved = backup.backup(vault=opened, target=tmp_path / "saved.backup")
    opened.lock()
    before = snapshot(data_dir)
    results = in_namespace(f'''
mount --bind {data_dir} {data_dir}
mount -o remount,bind,ro {data_dir}
r restore restore {saved}
r list list
r partners partner list
r search search margin
r advise advise --partner Helix --no-model
r export export --format json -o {out}/all.json
r backup backup -o {out}/copy.backup
export CONFIDANT_NEW_PASSPHRASE="another long phrase"
r passphrase passphrase
r log log --partner Helix --title "Another talk"
''', data_dir)
    for name in ("list", "partners", "search", "advise", "export", "backup"):
        code, _, err = results[name]
        assert code == 0, (name, err)
    assert "Margin talk" in results["list"][1] and "Helix" in results["partners"][1]
    assert "Margin talk" in results["search"][1]
    assert (out / "all.json").exists() and (out / "copy.backup").exists()
    for name in ("log", "restore", "passphrase"):
        code, _, err = results[name]
        assert code == 1 and "read-only" in err and "|" not in err, (name, err)
    assert snapshot(data_dir) == before


# --- item 11: SQLCipher's own log stays quiet ----------------------------------------------------
def test_a_flipped_byte_or_a_foreign_journal_is_exactly_one_line(pass_vault, data_dir, tmp_path):
    other = tmp_path / "other"
    vaults.create_vault(other, passphrase=PASS).vault.lock()
    db_file = paths.db_path(data_dir)
    good = db_file.read_bytes()
    data = bytearray(good)
    data[vaults.PAGE_SIZE + 200] ^= 0x01  # page 2
    db_file.write_bytes(bytes(data))
    flipped = cli_process(data_dir, "list")
    db_file.write_bytes(paths.db_path(other).read_bytes())
    foreign = cli_process(data_dir, "list")
    for done in (flipped, foreign):
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.splitlines()) == 1, done.stderr
        assert "hmac" not in done.stderr and done.stderr.startswith("confidant: ")


# --- item 12: only regular files are written ---------------------------------------------------
def test_writers_refuse_symlinks_devices_and_pipes(vault, data_dir, tmp_path, capsys):
    add_entry(vault)
    vault.lock()
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    link = tmp_path / "link"
    link.symlink_to(precious)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    targets = [link, fifo]
    if os.geteuid() == 0:  # a character device like /dev/null, made in the test folder
        device = tmp_path / "null"
        os.mknod(device, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        targets.append(device)
    for target in targets:
        kind = stat.S_IFMT(target.lstat().st_mode)
        for argv in (["backup", "-o", str(target)],
                     ["export", "--format", "markdown", "-o", str(target)],
                     ["brief", "--partner", "Helix", "-o", str(target)]):
            assert run_cli(data_dir, *argv) == 1, argv
            line = one_line(capsys.readouterr().err)
            assert "regular file" in line or "symbolic link" in line, line
            assert stat.S_IFMT(target.lstat().st_mode) == kind, argv
    assert precious.read_text() == "keep me" and link.is_symlink()
    assert [p.name for p in tmp_path.glob("*.partial")] == []


# --- item 13: private files and folders -----------------------------------------------------------
def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_private(vault, data_dir, tmp_path, capsys):
    add_entry(vault)
    old_umask = os.umask(0o022)
    try:
        assert mode(data_dir) == 0o700  # the fixture made it 0755: create tightened it
        for name in (paths.DB_NAME, paths.HEADER_NAME, paths.DB_NAME + "-wal",
                     paths.DB_NAME + "-shm"):
            assert mode(data_dir / name) == 0o600, name
        backup_file = backup.backup(vault=vault, target=tmp_path / "b.backup")
        assert mode(backup_file) == 0o600
        vault.lock()
        os.chmod(data_dir, 0o755)  # a folder from an older version
        os.chmod(paths.db_path(data_dir), 0o644)
        reopened = vaults.open_vault(data_dir)
        reopened.lock()
        assert mode(data_dir) == 0o700 and mode(paths.db_path(data_dir)) == 0o600
        assert run_cli(data_dir, "export", "--format", "json", "-o", str(tmp_path / "e.json")) == 0
        assert run_cli(data_dir, "brief", "--partner", "Helix", "-o",
                       str(tmp_path / "b.pdf")) == 0
        assert mode(tmp_path / "e.json") == 0o600 and mode(tmp_path / "b.pdf") == 0o600
        os.umask(0o022)
        fresh = tmp_path / "fresh"
        assert run_cli(fresh, "init") == 0  # main sets the umask for everything it creates
        assert mode(fresh) == 0o700
        assert {p.name: mode(p) for p in fresh.iterdir()} == {
            paths.DB_NAME: 0o600, paths.HEADER_NAME: 0o600}
    finally:
        os.umask(old_umask)
    capsys.readouterr()
