"""Issue 18: a restore refuses every hostile backup in one line, changes nothing, and bounds
what it unpacks by the bytes it really writes (items 4 and 17, two tracebacks, issue 20 item 14).
"""

from __future__ import annotations

import os
import struct
import time
import zipfile
from pathlib import Path

import pytest

import main
from services import paths
from services import vault as vaults
from services.errors import CorruptVault, StorageFull, WrongKey
from services.vault import backup, check, vault_header
from tests.helpers import add_entries, snapshot

PASS = "correct horse battery"




@pytest.fixture
def good(vault, data_dir, tmp_path):
    """A genuine backup of the vault (closed afterwards), and the vault's key."""
    add_entries(vault)
    saved = backup.backup(vault=vault, target=tmp_path / "good.backup")
    key = bytes(vault.key)
    vault.lock()
    return saved, key


def members(saved: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(saved) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def repack(saved: Path, out: Path, *, journal_db: bytes | None = None,
           method: int = zipfile.ZIP_DEFLATED) -> Path:
    parts = members(saved)
    if journal_db is not None:
        parts[paths.DB_NAME] = journal_db
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out


def patch_headers(path: Path, *, method: int | None = None, flag: int = 0) -> Path:
    """Set the compression method or OR a flag into every local and central header."""
    data = bytearray(path.read_bytes())
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = data.find(signature)
        while at >= 0:
            if method is not None:
                struct.pack_into("<H", data, at + method_at, method)
            old = struct.unpack_from("<H", data, at + flag_at)[0]
            struct.pack_into("<H", data, at + flag_at, old | flag)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))
    return path


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# --- item 4: an empty or page-less journal is refused ------------------------------------------
@pytest.mark.timeout(60)
def test_an_empty_pageless_or_cut_journal_is_refused(good, data_dir, tmp_path):
    saved, key = good
    real = members(saved)[paths.DB_NAME]
    pageless = tmp_path / "pageless.db"  # the right key, a valid file, no journal in it
    con = check.open_file(pageless, key)
    con.execute("PRAGMA user_version = 1")
    con.close()
    before = snapshot(data_dir)
    for name, data, says in (
            ("empty", b"", "empty"),
            ("pageless", pageless.read_bytes(), "no journal"),
            ("cut", real[:2 * vaults.PAGE_SIZE + 100], "cut short"),
            ("another key", members(saved)[paths.DB_NAME][:16] + bytes(len(real) - 16), "key"),
            ("cut at a page", real[:2 * vaults.PAGE_SIZE], "structure is broken")):
        hostile = repack(saved, tmp_path / f"{name}.backup", journal_db=data)
        with pytest.raises(CorruptVault, match=says):
            backup.restore(root=data_dir, source=hostile)
        assert snapshot(data_dir) == before, name
    assert backup.restore(root=data_dir, source=repack(saved, tmp_path / "again.backup"))


# --- item 17: a zip bomb is refused after a few megabytes, not after the whole of it ------------
def _written_bytes() -> int:
    with open("/proc/self/io") as fh:
        return int(next(line for line in fh if line.startswith("wchar:")).split()[1])


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="counts writes in /proc")
@pytest.mark.timeout(60)
def test_a_zip_bomb_is_refused_after_a_few_megabytes(good, data_dir, tmp_path):
    saved, _ = good
    bomb = tmp_path / "bomb.backup"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        info = zipfile.ZipInfo(paths.DB_NAME)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as fh:
            for _ in range(256):  # 256 MiB of zeros in about 250 KB
                fh.write(bytes(2**20))
        archive.writestr(paths.HEADER_NAME, members(saved)[paths.HEADER_NAME])
    assert bomb.stat().st_size < 2**20
    before, started, written = snapshot(data_dir), time.monotonic(), _written_bytes()
    with pytest.raises(CorruptVault, match="zip bomb"):
        backup.restore(root=data_dir, source=bomb)
    written, took = _written_bytes() - written, time.monotonic() - started
    assert written < 8 * 2**20, f"{written:,} bytes written before the refusal"
    assert took < 10, took
    assert snapshot(data_dir) == before and not list(data_dir.glob("restore-*"))


@pytest.mark.timeout(30)
def test_a_declared_size_past_the_cap_or_the_free_space_is_refused_before_writing(
        good, data_dir, tmp_path, monkeypatch):
    saved, _ = good
    before = snapshot(data_dir)
    monkeypatch.setitem(backup.LIMITS, paths.DB_NAME, 64 * 1024)  # smaller than the journal
    with pytest.raises(CorruptVault, match="more than a backup may hold"):
        backup.restore(root=data_dir, source=saved)
    monkeypatch.undo()

    class Full:
        f_bavail, f_frsize = 10, 4096

    monkeypatch.setattr(backup.os, "statvfs", lambda path: Full())
    with pytest.raises(StorageFull, match="disk is full.*needs"):
        backup.restore(root=data_dir, source=saved)
    assert snapshot(data_dir) == before


# --- tracebacks: compression method 98, the encrypted flag --------------------------------------
@pytest.mark.timeout(60)
def test_unknown_compression_and_encrypted_zips_are_one_line(good, data_dir, tmp_path, cli):
    saved, _ = good
    before = snapshot(data_dir)
    cases = {
        "method 98": (patch_headers(repack(saved, tmp_path / "ppmd.backup"), method=98),
                      "compression"),
        "encrypted": (patch_headers(repack(saved, tmp_path / "locked.backup"), flag=0x1),
                      "password-protected"),
    }
    for name, (hostile, says) in cases.items():
        code, out, err = cli("restore", str(hostile))
        assert code == 2, (name, out, err)
        assert says in one_line(err), name
        assert snapshot(data_dir) == before, name
    # a genuine backup zipped again with compression (by hand, another tool) still restores
    code, out, err = cli("restore", str(repack(saved, tmp_path / "rezipped.backup")))
    assert code == 0 and "Restored" in out, err


# --- issue 20 item 14: a backup made under another passphrase says so ----------------------------
@pytest.mark.timeout(60)
def test_a_backup_made_under_another_passphrase_says_so(no_keyring, data_dir, tmp_path,
                                                        monkeypatch):
    monkeypatch.setattr(vault_header, "SCRYPT_N", 2**14)
    created = vaults.create_vault(data_dir, passphrase=PASS)
    add_entries(created.vault)
    saved = backup.backup(vault=created.vault, target=tmp_path / "old.backup")
    vaults.set_passphrase(data_dir, key=created.vault.key, new_passphrase="a newer phrase")
    created.vault.lock()
    before = snapshot(data_dir)
    with pytest.raises(WrongKey, match="made under another passphrase .*in use when it was made"):
        backup.restore(root=data_dir, source=saved, passphrase="a newer phrase")
    assert snapshot(data_dir) == before
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", "a newer phrase")
    assert main.main(["--data-dir", str(data_dir), "restore", str(saved)]) == 2
    backup.restore(root=data_dir, source=saved, passphrase=PASS)  # the one it was made under
    assert os.path.exists(paths.db_path(data_dir))
