"""Sync through a folder (issue 24): what the folder can do wrong (emptied, withheld, damaged,
gone), what versions and compaction do, and a kill between the commit and the rename. Each
device is a real SQLCipher journal with its own copy of the folder (tests/sync_support.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from services import journal
from services.errors import ReadOnlyJournal, SyncError, WrongKey
from services.store import use_case
from services.sync import device as this_device
from services.sync import sealed, service, snapshots
from tests.sync_support import (
    Device,
    device_id,
    entries_of,
    lock_all,
    settle,
    sync_key,
    wipe,
    write_entry,
)


def test_an_emptied_folder_deletes_nothing(devices):
    (a, b, c), cloud = devices
    for n in range(3):
        write_entry(a, f"Entry {n}", "kept")
    settle([a, b, c], cloud)
    for device in (a, b, c):
        wipe(device.folder)
    cloud.files.clear()
    for device in (a, b, c):
        device.sync()
        assert len(entries_of(device)) == 3
    # A's segments come back from its outbox, so a device that never got them still can
    write_entry(b, "After the wipe")
    settle([a, b, c], cloud)
    assert len(entries_of(a)) == len(entries_of(c)) == 4


def test_a_withheld_segment_holds_back_the_ones_after_it(devices):
    (a, b, c), cloud = devices
    for n in range(3):
        write_entry(a, f"Entry {n}")
        a.sync()
    cloud.collect(a)
    mine = sorted(p for p in cloud.files if f"/{device_id(a)}/" in p
                  and sealed.SEGMENT_NAME.match(Path(p).name))
    cloud.deliver(b, [mine[0], mine[-1]])
    round_ = b.sync()
    assert set(entries_of(b)) == {"Entry 0"}
    assert round_.waiting == {device_id(a): int(Path(mine[1]).stem)}
    cloud.deliver(b, [mine[1]])
    b.sync()
    assert set(entries_of(b)) == {"Entry 0", "Entry 1", "Entry 2"}


@pytest.mark.parametrize("damage", ["truncated", "tampered", "renamed", "other device"])
def test_a_damaged_segment_is_refused_in_one_line_and_never_applied(devices, damage):
    (a, b, c), cloud = devices
    write_entry(a, "First")
    a.sync()
    write_entry(a, "Genuine", "the real one")
    a.sync()
    cloud.collect(a)
    first = next(p for p in cloud.files if p.endswith(f"/{device_id(a)}/00000001.cfs"))
    cloud.deliver(b, [first])
    path, = [p for p in cloud.files if f"/{device_id(a)}/" in p and p.endswith("2.cfs")]
    data = cloud.files[path]
    target = b.folder / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if damage == "truncated":
        target.write_bytes(data[: len(data) // 2])
    elif damage == "tampered":
        target.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    elif damage == "renamed":   # segment 1 under segment 2's name
        target.write_bytes(cloud.files[first])
    else:                       # C's segment 1 put in A's subfolder as segment 2
        write_entry(c, "C's own")
        c.sync()
        cloud.collect(c)
        theirs = next(p for p in cloud.files if p.endswith(f"/{device_id(c)}/00000001.cfs"))
        target.write_bytes(cloud.files[theirs])
    round_ = b.sync()
    assert entries_of(b) == {"First": ""}
    refusal, = round_.refused
    assert "\n" not in refusal and "refused" in refusal and target.name in refusal
    # the genuine file, arriving as a sync tool's conflicted copy, is read like any segment
    target.with_name("00000002 (conflicted copy).cfs").write_bytes(data)
    b.sync()
    assert entries_of(b) == {"First": "", "Genuine": "the real one"}


def test_sealed_files_are_padded_and_named_by_number(devices):
    (a, b, c), cloud = devices
    write_entry(a, "Short")
    write_entry(a, "Long", "x" * 20_000)
    settle([a, b, c], cloud)
    for path in cloud.files:
        name = Path(path).name
        if name == service.KEYS_FILE:
            continue
        assert sealed.SEGMENT_NAME.match(name) or sealed.SNAPSHOT_NAME.match(name)
        assert (len(cloud.files[path]) - sealed.HEAD.size - 16) % sealed.PAD == 0


def _inject(device_to: Device, key: bytes, journal_id: str, schema, ops, seq=1) -> str:
    """A segment from a device that does not exist: another version of Confidant."""
    other = uuid.uuid4().hex
    data = sealed.seal(key, journal_id, b"S", other, seq,
                       {"format": this_device.FORMAT, "schema": schema, "ops": ops, "acks": {},
                        "device_name": "newer"})
    sealed.write_new(device_to.folder / "Confidant" / journal_id / other,
                     sealed.segment_name(seq), data)
    return other


def test_an_older_device_passes_a_newer_field_on_intact(devices, tmp_path):
    (a, b, c), cloud = devices
    write_entry(a, "Board prep")
    settle([a, b, c], cloud)
    key, journal_id = sync_key(a)
    with use_case(a.vault) as s:
        uid = s.connection().exec_driver_sql(
            "SELECT uid FROM sync_row WHERE tbl='interaction'").scalar()
    stamp = "009999999999999999.000000." + "f" * 32
    _inject(a, key, journal_id, [1, 7], [
        ["interaction", uid, "mood", "tense", stamp, None],
        ["interaction", uid, "title", "Board prep (newer)", stamp, None],
        ["future_table", "u1", "anything", {"nested": [1, 2]}, stamp, None]])
    a.sync()
    assert entries_of(a) == {"Board prep (newer)": ""}   # the fields it knows, applied
    # A's snapshot carries what it does not know to a device that joins later
    with use_case(a.vault) as s:
        conf = this_device.settings_of(s)
        payload = snapshots.snapshot_payload(s, conf)
    rows = {(t, u): st for t, u, st in payload["rows"]}
    assert rows[("interaction", uid)]["mood"] == ["tense", stamp]
    assert rows[("future_table", "u1")]["anything"][0] == {"nested": [1, 2]}


def test_a_major_version_stops_the_older_device_writing(devices):
    (a, b, c), cloud = devices
    key, journal_id = sync_key(a)
    _inject(a, key, journal_id, [2, 0], [["partner", "x" * 32, "name", "From the future",
                                          "009999999999999999.000000." + "f" * 32, None]])
    round_ = a.sync()
    assert any("update Confidant" in line for line in round_.refused)
    assert "update Confidant" in service.status(a.vault).blocked
    with pytest.raises(ReadOnlyJournal, match="update Confidant"):
        write_entry(a, "Not now")
    with use_case(a.vault) as s:
        assert journal.list_partners(session=s) == []


def test_a_third_device_bootstraps_from_a_snapshot_after_compaction(devices, tmp_path):
    (a, b, c), cloud = devices
    for n in range(6):
        write_entry(a, f"Entry {n}", f"notes {n}")
        a.sync()
    settle([a, b, c], cloud)
    with use_case(a.vault) as s:
        conf = this_device.settings_of(s)
    result = this_device.Round()
    snapshots.compact(a.vault, conf, result, threshold=1)
    assert result.compacted >= 6
    own = a.folder / "Confidant" / conf.journal / conf.device
    assert sealed.numbered(own, sealed.SNAPSHOT_NAME)
    cloud.files = {p: d for p, d in cloud.files.items() if (a.folder / p).exists()
                   or f"/{conf.device}/" not in p}
    cloud.collect(a)
    d = Device.new(tmp_path, "d")
    cloud.deliver(d)
    service.join(d.vault, d.folder, recovery_key=a.recovery_key, name="D")
    write_entry(a, "After the snapshot")
    settle([a, b, c, d], cloud)
    assert d.export() == a.export()
    assert len(entries_of(d)) == 7
    d.vault.lock()


def test_join_refuses_a_wrong_secret_and_a_journal_that_is_not_empty(devices, tmp_path):
    (a, b, c), cloud = devices
    e = Device.new(tmp_path, "e")
    cloud.deliver(e)
    with pytest.raises(WrongKey):
        service.join(e.vault, e.folder, recovery_key="AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    write_entry(e, "Mine")
    with pytest.raises(SyncError, match="not empty"):
        service.join(e.vault, e.folder, recovery_key=a.recovery_key)
    assert entries_of(e) == {"Mine": ""} and not service.status(e.vault).on
    e.vault.lock()


def test_leaving_stops_recording_and_tells_the_others(devices):
    (a, b, c), cloud = devices
    service.leave(b.vault)
    cloud.collect(b)
    assert not service.status(b.vault).on
    write_entry(b, "Private now")
    with use_case(b.vault) as s:
        assert s.connection().exec_driver_sql("SELECT count(*) FROM sync_outbox").scalar() == 0
    settle([a, c], cloud)
    assert "Private now" not in entries_of(a)
    assert any(dev.left for dev in service.status(a.vault).devices)


CRASH = """
import os, sys
sys.path.insert(0, {root!r})
import keyring
from keyring.backends import fail
keyring.set_keyring(fail.Keyring())
from pathlib import Path
from services import vault as vs, journal
from services.store import use_case
from services.sync import sealed, service
vault = vs.open_vault(Path({data!r}))
with use_case(vault, write=True) as s:
    p = journal.create_partner(session=s, partner_in={{"name": "Crash Co"}})
    journal.create_interaction(session=s, interaction_in={{"partner_id": p.id, "title": "Kept"}})
real = os.replace
def killed(src, dst):
    if str(dst).endswith(".cfs"):
        os.kill(os.getpid(), 9)   # after the journal's commit, before the segment's rename
    return real(src, dst)
sealed.os.replace = killed
service.sync_now(vault)
"""


def test_a_kill_between_commit_and_rename_loses_and_duplicates_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", "correct horse battery")
    from services import vault as vault_service

    a = Device(name="a", root=tmp_path / "a", vault=None, recovery_key="", folder=tmp_path / "fa")
    created = vault_service.create_vault(a.root, passphrase="correct horse battery",
                                         use_keychain=False)
    a.vault, a.recovery_key = created.vault, created.recovery_key
    a.folder.mkdir()
    service.turn_on(a.vault, a.folder, passphrase="correct horse battery")
    a.vault.lock()
    script = CRASH.format(root=str(Path(__file__).parents[1]), data=str(a.root))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "CONFIDANT_PASSPHRASE": "correct horse battery"},
                          timeout=120)
    assert done.returncode == -9, done.stderr
    own = next(p for p in (a.folder / "Confidant").rglob("*") if p.is_dir()
               and len(p.name) == 32 and p.parent.parent.name == "Confidant")
    # the journal was empty at turn_on: the kill hit segment 1, the entry's
    assert [p.name for p in own.iterdir() if p.suffix == ".cfs"] == ["snapshot-00000000.cfs"]
    assert [p for p in own.iterdir() if p.name.startswith(".")]   # the temporary, left
    a.vault = vault_service.open_vault(a.root)
    assert a.sync().published == 1           # the segment numbered before the kill
    b = Device.new(tmp_path, "b")
    for p in a.folder.rglob("*.cfs"):
        target = b.folder / p.relative_to(a.folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(p.read_bytes())
    (b.folder / "Confidant" / own.parent.name / "keys.cfk").write_bytes(
        (own.parent / "keys.cfk").read_bytes())
    service.join(b.vault, b.folder, passphrase="correct horse battery")
    assert entries_of(b) == {"Kept": ""}
    assert b.sync().applied == 0 and len(entries_of(b)) == 1
    lock_all([a, b])


def test_a_folder_that_is_gone_is_not_made_again(devices):
    (a, b, c), cloud = devices
    write_entry(a, "On the plane")
    shutil.rmtree(a.folder)
    round_ = a.sync()
    assert not a.folder.exists()
    refusal, = round_.refused
    assert "not there" in refusal and round_.published == 0
    assert service.status(a.vault).pending > 0   # kept for when the drive is back
    a.folder.mkdir()
    assert a.sync().published == 1 and (a.folder / "Confidant").is_dir()


def test_a_folder_that_holds_a_journal_is_not_turned_on_again(devices, tmp_path):
    (a, b, c), cloud = devices
    e = Device.new(tmp_path, "e")
    cloud.deliver(e)
    with pytest.raises(SyncError, match="already holds a synced journal"):
        service.turn_on(e.vault, e.folder, recovery_key=e.recovery_key)
    assert not service.status(e.vault).on
    e.vault.lock()
