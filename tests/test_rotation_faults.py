"""Issue 18, items 1, 2 and 7: key rotation and passphrase change under every fault.

Each fsync, rename and write of the command (SQLite's page writes at a stride) gets, in turn,
an I/O error or a kill, injected by strace. After every one, the journal must open with the
passphrase, and with every recovery key that was printed to the user and not yet replaced by a
rotation that finished; it holds its entries; and a recovery key is printed only if it works.
"""

from __future__ import annotations

import re
import shutil

import pytest

from services import journal, paths
from services import vault as vaults
from services.errors import VaultError
from services.store import use_case
from services.vault import vault_header
from services.vault.vault_header import read_header
from tests import fault_injection
from tests import test_vault_robustness as robustness
from tests.test_key_rotation import PASS, pass_vault  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(not fault_injection.available(),
                                reason="needs strace allowed to attach (ptrace)")

NEW_PASS = "a different phrase"
KEY = re.compile(r"\b[A-Z2-7]{4}(?:-[A-Z2-7]{4}){7}\b")


@pytest.fixture
def pristine(pass_vault, data_dir, tmp_path):  # noqa: F811 (the fixture imported above)
    """test_key_rotation's vault (a passphrase, three entries), closed and copied aside; its
    first recovery key."""
    pass_vault.vault.lock()
    copy = tmp_path / "pristine"
    shutil.copytree(data_dir, copy)
    return copy, pass_vault.recovery_key


def _fresh(data_dir, copy) -> None:
    shutil.rmtree(data_dir)
    shutil.copytree(copy, data_dir)


def _entries(data_dir, **secret) -> int:
    vault = vaults.open_vault(data_dir, use_keychain=False, **secret)
    try:
        with use_case(vault) as s:
            return len(journal.list_interactions(session=s))
    finally:
        vault.lock()


def _opens(data_dir, **secret) -> bool:
    try:
        return _entries(data_dir, **secret) == 3
    except VaultError:
        return False


def _matrix(data_dir, copy, tmp_path, argv, env):
    """Yield (point, run) for every fault point of the command, on a fresh copy each time."""
    seen = fault_injection.counts(argv, env, tmp_path)
    assert seen["fsync"] >= 2 and seen["rename"] >= 1, seen
    for name, n in fault_injection.points(seen):
        for how in ("eio", "kill"):
            _fresh(data_dir, copy)
            done = fault_injection.run(argv, env, tmp_path / "out.txt",
                                       strace_args=fault_injection.fault(name, n, how))
            assert "Traceback" not in done.out and done.code != 4, (name, n, how, done.out)
            yield f"{how} at {name} #{n}", done
        _fresh(data_dir, copy)


@pytest.mark.timeout(600)
def test_rotation_under_every_fault_keeps_every_shown_key(pristine, data_dir, tmp_path):
    copy, first_recovery = pristine
    argv = ["--data-dir", str(data_dir), "passphrase", "--rotate-key"]
    env = {"CONFIDANT_PASSPHRASE": PASS, "CONFIDANT_NEW_PASSPHRASE": PASS}
    outcomes = {"finished": 0, "unfinished": 0, "refused": 0}
    for point, done in _matrix(data_dir, copy, tmp_path, argv, env):
        shown = KEY.findall(done.out)
        assert _opens(data_dir, passphrase=PASS), (point, done.out)
        for printed in shown:  # a recovery key is printed only when it works
            assert _opens(data_dir, recovery_key=printed), (point, done.out)
        header = read_header(paths.header_path(data_dir))
        finished = header.pending is None and header.check != _first_check(copy)
        if finished:
            assert shown, (point, done.out)  # finished only once the key was shown
            assert not _opens(data_dir, recovery_key=first_recovery), point
            outcomes["finished"] += 1
        else:
            assert _opens(data_dir, recovery_key=first_recovery), (point, done.out)
            outcomes["unfinished" if shown or header.pending else "refused"] += 1
        if done.code == 0:
            assert shown, (point, done.out)  # success always shows the key
    print(f"\nrotation faults: {outcomes}")
    assert outcomes["finished"] and outcomes["refused"], outcomes


def _first_check(copy) -> str:
    return read_header(copy / paths.HEADER_NAME).check


@pytest.mark.timeout(600)
def test_passphrase_change_under_every_fault_says_what_is_true(pristine, data_dir, tmp_path):
    """Item 7: a change that reports failure has not applied; one that reports success has; a
    killed one leaves exactly one of the two passphrases working. The recovery key always."""
    copy, recovery = pristine
    argv = ["--data-dir", str(data_dir), "passphrase"]
    env = {"CONFIDANT_PASSPHRASE": PASS, "CONFIDANT_NEW_PASSPHRASE": NEW_PASS}
    seen = {"changed": 0, "refused": 0, "killed": 0, "output failed": 0}
    for point, done in _matrix(data_dir, copy, tmp_path, argv, env):
        old, new = _opens(data_dir, passphrase=PASS), _opens(data_dir, passphrase=NEW_PASS)
        assert old != new, (point, old, new, done.out)
        assert _opens(data_dir, recovery_key=recovery), point
        if done.code == 0:
            assert new and "Passphrase changed" in done.out, (point, done.out)
            seen["changed"] += 1
        elif done.code is None:
            seen["killed"] += 1
        elif "cannot write the output" in done.out:  # the report failed, not the change
            seen["output failed"] += 1
        else:
            assert old, (point, done.out)
            assert len(done.out.strip().splitlines()) == 1, (point, done.out)
            seen["refused"] += 1
        assert not list(data_dir.glob("*.tmp")), point  # nothing of ours left behind
    print(f"\npassphrase faults: {seen}")
    assert seen["refused"] and seen["killed"], seen


@robustness.needs_namespace
@pytest.mark.timeout(300)
def test_rotation_on_a_nearly_full_disk_never_locks_out(no_keyring, data_dir, tmp_path,
                                                        monkeypatch):
    """Item 1: 40-300 KB free. Every run ends with the passphrase and the old recovery key
    opening the journal (or the new one, if printed), before and after space is freed."""
    monkeypatch.setattr(vault_header, "SCRYPT_N", 2**14)
    created = vaults.create_vault(data_dir, passphrase=robustness.PASS)
    robustness.add_entry(created.vault)
    created.vault.lock()
    mnt = tmp_path / "disk"
    mnt.mkdir()
    script = f"mount -t tmpfs -o size=3m tmpfs {mnt}\n"
    for free in (40, 100, 200, 300):
        script += f'''
rm -rf {mnt}/v {mnt}/filler; cp -a {data_dir} {mnt}/v
avail=$(df --output=avail -k {mnt} | tail -1)
dd if=/dev/zero of={mnt}/filler bs=1k count=$((avail - {free})) 2>/dev/null
export CONFIDANT_DATA_DIR={mnt}/v CONFIDANT_NEW_PASSPHRASE="$CONFIDANT_PASSPHRASE"
r rotate{free} passphrase --rotate-key
new=$(echo "$out" | grep -oE '[A-Z2-7]{{4}}(-[A-Z2-7]{{4}}){{7}}')
for when in full freed; do
  r pass{free}$when list
  CONFIDANT_PASSPHRASE="{created.recovery_key}" r old{free}$when list
  [ -n "$new" ] && CONFIDANT_PASSPHRASE="$new" r new{free}$when list
  rm -f {mnt}/filler
done
'''
    results = robustness.in_namespace(script, data_dir)
    for free in (40, 100, 200, 300):
        code, out, err = results[f"rotate{free}"]
        assert "Traceback" not in err and len(err.split("|")) <= 2, (free, err)
        printed = bool(KEY.search(out))
        assert printed or "disk is full" in err, (free, err)
        assert printed == (code == 0), (free, code, out, err)
        for when in ("full", "freed"):
            assert results[f"pass{free}{when}"][0] == 0, (free, when, results)
            if printed:
                assert results[f"new{free}{when}"][0] == 0, (free, when)
            else:
                assert results[f"old{free}{when}"][0] == 0, (free, when)
