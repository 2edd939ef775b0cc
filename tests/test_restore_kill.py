"""Restore is atomic (issue 10, items 4 and 6): killed at any rename or fsync, the vault opens
with its old or its new content; a backup of another journal needs consent.

The kills are fault injection, not timing: `pending_restore._step` is called before every
rename and fsync, and a forked child replaces it with `os._exit` at the n-th call, so nothing
after that point runs (no `finally`, no clean-up), exactly as with SIGKILL.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime

import pytest

import main
from services import journal, paths
from services import vault as vaults
from services.errors import CorruptVault, InvalidInput
from services.store import use_case
from services.vault import backup, pending_restore
from tests.helpers import snapshot

KILLED = 77


def add_entries(vault, n, title="entry"):
    with use_case(vault, write=True) as s:
        partner, _ = journal.ensure_partner(session=s, name="Helix")
        for i in range(n):
            journal.create_interaction(session=s, interaction_in={
                "partner_id": partner.id, "title": f"{title} {i}"})


def entry_count(root) -> int:
    vault = vaults.open_vault(root)
    try:
        with use_case(vault) as s:
            return len(journal.list_interactions(session=s))
    finally:
        vault.lock()


def run_killed(at: int | None, fn) -> list[str]:
    """Run fn() in a forked child whose n-th injected step kills it; the steps it reached."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            os.close(read)
            seen = []

            def step(name):
                seen.append(name)
                os.write(write, (name + "\n").encode())
                if len(seen) == at:
                    os._exit(KILLED)

            pending_restore._step = step
            fn()
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        steps = pipe.read().splitlines()
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    assert code == (KILLED if at is not None else 0), (at, steps)
    return steps


@pytest.fixture
def old_and_backup(vault, data_dir, tmp_path):
    """The vault with 5 entries (old content) and a backup of it with 3 (new content). The
    old vault is copied while open, as a crash leaves it: its last entries are only in -wal."""
    add_entries(vault, 3)
    target = backup.backup(vault=vault, target=tmp_path / "three.backup")
    add_entries(vault, 2, "later")
    pristine = tmp_path / "pristine"
    shutil.copytree(data_dir, pristine)
    vault.lock()
    assert (pristine / (paths.DB_NAME + "-wal")).stat().st_size > 0
    return pristine, target


def test_restore_killed_at_every_rename_and_fsync_opens_old_or_new(old_and_backup, tmp_path):
    pristine, source = old_and_backup
    trial = tmp_path / "trial"

    def fresh():
        shutil.rmtree(trial, ignore_errors=True)
        shutil.copytree(pristine, trial)

    fresh()
    steps = run_killed(None, lambda: backup.restore(root=trial, source=source))
    assert entry_count(trial) == 3
    # killed at or before the intent's rename (1-based), nothing in the data dir has changed
    decided = steps.index("rename intent") + 1
    assert {"rename journal.db aside", "rename journal.db-wal aside",
            "rename journal.db-shm aside", "rename journal.db in"} <= set(steps)
    outcomes, nested = {}, 0
    for n, name in enumerate(steps, 1):
        fresh()
        run_killed(n, lambda: backup.restore(root=trial, source=source))
        assert vaults.exists(trial)
        outcomes[name] = entry_count(trial)  # the open finishes what the kill left
        assert outcomes[name] == (5 if n <= decided else 3), (n, name)
        assert not (trial / pending_restore.PENDING_NAME).exists()
        staging_left = list(trial.glob("restore-*"))
        assert bool(staging_left) == (n <= decided), name  # a copy of the backup, no more
        if n > decided:  # the old vault, -wal and all, is whole in its replaced-* folder
            assert entry_count(next(trial.glob("replaced-*"))) == 5, name
        if staging_left:  # the next restore clears it away
            backup.restore(root=trial, source=source)
            assert not list(trial.glob("restore-*")) and entry_count(trial) == 3
        if n > decided:  # a kill of that finishing open, at each of its steps, is finished too
            fresh()
            run_killed(n, lambda: backup.restore(root=trial, source=source))
            if not (trial / pending_restore.PENDING_NAME).exists():
                continue
            state = tmp_path / "state"
            shutil.rmtree(state, ignore_errors=True)
            shutil.copytree(trial, state)
            left = run_killed(None, lambda: pending_restore.finish(trial))
            for k in range(1, len(left) + 1):
                shutil.rmtree(trial)
                shutil.copytree(state, trial)
                run_killed(k, lambda: pending_restore.finish(trial))
                assert entry_count(trial) == 3, (n, name, k)
                nested += 1
    print(f"\n{len(steps)} kill points in restore, {nested} in the open that finishes it: "
          f"{outcomes}")


def test_pieces_aside_are_never_offered_init(old_and_backup, tmp_path, capsys):
    pristine, _ = old_and_backup
    aside = pristine / "replaced-20260101-000000"
    aside.mkdir()
    for name in (paths.DB_NAME, paths.HEADER_NAME):
        (pristine / name).replace(aside / name)  # what an old, interrupted restore left
    assert vaults.exists(pristine)
    with pytest.raises(CorruptVault, match="replaced-20260101-000000"):
        vaults.open_vault(pristine)
    assert main.main(["--data-dir", str(pristine), "init"]) == 1
    err = capsys.readouterr().err
    assert "replaced-20260101-000000" in err and "init" not in err
    assert not (pristine / paths.HEADER_NAME).exists()  # nothing was created over it


def test_restore_twice_in_the_same_second_keeps_both_old_vaults(old_and_backup, data_dir,
                                                                 monkeypatch):
    _, source = old_and_backup

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 1, 1, 9, 0, 0)

    monkeypatch.setattr(backup, "datetime", Frozen)
    first = backup.restore(root=data_dir, source=source)
    second = backup.restore(root=data_dir, source=source)
    assert first != second and first.exists() and second.exists()
    assert sorted(p.name for p in data_dir.glob("replaced-*")) == [
        "replaced-20260101-090000", "replaced-20260101-090000-2"]
    assert entry_count(data_dir) == 3


# --- item 6: a backup of another journal ------------------------------------------------------
@pytest.fixture
def foreign_backup(tmp_path):
    other = tmp_path / "other"
    created = vaults.create_vault(other)
    add_entries(created.vault, 4, "foreign")
    target = backup.backup(vault=created.vault, target=tmp_path / "foreign.backup")
    created.vault.lock()
    return target, created.vault.vault_id


def test_a_backup_of_another_journal_says_whose_and_asks(vault, data_dir, foreign_backup):
    add_entries(vault, 1)
    vault.lock()
    source, foreign_id = foreign_backup
    before = snapshot(data_dir)
    with pytest.raises(InvalidInput, match="another journal") as refused:
        backup.restore(root=data_dir, source=source)
    assert foreign_id in str(refused.value) and "4 entries" in str(refused.value)
    assert snapshot(data_dir) == before
    asked = []
    with pytest.raises(InvalidInput):
        backup.restore(root=data_dir, source=source, confirm=lambda w: asked.append(w) or False)
    assert snapshot(data_dir) == before and foreign_id in asked[0]
    backup.restore(root=data_dir, source=source, confirm=lambda w: True)
    assert entry_count(data_dir) == 4


def test_cli_restore_of_another_journal_needs_yes_without_a_terminal(vault, data_dir,
                                                                     foreign_backup, capsys):
    vault.lock()
    source, foreign_id = foreign_backup
    assert main.main(["--data-dir", str(data_dir), "restore", str(source)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--yes" in err and foreign_id in err
    assert main.main(["--data-dir", str(data_dir), "restore", str(source), "--yes"]) == 0
    assert entry_count(data_dir) == 4
