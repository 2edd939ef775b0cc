"""Rotating the encryption key (issue 10, item 15): the journal is re-encrypted, an old header
copy with the old passphrase opens nothing, and a kill at any step leaves a vault that opens."""

from __future__ import annotations

import os
import shutil
import time

import pytest

import main
from services import journal, key_rotation, keychain, paths, vault_header
from services import vault as vaults
from services.errors import VaultError, WrongKey
from services.store import use_case
from services.vault_header import key_check, read_header

PASS = "correct horse battery"
KILLED = 77


def titles(vault) -> list[str]:
    with use_case(vault) as s:
        return sorted(i.title for i in journal.list_interactions(session=s))


@pytest.fixture
def pass_vault(no_keyring, data_dir, monkeypatch):
    monkeypatch.setattr(vault_header, "SCRYPT_N", 2**14)  # the cheapest a header may ask for
    created = vaults.create_vault(data_dir, passphrase=PASS)
    with use_case(created.vault, write=True) as s:
        partner, _ = journal.ensure_partner(session=s, name="Helix")
        for i in range(3):
            journal.create_interaction(session=s, interaction_in={
                "partner_id": partner.id, "title": f"entry {i}"})
    return created


def test_after_rotation_the_old_header_and_passphrase_open_nothing(pass_vault, data_dir,
                                                                    tmp_path):
    vault = pass_vault.vault
    old_header = tmp_path / "old.header"
    shutil.copy(paths.header_path(data_dir), old_header)
    old_key = bytes(vault.key)
    recovery = key_rotation.rotate_key(vault, passphrase=PASS)
    assert bytes(vault.key) != old_key and titles(vault) == ["entry 0", "entry 1", "entry 2"]
    vault.lock()
    header = read_header(paths.header_path(data_dir))
    assert header.pending is None and header.check != key_check(old_key)
    reopened = vaults.open_vault(data_dir, passphrase=PASS)
    assert len(titles(reopened)) == 3
    reopened.lock()
    assert len(titles(vaults.open_vault(data_dir, recovery_key=recovery))) == 3
    with pytest.raises(WrongKey):
        vaults.open_vault(data_dir, recovery_key=pass_vault.recovery_key)
    shutil.copy(old_header, paths.header_path(data_dir))  # a copy kept from before
    with pytest.raises(VaultError):
        vaults.open_vault(data_dir, passphrase=PASS)
    with pytest.raises(VaultError):
        vaults.open_with_key(data_dir, old_key)


def test_rotation_updates_the_keychain(data_dir):
    created = vaults.create_vault(data_dir)  # keychain only, no passphrase
    vault = created.vault
    key_rotation.rotate_key(vault, passphrase=None)
    stored = keychain.load_key(vault.vault_id)
    assert key_check(stored) == read_header(paths.header_path(data_dir)).check
    assert keychain.load_key(vaults.pending_account(vault.vault_id)) is None
    vault.lock()
    assert vaults.open_vault(data_dir).unlocked_by == "keychain"


def test_cli_rotate_key(pass_vault, data_dir, monkeypatch, capsys):
    pass_vault.vault.lock()
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", PASS)
    monkeypatch.setenv("CONFIDANT_NEW_PASSPHRASE", "a brand new phrase")
    before = read_header(paths.header_path(data_dir)).check
    assert main.main(["--data-dir", str(data_dir), "passphrase", "--rotate-key"]) == 0
    out = capsys.readouterr().out
    assert "New recovery key" in out and "re-encrypted" in out
    assert read_header(paths.header_path(data_dir)).check != before
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", "a brand new phrase")
    assert main.main(["--data-dir", str(data_dir), "list"]) == 0
    assert "entry 2" in capsys.readouterr().out


def _killed_at(n: int, data_dir) -> list[str]:
    """Rotate in a forked child that dies at its n-th step (None: no kill); the steps seen."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read)
            seen = []

            def step(name):
                seen.append(name)
                os.write(write, (name + "\n").encode())
                if len(seen) == n:
                    os._exit(KILLED)

            key_rotation._step = step
            vault = vaults.open_vault(data_dir, passphrase=PASS)
            key_rotation.rotate_key(vault, passphrase=PASS)
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        steps = pipe.read().splitlines()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == (KILLED if n else 0), (n, steps)
    return steps


def test_rotation_killed_at_every_step_still_opens(pass_vault, data_dir, tmp_path):
    pass_vault.vault.lock()
    pristine = tmp_path / "pristine"
    shutil.copytree(data_dir, pristine)
    old_check = read_header(paths.header_path(data_dir)).check
    steps = _killed_at(0, data_dir)
    assert steps == ["write pending header", "rekey", "checkpoint", "settle"]
    outcomes = {}
    for n, name in enumerate(steps, 1):
        shutil.rmtree(data_dir)
        shutil.copytree(pristine, data_dir)
        _killed_at(n, data_dir)
        vault = vaults.open_vault(data_dir, passphrase=PASS)  # settles the rotation
        assert len(titles(vault)) == 3, name
        vault.lock()
        header = read_header(paths.header_path(data_dir))
        assert header.pending is None, name
        outcomes[name] = "old key" if header.check == old_check else "new key"
    assert outcomes == {"write pending header": "old key", "rekey": "old key",
                        "checkpoint": "new key", "settle": "new key"}


def test_time_of_a_rotation_on_the_sample_journal(data_dir, capsys):
    from services import demo

    vault = vaults.create_vault(data_dir).vault
    with use_case(vault, write=True) as s:
        demo.load_sample(session=s)
    start = time.perf_counter()
    key_rotation.rotate_key(vault, passphrase=None)
    took = time.perf_counter() - start
    assert len(titles(vault)) > 10
    vault.lock()
    size = paths.db_path(data_dir).stat().st_size  # checkpointed: every page in the file
    with capsys.disabled():
        print(f"\nrotation of the sample journal ({size // 1024} KiB): {took:.2f} s")
