"""Sync through a folder (issue 24): how rows merge (conflicts, tombstones and the Trash, waiting
children, natural keys, the open form, segments cut inside rows). Folder faults, versions,
compaction and crashes are in test_sync_folder.py.

Each device is a real SQLCipher journal with its own copy of the folder (tests/sync_support.py);
the tests play the sync tool, delivering sealed files late, twice, out of order or damaged.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from services import journal
from services.errors import SyncError
from services.store import use_case
from services.sync import exchange, sealed, service
from tests.sync_support import (
    device_id,
    edit_entry,
    entries_of,
    id_of,
    settle,
    write_entry,
)


def test_an_entry_written_on_one_device_shows_on_the_others(devices):
    (a, b, c), cloud = devices
    write_entry(a, "Steering committee", "Their VP said the roadmap slipped twice.")
    settle([a, b, c], cloud)
    for device in (b, c):
        assert entries_of(device) == {"Steering committee":
                                    "Their VP said the roadmap slipped twice."}
    assert a.export() == b.export() == c.export()


def test_free_text_edited_on_two_devices_keeps_both_until_reviewed(devices):
    (a, b, c), cloud = devices
    write_entry(a, "QBR", "first draft")
    settle([a, b, c], cloud)
    edit_entry(a, "QBR", notes="A: the partner wants exclusivity")
    edit_entry(b, "QBR", notes="B: exclusivity is off the table")
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
    assert entries_of(a)["QBR"] == current + "\n" + others[0]
    # an edit after seeing the other's is no conflict
    edit_entry(b, "QBR", notes="agreed wording")
    settle([a, b, c], cloud)
    assert entries_of(a)["QBR"] == "agreed wording" and service.conflicts(a.vault) == []


def test_a_title_edited_on_two_devices_takes_the_later_edit(devices):
    (a, b, c), cloud = devices
    write_entry(a, "Kick-off")
    settle([a, b, c], cloud)
    edit_entry(b, "Kick-off", difficulty=2)
    b.skew_ms = 60_000   # B's clock runs a minute fast: its edit is the later one
    b.with_clock(lambda: edit_entry(b, "Kick-off", title="Kick-off (B)"))
    edit_entry(a, "Kick-off", title="Kick-off (A)")
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
    write_entry(c, "Intro call", partner="Contoso")
    c.sync()
    cloud.collect(c)
    # A hears from C first: the entry's partner is still on its way from B
    cloud.deliver(a, [p for p in cloud.files if f"/{device_id(c)}/" in p])
    a.sync()
    assert entries_of(a) == {}
    assert service.status(a.vault).waiting == 1
    settle([a, b, c], cloud)
    assert entries_of(a) == {"Intro call": ""}
    assert service.status(a.vault).waiting == 0


def test_the_same_partner_added_on_two_devices_is_one_partner(devices):
    (a, b, c), cloud = devices
    write_entry(a, "A's note", partner="Fabrikam")
    write_entry(b, "B's note", partner="Fabrikam")
    settle([a, b, c], cloud)
    with use_case(c.vault) as s:
        assert [p.name for p in journal.list_partners(session=s)] == ["Fabrikam"]
    assert set(entries_of(c)) == {"A's note", "B's note"}


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
    write_entry(a, "Doomed", "gone soon", partner="Globex")
    write_entry(a, "Staying", partner="Initech")
    with use_case(a.vault, write=True) as s:
        settings.save_settings(session=s, values={"page_size": "Letter", "threads": 3})
    settle([a, b, c], cloud)
    with use_case(b.vault, write=True) as s:
        globex = next(p for p in journal.list_partners(session=s) if p.name == "Globex")
        journal.delete_partner(session=s, partner_id=globex.id, with_interactions=True)
    settle([a, b, c], cloud)
    for device in (a, b, c):
        assert entries_of(device) == {"Staying": ""}
        with use_case(device.vault) as s:
            assert [p.name for p in journal.list_partners(session=s)] == ["Initech"]
            prefs = settings.get_settings(session=s)
        assert prefs.page_size == "Letter"                     # the journal's preference
        assert prefs.threads == (3 if device is a else 0)     # the machine's own
    assert a.export() == b.export() == c.export()


def test_readings_linked_to_a_deleted_entry_stay_unlinked_on_every_device(devices):
    from services.journal import trust

    (a, b, c), cloud = devices
    entry_id = write_entry(a, "Tense QBR")

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
    reading(b, id_of(b, "Tense QBR"), "written while A deleted the entry")
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
    entry_id = write_entry(a, "Renewal", "v0")
    settle([a, b, c], cloud)
    with use_case(a.vault) as s:   # A's editor opens the entry
        shown = entry.load_entry(session=s, interaction_id=entry_id)
    form = {"partner_id": shown.partner_id, "title": "Renewal", "notes": "v0",
            "when": shown.interaction.occurred_at.isoformat(), "kind": "meeting",
            "reflection": "", "difficulty": 0, "participant_ids": [], "tags": ""}
    base = entry.form_data(form)
    edit_entry(b, "Renewal", title="Renewal (signed)", notes="B: they signed on Friday")
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
    write_entry(a, "Draft title", "first notes")
    edit_entry(a, "Draft title", title="Final title", notes="final notes", difficulty=3)
    a.sync()
    cloud.collect(a)
    mine = sorted(p for p in cloud.files if f"/{device_id(a)}/" in p
                  and sealed.SEGMENT_NAME.match(Path(p).name))
    assert len(mine) == 3   # the partner, the entry, its edit: one segment each
    for path in mine:   # one segment at a time: every step leaves a journal that reads
        cloud.deliver(b, [path])
        assert b.sync().refused == []
        assert set(entries_of(b)) <= {"Draft title", "Final title"}
    assert entries_of(b) == {"Final title": "final notes"}
    assert service.conflicts(b.vault) == []
    settle([a, b, c], cloud)
    assert a.export() == b.export() == c.export()


def test_a_delete_is_a_tombstone_and_the_edit_made_meanwhile_comes_back_with_it(devices):
    (a, b, c), cloud = devices
    write_entry(a, "Escalation", "v1")
    settle([a, b, c], cloud)
    with use_case(a.vault, write=True) as s:
        journal.delete_interaction(session=s, interaction_id=id_of(a, "Escalation"))
    edit_entry(b, "Escalation", notes="B kept writing on the plane")
    settle([a, b, c], cloud)
    for device in (a, b, c):   # deleted everywhere; the edit made meanwhile is in the Trash
        assert entries_of(device) == {}
        with use_case(device.vault) as s:
            state, = [json.loads(r[0]) for r in s.connection().exec_driver_sql(
                "SELECT state FROM sync_row WHERE tbl='interaction'")]
        assert state["_deleted"][0] is True
        assert state["notes"][0] == "B kept writing on the plane"
    assert service.status(a.vault).in_trash >= 1
    item, = service.trash(c.vault)
    assert (item.table, item.label, item.waits_for) == ("interaction", "Escalation", "")
    service.restore(c.vault, item.table, item.uid)
    assert entries_of(c) == {"Escalation": "B kept writing on the plane"}
    with pytest.raises(Exception, match="not in the Trash"):
        service.restore(c.vault, item.table, item.uid)
    settle([a, b, c], cloud)
    assert all(entries_of(d) == {"Escalation": "B kept writing on the plane"} for d in (a, b, c))
    assert service.trash(a.vault) == []
    assert a.export() == b.export() == c.export()


def test_an_entry_waits_in_the_trash_for_its_partner(devices, tmp_path):
    (a, b, c), cloud = devices
    write_entry(a, "Kept notes", "x", partner="Globex")
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
    assert entries_of(a) == {"Kept notes": "x"}


def test_a_new_entry_edited_twice_before_sending_arrives_whole_in_any_cut(devices, monkeypatch):
    """Created and edited in one segment, edited again in the next: the first segment still
    leaves the entry readable (a replaced text holds its place until the newest arrives)."""
    (a, b, c), cloud = devices
    write_entry(a, "Partner first")
    settle([a, b, c], cloud)
    monkeypatch.setattr(exchange, "OPS_PER_SEGMENT", 2)
    entry_id = write_entry(a, "New", "v1")
    edit_entry(a, "New", notes="v2")
    edit_entry(a, "New", notes="v3")
    assert entry_id and a.sync().published == 2
    cloud.collect(a)
    mine = sorted(p for p in cloud.files if f"/{device_id(a)}/" in p
                  and sealed.SEGMENT_NAME.match(Path(p).name))[-2:]
    cloud.deliver(b, mine[:1])
    assert b.sync().refused == []
    assert entries_of(b)["New"] in {"v1", "v2", "v3"}
    cloud.deliver(b, mine[1:])
    assert b.sync().refused == []
    assert entries_of(b)["New"] == "v3" and service.conflicts(b.vault) == []
