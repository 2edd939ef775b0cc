"""Create, read, update, delete for each record; bad input stored exactly or refused."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from models.tables import CommitmentStatus, Stance
from services import journal
from services import vault as vaults
from services.errors import Conflict, InvalidInput, NotFound
from services.journal import commitments, trust
from services.store import use_case


@pytest.fixture
def partner(vault):
    with use_case(vault, write=True) as s:
        return journal.create_partner(session=s, partner_in={"name": "Northwind",
                                                              "kind": "co-sell"})


def entry(session, partner, **extra):
    return journal.create_interaction(session=session, interaction_in={
        "partner_id": partner.id, "title": "Steering committee"} | extra)


def test_partner_crud(session, partner):
    assert journal.get_partner(session=session, partner_id=partner.id).kind == "co-sell"
    journal.update_partner(session=session, partner_id=partner.id,
                           partner_in={"summary": "Hyperscaler"})
    assert journal.resolve_partner(session=session, name="north").summary == "Hyperscaler"
    with pytest.raises(Conflict):
        journal.create_partner(session=session, partner_in={"name": " northwind "})
    journal.delete_partner(session=session, partner_id=partner.id)
    with pytest.raises(NotFound):
        journal.get_partner(session=session, partner_id=partner.id)


def test_deleting_a_partner_with_interactions_needs_consent(session, partner):
    person = journal.create_stakeholder(session=session, stakeholder_in={
        "partner_id": partner.id, "name": "Dana"})
    first = entry(session, partner, participant_ids=[person.id], tags=["steerco"])
    commitments.add_commitment(session=session, commitment_in={
        "partner_id": partner.id, "owed_by": "us", "text": "Listing", "interaction_id": first.id})
    with pytest.raises(Conflict, match="1 interaction"):
        journal.delete_partner(session=session, partner_id=partner.id)
    assert journal.get_interaction(session=session, interaction_id=first.id)
    journal.delete_partner(session=session, partner_id=partner.id, with_interactions=True)
    assert journal.list_interactions(session=session) == []
    assert commitments.list_commitments(session=session) == []
    assert journal.list_stakeholders(session=session) == []


def test_stakeholder_crud(session, partner):
    person = journal.create_stakeholder(session=session, stakeholder_in={
        "partner_id": partner.id, "name": "Tom Becker", "influence": 5, "stance": "blocker"})
    journal.update_stakeholder(session=session, stakeholder_id=person.id,
                               stakeholder_in={"stance": "skeptic"})
    assert journal.get_stakeholder(session=session, stakeholder_id=person.id).stance \
        == Stance.skeptic
    with pytest.raises(InvalidInput, match="influence"):
        journal.update_stakeholder(session=session, stakeholder_id=person.id,
                                   stakeholder_in={"influence": 9})
    journal.delete_stakeholder(session=session, stakeholder_id=person.id)
    assert journal.list_stakeholders(session=session, partner_id=partner.id) == []


def test_interaction_crud_with_participants_and_tags(session, partner):
    other = journal.create_partner(session=session, partner_in={"name": "Helix"})
    dana = journal.create_stakeholder(session=session, stakeholder_in={
        "partner_id": partner.id, "name": "Dana"})
    stranger = journal.create_stakeholder(session=session, stakeholder_in={
        "partner_id": other.id, "name": "Rafael"})
    item = entry(session, partner, participant_ids=[dana.id], tags=["SteerCo", " steerco "],
                 difficulty=4)
    assert [p.name for p in journal.participants(session=session, interaction_id=item.id)] \
        == ["Dana"]
    assert journal.tags(session=session, interaction_id=item.id) == ["steerco"]
    journal.update_interaction(session=session, interaction_id=item.id,
                               interaction_in={"title": "Renamed", "tags": ["escalation"]})
    again = journal.get_interaction(session=session, interaction_id=item.id)
    assert again.title == "Renamed" and again.difficulty == 4
    assert journal.tags(session=session, interaction_id=item.id) == ["escalation"]
    assert journal.list_interactions(session=session, tag="escalation")[0].id == item.id
    with pytest.raises(Conflict, match="not a stakeholder"):
        journal.update_interaction(session=session, interaction_id=item.id,
                                   interaction_in={"participant_ids": [stranger.id]})
    with pytest.raises(InvalidInput, match="title"):
        journal.update_interaction(session=session, interaction_id=item.id,
                                   interaction_in={"title": "   "})
    journal.delete_interaction(session=session, interaction_id=item.id)
    assert journal.list_interactions(session=session) == []


def test_commitments_and_trust_readings(session, partner):
    c = commitments.add_commitment(session=session, commitment_in={
        "partner_id": partner.id, "owed_by": "them", "text": "Territory plan",
        "due": date(2020, 1, 1)})
    assert commitments.is_overdue(c)
    commitments.set_status(session=session, commitment_id=c.id, status="broken")
    done = commitments.get_commitment(session=session, commitment_id=c.id)
    assert done.status == CommitmentStatus.broken and done.resolved_at is not None
    assert not commitments.is_overdue(done)
    with pytest.raises(InvalidInput):
        commitments.add_commitment(session=session, commitment_in={
            "partner_id": partner.id, "owed_by": "nobody", "text": "x"})
    r = trust.add_reading(session=session, reading_in={
        "partner_id": partner.id, "credibility": 6, "reliability": 3, "intimacy": 6,
        "self_orientation": 5})
    assert r.trust_index == pytest.approx(3.0)
    with pytest.raises(InvalidInput, match="self_orientation"):
        trust.add_reading(session=session, reading_in={
            "partner_id": partner.id, "credibility": 6, "reliability": 3, "intimacy": 6,
            "self_orientation": 0})
    assert [x.id for x in trust.list_readings(session=session, partner_id=partner.id)] == [r.id]


@pytest.mark.parametrize("title, notes", [
    ("Emoji 🤝🔥 and ZWJ 👩‍💼", "Trust 📉 then 📈"),
    ("عبد الله الشمري", "اجتماع صعب مع الشريك"),
    ("Zoë Ångström — 株式会社", "mixed ltr עברית rtl"),
    ("Tabs\tand\nnewlines", "  leading and trailing spaces are kept in notes  "),
])
def test_odd_text_round_trips_exactly(vault, partner, title, notes):
    with use_case(vault) as s:
        ident = entry(s, partner, title=title, notes=notes).id
    with use_case(vault) as s:
        back = journal.get_interaction(session=s, interaction_id=ident)
    assert (back.title, back.notes) == (title.strip(), notes)


def test_ten_megabyte_note_round_trips(vault, partner):
    note = ("Long minutes. " * 800_000)[:10 * 1024 * 1024]
    with use_case(vault) as s:
        ident = entry(s, partner, notes=note).id
    with use_case(vault) as s:
        assert journal.get_interaction(session=s, interaction_id=ident).notes == note


@pytest.mark.parametrize("when", [datetime(1900, 1, 1), datetime(1900, 6, 1, 12, 30),
                                  datetime(2100, 12, 31, 23, 59)])
def test_far_dates_round_trip(vault, partner, when):  # the journal's years (test_date_bounds)
    with use_case(vault) as s:
        ident = entry(s, partner, occurred_at=when).id
    with use_case(vault) as s:
        assert journal.get_interaction(session=s, interaction_id=ident).occurred_at == when


@pytest.mark.parametrize("bad, message", [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"notes": "a\x00b"}, "NUL"),
    ({"title": "a\x00b"}, "NUL"),
    ({"difficulty": 6}, "difficulty"),
    ({"kind": "dinner"}, "kind"),
    ({"partner_id": 999}, "partner"),
])
def test_bad_entries_are_refused_with_a_message(session, partner, bad, message):
    with pytest.raises((InvalidInput, NotFound), match=message):
        entry(session, partner, **bad)
    assert journal.list_interactions(session=session) == []


def test_writes_survive_reopening(data_dir):
    created = vaults.create_vault(data_dir, passphrase="correct horse battery")
    with use_case(created.vault) as s:
        p = journal.create_partner(session=s, partner_in={"name": "Kestrel"})
        entry(s, p, title="OEM renewal")
    created.vault.lock()
    vault = vaults.open_vault(data_dir)
    with use_case(vault) as s:
        assert [i.title for i in journal.list_interactions(session=s)] == ["OEM renewal"]
    vault.lock()


def test_a_full_disk_is_a_clear_error_and_loses_nothing(vault, partner):
    """SQLite's max_page_count makes the database 'full' exactly as a full disk does."""
    from services.errors import StorageFull

    with use_case(vault, write=True) as s:
        kept = entry(s, partner, title="Saved before the disk filled").id
    with pytest.raises(StorageFull, match="disk is full"), use_case(vault, write=True) as s:
        conn = s.connection()
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        conn.exec_driver_sql(f"PRAGMA max_page_count = {pages + 2}")
        entry(s, partner, notes="x" * 200_000)
    vault.engine.dispose()  # the limit lives on that connection: room again
    with use_case(vault, write=True) as s:
        assert [i.id for i in journal.list_interactions(session=s)] == [kept]
        entry(s, partner, title="Saved once there was room again")
    with use_case(vault) as s:
        assert len(journal.list_interactions(session=s)) == 2


def test_export_to_a_full_disk(session, partner, tmp_path, monkeypatch):
    import errno
    from pathlib import Path

    from services.errors import StorageFull
    from services.journal import export

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(StorageFull, match="disk is full"):
        export.export(session=session, fmt="json", target=tmp_path / "out.json")
