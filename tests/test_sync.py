"""Sync through a folder (issue 24): merge rules, folder faults, versions, compaction, crashes.

Each device is a real SQLCipher journal with its own copy of the folder (tests/sync_support.py);
the tests play the sync tool, delivering sealed files late, twice, out of order or damaged.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import pytest

from services import journal
from services.errors import ReadOnlyJournal, SyncError, WrongKey
from services.store import use_case
from services.sync import device as this_device
from services.sync import exchange, sealed, service, snapshots
from tests.sync_support import Device, lock_all, settle, three_devices, wipe


@pytest.fixture
def devices(tmp_path):
    found, cloud = three_devices(tmp_path)
    yield found, cloud
    lock_all(found)


def _entry(device: Device, title: str, notes: str = "", partner: str = "Northwind") -> int:
    with use_case(device.vault, write=True) as s:
        found = [p for p in journal.list_partners(session=s) if p.name == partner]
        p = found[0] if found else journal.create_partner(session=s, partner_in={"name": partner})
        return journal.create_interaction(session=s, interaction_in={
            "partner_id": p.id, "title": title, "notes": notes}).id


def _entries(device: Device) -> dict[str, str]:
    with use_case(device.vault) as s:
        return {i.title: i.notes for i in journal.list_interactions(session=s)}


def _id_of(device: Device, title: str) -> int:
    with use_case(device.vault) as s:
        return next(i.id for i in journal.list_interactions(session=s) if i.title == title)


def _edit(device: Device, which: str, **changes) -> None:
    with use_case(device.vault, write=True) as s:
        journal.update_interaction(session=s, interaction_id=_id_of(device, which),
                                   interaction_in=changes)


def test_an_entry_written_on_one_device_shows_on_the_others(devices):
    (a, b, c), cloud = devices
    _entry(a, "Steering committee", "Their VP said the roadmap slipped twice.")
    settle([a, b, c], cloud)
    for device in (b, c):
        assert _entries(device) == {"Steering committee":
                                    "Their VP said the roadmap slipped twice."}
    assert a.export() == b.export() == c.export()


def test_free_text_edited_on_two_devices_keeps_both_until_reviewed(devices):
    (a, b, c), cloud = devices
    _entry(a, "QBR", "first draft")
    settle([a, b, c], cloud)
    _edit(a, "QBR", notes="A: the partner wants exclusivity")
    _edit(b, "QBR", notes="B: exclusivity is off the table")
    settle([a, b, c], cloud)
    exports = [d.export() for d in (a, b, c)]
    assert exports[0] == exports[1] == exports[2]
    (table, _uid, name, current, others), = exports[0]["conflicts"]
    assert (table, name) == ("interaction", "notes")
    assert {current, *others} == {"A: the partner wants exclusivity",
                                  "B: exclusivity is off the table"}
    # the winner stays in place; the other is a visible copy until someone chooses
    conflict, = service.conflicts(c.vault)
    service.resolve(c.vault, conflict.table, conflict.uid, conflict.field,
                    current + "\n" + others[0])
    settle([a, b, c], cloud)
    assert all(d.export()["conflicts"] == [] for d in (a, b, c))
    assert _entries(a)["QBR"] == current + "\n" + others[0]
    # an edit after seeing the other's is no conflict
    _edit(b, "QBR", notes="agreed wording")
    settle([a, b, c], cloud)
    assert _entries(a)["QBR"] == "agreed wording" and service.conflicts(a.vault) == []


def test_a_title_edited_on_two_devices_takes_the_later_edit(devices):
    (a, b, c), cloud = devices
    _entry(a, "Kick-off")
    settle([a, b, c], cloud)
    _edit(b, "Kick-off", difficulty=2)
    b.skew_ms = 60_000   # B's clock runs a minute fast: its edit is the later one
    b.with_clock(lambda: _edit(b, "Kick-off", title="Kick-off (B)"))
    _edit(a, "Kick-off", title="Kick-off (A)")
    settle([a, b, c], cloud)
    with use_case(c.vault) as s:
        entry, = journal.list_interactions(session=s)
    assert (entry.title, entry.difficulty) == ("Kick-off (B)", 2)
    assert a.export() == b.export() == c.export()


def test_a_child_that_arrives_before_its_parent_waits(devices):
    (a, b, c), cloud = devices
    with use_case(b.vault, write=True) as s:
        journal.create_partner(session=s, partner_in={"name": "Contoso"})
    b.sync()
    cloud.collect(b)
    cloud.deliver(c)
    c.sync()
    _entry(c, "Intro call", partner="Contoso")
    c.sync()
    cloud.collect(c)
    # A hears from C first: the entry's partner is still on its way from B
    cloud.deliver(a, [p for p in cloud.files if f"/{_device(c)}/" in p])
    a.sync()
    assert _entries(a) == {}
    assert service.status(a.vault).waiting == 1
    settle([a, b, c], cloud)
    assert _entries(a) == {"Intro call": ""}
    assert service.status(a.vault).waiting == 0


def _device(device: Device) -> str:
    with use_case(device.vault) as s:
        return s.connection().exec_driver_sql(
            "SELECT value FROM sync_state WHERE key='device'").scalar()


def _key(device: Device) -> tuple[bytes, str]:
    with use_case(device.vault) as s:
        rows = dict(s.connection().exec_driver_sql(
            "SELECT key, value FROM sync_state WHERE key IN ('key','journal')").fetchall())
    return base64.b64decode(rows["key"]), rows["journal"]


def test_the_same_partner_added_on_two_devices_is_one_partner(devices):
    (a, b, c), cloud = devices
    _entry(a, "A's note", partner="Fabrikam")
    _entry(b, "B's note", partner="Fabrikam")
    settle([a, b, c], cloud)
    with use_case(c.vault) as s:
        assert [p.name for p in journal.list_partners(session=s)] == ["Fabrikam"]
    assert set(_entries(c)) == {"A's note", "B's note"}


def test_an_emptied_folder_deletes_nothing(devices):
    (a, b, c), cloud = devices
    for n in range(3):
        _entry(a, f"Entry {n}", "kept")
    settle([a, b, c], cloud)
    for device in (a, b, c):
        wipe(device.folder)
    cloud.files.clear()
    for device in (a, b, c):
        device.sync()
        assert len(_entries(device)) == 3
    # A's segments come back from its outbox, so a device that never got them still can
    _entry(b, "After the wipe")
    settle([a, b, c], cloud)
    assert len(_entries(a)) == len(_entries(c)) == 4


def test_a_withheld_segment_holds_back_the_ones_after_it(devices):
    (a, b, c), cloud = devices
    for n in range(3):
        _entry(a, f"Entry {n}")
        a.sync()
    cloud.collect(a)
    mine = sorted(p for p in cloud.files if f"/{_device(a)}/" in p
                  and sealed.SEGMENT_NAME.match(Path(p).name))
    cloud.deliver(b, [mine[0], mine[-1]])
    round_ = b.sync()
    assert set(_entries(b)) == {"Entry 0"}
    assert round_.waiting == {_device(a): int(Path(mine[1]).stem)}
    cloud.deliver(b, [mine[1]])
    b.sync()
    assert set(_entries(b)) == {"Entry 0", "Entry 1", "Entry 2"}


@pytest.mark.parametrize("damage", ["truncated", "tampered", "renamed", "other device"])
def test_a_damaged_segment_is_refused_in_one_line_and_never_applied(devices, damage):
    (a, b, c), cloud = devices
    _entry(a, "First")
    a.sync()
    _entry(a, "Genuine", "the real one")
    a.sync()
    cloud.collect(a)
    first = next(p for p in cloud.files if p.endswith(f"/{_device(a)}/00000001.cfs"))
    cloud.deliver(b, [first])
    path, = [p for p in cloud.files if f"/{_device(a)}/" in p and p.endswith("2.cfs")]
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
        _entry(c, "C's own")
        c.sync()
        cloud.collect(c)
        theirs = next(p for p in cloud.files if p.endswith(f"/{_device(c)}/00000001.cfs"))
        target.write_bytes(cloud.files[theirs])
    round_ = b.sync()
    assert _entries(b) == {"First": ""}
    refusal, = round_.refused
    assert "\n" not in refusal and "refused" in refusal and target.name in refusal
    # the genuine file, arriving as a sync tool's conflicted copy, is read like any segment
    target.with_name("00000002 (conflicted copy).cfs").write_bytes(data)
    b.sync()
    assert _entries(b) == {"First": "", "Genuine": "the real one"}


def test_sealed_files_are_padded_and_named_by_number(devices):
    (a, b, c), cloud = devices
    _entry(a, "Short")
    _entry(a, "Long", "x" * 20_000)
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
    _entry(a, "Board prep")
    settle([a, b, c], cloud)
    key, journal_id = _key(a)
    with use_case(a.vault) as s:
        uid = s.connection().exec_driver_sql(
            "SELECT uid FROM sync_row WHERE tbl='interaction'").scalar()
    stamp = "009999999999999999.000000." + "f" * 32
    _inject(a, key, journal_id, [1, 7], [
        ["interaction", uid, "mood", "tense", stamp, None],
        ["interaction", uid, "title", "Board prep (newer)", stamp, None],
        ["future_table", "u1", "anything", {"nested": [1, 2]}, stamp, None]])
    a.sync()
    assert _entries(a) == {"Board prep (newer)": ""}   # the fields it knows, applied
    # A's snapshot carries what it does not know to a device that joins later
    with use_case(a.vault) as s:
        conf = this_device.settings_of(s)
        payload = snapshots.snapshot_payload(s, conf)
    rows = {(t, u): st for t, u, st in payload["rows"]}
    assert rows[("interaction", uid)]["mood"] == ["tense", stamp]
    assert rows[("future_table", "u1")]["anything"][0] == {"nested": [1, 2]}


def test_a_major_version_stops_the_older_device_writing(devices):
    (a, b, c), cloud = devices
    key, journal_id = _key(a)
    _inject(a, key, journal_id, [2, 0], [["partner", "x" * 32, "name", "From the future",
                                          "009999999999999999.000000." + "f" * 32, None]])
    round_ = a.sync()
    assert any("update Confidant" in line for line in round_.refused)
    assert "update Confidant" in service.status(a.vault).blocked
    with pytest.raises(ReadOnlyJournal, match="update Confidant"):
        _entry(a, "Not now")
    with use_case(a.vault) as s:
        assert journal.list_partners(session=s) == []


def test_a_third_device_bootstraps_from_a_snapshot_after_compaction(devices, tmp_path):
    (a, b, c), cloud = devices
    for n in range(6):
        _entry(a, f"Entry {n}", f"notes {n}")
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
    _entry(a, "After the snapshot")
    settle([a, b, c, d], cloud)
    assert d.export() == a.export()
    assert len(_entries(d)) == 7
    d.vault.lock()


def test_join_refuses_a_wrong_secret_and_a_journal_that_is_not_empty(devices, tmp_path):
    (a, b, c), cloud = devices
    e = Device.new(tmp_path, "e")
    cloud.deliver(e)
    with pytest.raises(WrongKey):
        service.join(e.vault, e.folder, recovery_key="AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    _entry(e, "Mine")
    with pytest.raises(SyncError, match="not empty"):
        service.join(e.vault, e.folder, recovery_key=a.recovery_key)
    assert _entries(e) == {"Mine": ""} and not service.status(e.vault).on
    e.vault.lock()


def test_leaving_stops_recording_and_tells_the_others(devices):
    (a, b, c), cloud = devices
    service.leave(b.vault)
    cloud.collect(b)
    assert not service.status(b.vault).on
    _entry(b, "Private now")
    with use_case(b.vault) as s:
        assert s.connection().exec_driver_sql("SELECT count(*) FROM sync_outbox").scalar() == 0
    settle([a, c], cloud)
    assert "Private now" not in _entries(a)
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
    assert _entries(b) == {"Kept": ""}
    assert b.sync().applied == 0 and len(_entries(b)) == 1
    lock_all([a, b])


def test_a_folder_that_is_gone_is_not_made_again(devices):
    (a, b, c), cloud = devices
    _entry(a, "On the plane")
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


def test_the_sample_journal_loaded_on_two_devices_is_one_journal(devices):
    from services.journal import demo

    (a, b, c), cloud = devices
    for device, day in ((a, None), (b, date(2026, 1, 5))):
        with use_case(device.vault, write=True) as s:
            counts = demo.load_sample(session=s, today=day)
    settle([a, b, c], cloud)
    with use_case(c.vault) as s:
        assert len(journal.list_partners(session=s)) == counts["partners"]
        assert len(journal.list_interactions(session=s)) == counts["interactions"]
    assert a.export() == b.export() == c.export()


def test_a_partner_deleted_with_its_entries_goes_everywhere_and_settings_follow(devices):
    from services import settings

    (a, b, c), cloud = devices
    _entry(a, "Doomed", "gone soon", partner="Globex")
    _entry(a, "Staying", partner="Initech")
    with use_case(a.vault, write=True) as s:
        settings.save_settings(session=s, values={"page_size": "Letter", "threads": 3})
    settle([a, b, c], cloud)
    with use_case(b.vault, write=True) as s:
        globex = next(p for p in journal.list_partners(session=s) if p.name == "Globex")
        journal.delete_partner(session=s, partner_id=globex.id, with_interactions=True)
    settle([a, b, c], cloud)
    for device in (a, b, c):
        assert _entries(device) == {"Staying": ""}
        with use_case(device.vault) as s:
            assert [p.name for p in journal.list_partners(session=s)] == ["Initech"]
            prefs = settings.get_settings(session=s)
        assert prefs.page_size == "Letter"                     # the journal's preference
        assert prefs.threads == (3 if device is a else 0)     # the machine's own
    assert a.export() == b.export() == c.export()


def test_readings_linked_to_a_deleted_entry_stay_unlinked_on_every_device(devices):
    from services.journal import trust

    (a, b, c), cloud = devices
    entry_id = _entry(a, "Tense QBR")

    def reading(device, entry, note):
        with use_case(device.vault, write=True) as s:
            partner = journal.list_partners(session=s)[0]
            trust.add_reading(session=s, reading_in={
                "partner_id": partner.id, "interaction_id": entry, "note": note,
                "credibility": 4, "reliability": 3, "intimacy": 5, "self_orientation": 6})

    reading(a, entry_id, "before the delete")
    settle([a, b, c], cloud)
    with use_case(a.vault, write=True) as s:
        journal.delete_interaction(session=s, interaction_id=entry_id)
    reading(b, _id_of(b, "Tense QBR"), "written while A deleted the entry")
    settle([a, b, c], cloud)
    for device in (a, b, c):
        with use_case(device.vault) as s:
            rows = s.connection().exec_driver_sql(
                "SELECT note, interaction_id FROM trust_reading ORDER BY note").fetchall()
        assert rows == [("before the delete", None),
                        ("written while A deleted the entry", None)], device.name
    assert a.export() == b.export() == c.export()


def test_a_form_opened_before_another_device_changed_the_entry_loses_nothing(devices):
    """The editor saves only what the user changed from what it showed; text both changed is
    kept twice (the user never saw the other device's version)."""
    from services.journal import entry

    (a, b, c), cloud = devices
    entry_id = _entry(a, "Renewal", "v0")
    settle([a, b, c], cloud)
    with use_case(a.vault) as s:   # A's editor opens the entry
        shown = entry.load_entry(session=s, interaction_id=entry_id)
    form = {"partner_id": shown.partner_id, "title": "Renewal", "notes": "v0",
            "when": shown.interaction.occurred_at.isoformat(), "kind": "meeting",
            "reflection": "", "difficulty": 0, "participant_ids": [], "tags": ""}
    base = entry.form_data(form)
    _edit(b, "Renewal", title="Renewal (signed)", notes="B: they signed on Friday")
    settle([a, b, c], cloud)        # arrives while A types
    with use_case(a.vault, write=True) as s:
        entry.save_entry(session=s, interaction_id=entry_id, base=base,
                         data=entry.form_data(form | {"notes": "A: legal still reviewing"}))
    settle([a, b, c], cloud)
    with use_case(c.vault) as s:
        saved, = journal.list_interactions(session=s)
    assert saved.title == "Renewal (signed)"   # A did not touch it: B's stays
    conflict, = service.conflicts(c.vault)
    assert {conflict.current, *conflict.others.values()} == {
        "A: legal still reviewing", "B: they signed on Friday"}
    assert a.export() == b.export() == c.export()


def test_segments_cut_inside_a_new_row_that_was_edited_before_sending(devices, monkeypatch):
    """The entry's creation and its edit go out in different segments; its first values were
    replaced before they were sent: the others still get a whole row at every step."""
    (a, b, c), cloud = devices
    monkeypatch.setattr(exchange, "OPS_PER_SEGMENT", 1)
    _entry(a, "Draft title", "first notes")
    _edit(a, "Draft title", title="Final title", notes="final notes", difficulty=3)
    a.sync()
    cloud.collect(a)
    mine = sorted(p for p in cloud.files if f"/{_device(a)}/" in p
                  and sealed.SEGMENT_NAME.match(Path(p).name))
    assert len(mine) == 3   # the partner, the entry, its edit: one segment each
    for path in mine:   # one segment at a time: every step leaves a journal that reads
        cloud.deliver(b, [path])
        assert b.sync().refused == []
        assert set(_entries(b)) <= {"Draft title", "Final title"}
    assert _entries(b) == {"Final title": "final notes"}
    assert service.conflicts(b.vault) == []
    settle([a, b, c], cloud)
    assert a.export() == b.export() == c.export()


def test_a_delete_is_a_tombstone_and_the_edit_made_meanwhile_comes_back_with_it(devices):
    (a, b, c), cloud = devices
    _entry(a, "Escalation", "v1")
    settle([a, b, c], cloud)
    with use_case(a.vault, write=True) as s:
        journal.delete_interaction(session=s, interaction_id=_id_of(a, "Escalation"))
    _edit(b, "Escalation", notes="B kept writing on the plane")
    settle([a, b, c], cloud)
    for device in (a, b, c):   # deleted everywhere; the edit made meanwhile is in the Trash
        assert _entries(device) == {}
        with use_case(device.vault) as s:
            state, = [json.loads(r[0]) for r in s.connection().exec_driver_sql(
                "SELECT state FROM sync_row WHERE tbl='interaction'")]
        assert state["_deleted"][0] is True
        assert state["notes"][0] == "B kept writing on the plane"
    assert service.status(a.vault).in_trash >= 1
    item, = service.trash(c.vault)
    assert (item.table, item.label, item.waits_for) == ("interaction", "Escalation", "")
    service.restore(c.vault, item.table, item.uid)
    assert _entries(c) == {"Escalation": "B kept writing on the plane"}
    with pytest.raises(Exception, match="not in the Trash"):
        service.restore(c.vault, item.table, item.uid)
    settle([a, b, c], cloud)
    assert all(_entries(d) == {"Escalation": "B kept writing on the plane"} for d in (a, b, c))
    assert service.trash(a.vault) == []
    assert a.export() == b.export() == c.export()


def test_an_entry_waits_in_the_trash_for_its_partner(devices, tmp_path):
    (a, b, c), cloud = devices
    _entry(a, "Kept notes", "x", partner="Globex")
    settle([a, b, c], cloud)
    with use_case(a.vault, write=True) as s:
        globex = next(p for p in journal.list_partners(session=s) if p.name == "Globex")
        journal.delete_partner(session=s, partner_id=globex.id, with_interactions=True)
    found = {t.label: t for t in service.trash(a.vault)}
    assert found["Kept notes"].waits_for == "Globex"
    with pytest.raises(SyncError, match="restore the partner first"):
        service.restore(a.vault, "interaction", found["Kept notes"].uid)
    service.restore(a.vault, "partner", found["Globex"].uid)
    service.restore(a.vault, "interaction", found["Kept notes"].uid)
    assert _entries(a) == {"Kept notes": "x"}


def test_a_new_entry_edited_twice_before_sending_arrives_whole_in_any_cut(devices, monkeypatch):
    """Created and edited in one segment, edited again in the next: the first segment still
    leaves the entry readable (a replaced text holds its place until the newest arrives)."""
    (a, b, c), cloud = devices
    _entry(a, "Partner first")
    settle([a, b, c], cloud)
    monkeypatch.setattr(exchange, "OPS_PER_SEGMENT", 2)
    entry_id = _entry(a, "New", "v1")
    _edit(a, "New", notes="v2")
    _edit(a, "New", notes="v3")
    assert entry_id and a.sync().published == 2
    cloud.collect(a)
    mine = sorted(p for p in cloud.files if f"/{_device(a)}/" in p
                  and sealed.SEGMENT_NAME.match(Path(p).name))[-2:]
    cloud.deliver(b, mine[:1])
    assert b.sync().refused == []
    assert _entries(b)["New"] in {"v1", "v2", "v3"}
    cloud.deliver(b, mine[1:])
    assert b.sync().refused == []
    assert _entries(b)["New"] == "v3" and service.conflicts(b.vault) == []
