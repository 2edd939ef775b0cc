"""Rotating the encryption key (issue 10, item 15): the journal is re-encrypted, an old header
copy with the old passphrase opens nothing, and a kill at any step leaves a vault that opens."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

import main
from services import journal, paths
from services import vault as vaults
from services.errors import CorruptVault, VaultError, VaultInUse, WrongKey
from services.store import use_case
from services.vault import key_rotation, keychain, vault_header
from services.vault.vault_header import key_check, read_header

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
    key_rotation.finish_rotation(vault)
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
    key_rotation.finish_rotation(vault)
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
            key_rotation.finish_rotation(vault)
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
    """Killed before the new recovery key could be shown: the passphrase and the old recovery
    key open the journal at every step, and the rotation is settled by the key it answers to."""
    pass_vault.vault.lock()
    pristine = tmp_path / "pristine"
    shutil.copytree(data_dir, pristine)
    old_check = read_header(paths.header_path(data_dir)).check
    steps = _killed_at(0, data_dir)
    assert steps == ["write pending header", "rekey", "verify", "finish header"]
    outcomes = {}
    for n, name in enumerate(steps, 1):
        shutil.rmtree(data_dir)
        shutil.copytree(pristine, data_dir)
        _killed_at(n, data_dir)
        for secret in ({"passphrase": PASS}, {"recovery_key": pass_vault.recovery_key}):
            vault = vaults.open_vault(data_dir, **secret)
            assert len(titles(vault)) == 3, (name, secret)
            vault.lock()
        header = read_header(paths.header_path(data_dir))
        outcomes[name] = ("old key" if header.check == old_check and header.pending is None
                          else "new key, unfinished" if header.pending is not None else "?")
    assert outcomes == {"write pending header": "old key", "rekey": "old key",
                        "verify": "new key, unfinished", "finish header": "new key, unfinished"}


def test_a_second_rotation_over_an_unfinished_one_keeps_every_shown_key(pass_vault, data_dir):
    """Rotation 1 re-encrypted but was never finished (its key maybe shown); rotation 2 then
    runs: until it finishes, the first recovery key and the unconfirmed one both open."""
    vault = pass_vault.vault
    first = key_rotation.rotate_key(vault, passphrase=PASS)  # not finished
    second = key_rotation.rotate_key(vault, passphrase=PASS)
    vault.lock()
    for recovery in (pass_vault.recovery_key, first, second):
        opened = vaults.open_vault(data_dir, recovery_key=recovery)
        assert len(titles(opened)) == 3 and opened.rotation_unfinished
        opened.lock()
    opened = vaults.open_vault(data_dir, passphrase=PASS)
    key_rotation.finish_rotation(opened)
    opened.lock()
    assert len(titles(vaults.open_vault(data_dir, recovery_key=second))) == 3
    for retired in (pass_vault.recovery_key, first):
        with pytest.raises(WrongKey):
            vaults.open_vault(data_dir, recovery_key=retired)


def test_a_changed_key_check_does_not_lock_the_vault(pass_vault, data_dir):
    """One character of key_check changed (issue 18, item 6): the wrapped key still decrypts,
    so the passphrase and the recovery key open the journal, and the check is repaired."""
    pass_vault.vault.lock()
    header_file = paths.header_path(data_dir)
    data = json.loads(header_file.read_text())
    good = data["key_check"]
    data["key_check"] = ("0" if good[0] != "0" else "1") + good[1:]
    header_file.write_text(json.dumps(data))
    assert len(titles(vaults.open_vault(data_dir, passphrase=PASS))) == 3
    assert read_header(header_file).check == good  # repaired at the open
    data["key_check"] = "zz" + good[2:]  # not even hex
    header_file.write_text(json.dumps(data))
    assert len(titles(vaults.open_vault(data_dir, recovery_key=pass_vault.recovery_key))) == 3


def test_a_changed_vault_id_says_the_header_was_changed(pass_vault, data_dir):
    pass_vault.vault.lock()
    header_file = paths.header_path(data_dir)
    good = header_file.read_text()
    data = json.loads(good)
    data["vault_id"] = ("a" if data["vault_id"][0] != "a" else "b") + data["vault_id"][1:]
    header_file.write_text(json.dumps(data))
    with pytest.raises(CorruptVault, match="header was changed or damaged"):
        vaults.open_vault(data_dir, passphrase=PASS)
    header_file.write_text(good)
    with pytest.raises(WrongKey, match="Wrong passphrase"):  # an intact header: plain wrong
        vaults.open_vault(data_dir, passphrase="not the passphrase")


def test_rotation_is_refused_while_the_app_holds_the_journal(pass_vault, data_dir):
    """Issue 18, item 8: the app's autosaves would fail under a key changed beneath them."""
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (data_dir / paths.LOCK_NAME).write_text(f"{holder.pid}\n")
        with pytest.raises(VaultInUse, match="open on this journal"):
            key_rotation.rotate_key(pass_vault.vault, passphrase=PASS)
    finally:
        holder.kill()
        holder.wait()
    assert read_header(paths.header_path(data_dir)).pending is None


def test_time_of_a_rotation_on_the_sample_journal(data_dir, capsys):
    from services.journal import demo

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
