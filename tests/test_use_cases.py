"""One use case, one transaction: a refused step leaves the journal exactly as it was; one
partner resolver; concurrent writers wait instead of failing; links stay within a partner."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlmodel import func, select

from models.tables import Commitment, Draft, Interaction, Partner, Stakeholder, TrustReading
from services import journal
from services import vault as vaults
from services.errors import Conflict, InvalidInput, NotFound
from services.journal import commitments, drafts, entry, reflection, trust
from services.store import use_case


def counts(vault) -> dict[str, int]:
    with use_case(vault) as s:
        return {t.__name__: s.exec(select(func.count()).select_from(t)).one()
                for t in (Partner, Stakeholder, Interaction, TrustReading, Commitment, Draft)}


@pytest.fixture
def partner_id(vault) -> int:
    with use_case(vault, write=True) as s:
        return journal.create_partner(session=s, partner_in={"name": "Northwind Cloud"}).id


# --- atomic use cases ------------------------------------------------------------------------
def test_an_entry_with_a_bad_trust_reading_saves_nothing_and_a_retry_makes_no_twin(
        vault, partner_id):
    with use_case(vault, write=True) as s:
        drafts.save_draft(session=s, key=drafts.NEW_ENTRY, content={"title": "Steering"})
    before = counts(vault)
    data = {"partner_id": partner_id, "title": "Steering committee", "notes": "Tense."}
    bad = {"credibility": 11, "reliability": 5, "intimacy": 5, "self_orientation": 5}
    with pytest.raises(InvalidInput), use_case(vault, write=True) as s:
        entry.save_entry(session=s, interaction_id=None, data=data, reading=bad)
    assert counts(vault) == before  # no interaction, and the draft is still there
    with use_case(vault, write=True) as s:
        entry.save_entry(session=s, interaction_id=None, data=data, reading=bad | {
            "credibility": 7})
    after = counts(vault)
    assert after["Interaction"] == before["Interaction"] + 1
    assert after["TrustReading"] == 1 and after["Draft"] == 0


def test_a_reflection_with_a_bad_commitment_twice_leaves_no_interaction(vault, partner_id):
    item = reflection.Reflection(partner_id=partner_id, title="Hard call",
                                 occurred_at=datetime(2026, 3, 2, 10), happened="She was angry.",
                                 ours=["Send the plan", "x\x00y"])
    before = counts(vault)
    for _ in range(2):
        with pytest.raises(InvalidInput), use_case(vault, write=True) as s:
            reflection.record_reflection(session=s, reflection=item)
    assert counts(vault) == before


@pytest.mark.parametrize("extra", [["--title", ""], ["--title", "Kick-off", "--difficulty", "9"],
                                   ["--title", "Kick-off", "--date", "someday"]])
def test_a_refused_log_leaves_no_partner_or_stakeholder_behind(cli, vault, extra):
    before = counts(vault)
    code, out, err = cli("log", "--partner", "Zephyr Atomic", "--with", "Quill Person", *extra)
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "Added" not in err  # nothing claimed that was not kept
    assert counts(vault) == before


def test_a_failing_commit_prints_no_id_and_keeps_nothing(cli, vault, monkeypatch):
    from services import store

    def full(session):
        session.rollback()
        raise store.StorageFull("The disk is full: nothing was saved. Free some space and "
                                "save again.")

    before = counts(vault)
    monkeypatch.setattr(store, "commit", full)
    code, out, err = cli("log", "--partner", "Zephyr Atomic", "--title", "Kick-off",
                         "--with", "Quill Person")
    assert code == 1 and out == "" and "disk is full" in err and "Added" not in err
    monkeypatch.undo()
    assert counts(vault) == before


# --- one partner resolver --------------------------------------------------------------------
@pytest.fixture
def partners(vault):
    with use_case(vault, write=True) as s:
        for name in ("Northwind Cloud", "Northstar Retail", "Kestrel Analytics", "Helix"):
            journal.create_partner(session=s, partner_in={"name": name})


def test_the_resolver_takes_exact_then_unique_prefix_else_names_candidates(vault, partners):
    with use_case(vault) as s:
        assert journal.resolve_partner(session=s, name="KEST").name == "Kestrel Analytics"
        assert journal.resolve_partner(session=s, name="helix").name == "Helix"
        with pytest.raises(NotFound, match="Northstar Retail, Northwind Cloud|Northwind Cloud, "
                                           "Northstar Retail"):
            journal.resolve_partner(session=s, name="north")
        with pytest.raises(NotFound, match="Did you mean Helix"):
            journal.resolve_partner(session=s, name="Helx")


def test_log_with_a_prefix_finds_the_partner_instead_of_creating_a_twin(cli, vault, partners):
    code, out, err = cli("log", "--partner", "northw", "--title", "QBR", "--with", "Dana W")
    assert code == 0 and "Added partner" not in err and "Added stakeholder Dana W" in err
    with use_case(vault) as s:
        item = journal.get_interaction(session=s, interaction_id=int(out))
        assert journal.get_partner(session=s, partner_id=item.partner_id).name == \
            "Northwind Cloud"
        assert len(journal.list_partners(session=s)) == 4
    code, out, err = cli("log", "--partner", "north", "--title", "QBR")
    assert code == 1 and "several partners" in err and counts(vault)["Partner"] == 4
    code, out, err = cli("log", "--partner", "Zephyr Atomic", "--title", "First call")
    assert code == 0 and "Added partner Zephyr Atomic" in err and counts(vault)["Partner"] == 5


# --- links stay within a partner -------------------------------------------------------------
def test_a_reading_or_promise_cannot_cite_another_partners_entry(cli, vault, partners):
    with use_case(vault, write=True) as s:
        helix = journal.resolve_partner(session=s, name="Helix")
        other = journal.create_interaction(session=s, interaction_in={
            "partner_id": helix.id, "title": "Helix review"})
        kestrel = journal.resolve_partner(session=s, name="Kestrel").id
    reading = {"partner_id": kestrel, "interaction_id": other.id, "credibility": 5,
               "reliability": 5, "intimacy": 5, "self_orientation": 5}
    with pytest.raises(Conflict, match="another partner"), use_case(vault, write=True) as s:
        trust.add_reading(session=s, reading_in=reading)
    with pytest.raises(Conflict, match="another partner"), use_case(vault, write=True) as s:
        commitments.add_commitment(session=s, commitment_in={
            "partner_id": kestrel, "interaction_id": other.id, "owed_by": "us", "text": "Call"})
    code, _, err = cli("trust", "add", "--partner", "Kestrel", "--credibility", "5",
                       "--reliability", "5", "--intimacy", "5", "--self-orientation", "5",
                       "--interaction", str(other.id))
    assert code == 1 and "another partner" in err
    assert counts(vault)["TrustReading"] == 0 and counts(vault)["Commitment"] == 0


# --- concurrent writers ----------------------------------------------------------------------
def test_two_writers_that_read_then_write_both_finish(vault, data_dir, partner_id):
    """A deferred BEGIN that reads, then writes, fails at once with 'database is locked' when
    another connection wrote in between; IMMEDIATE write sessions wait their turn."""
    key = vault.key
    writers = [vaults.open_with_key(data_dir, key) for _ in range(2)]
    failures: list[BaseException] = []

    def loop(v, n):
        for i in range(60):
            try:
                with use_case(v, write=True) as s:
                    journal.list_partners(session=s)  # the read before the write
                    journal.create_interaction(session=s, interaction_in={
                        "partner_id": partner_id, "title": f"writer {n} entry {i}"})
            except Exception as err:  # noqa: BLE001 - collected for the assertion
                failures.append(err)

    threads = [threading.Thread(target=loop, args=(v, n)) for n, v in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for v in writers:
        v.lock()
    assert failures == []
    assert counts(vault)["Interaction"] == 120


def test_a_journal_busy_past_the_timeout_is_a_user_error_not_a_vault_error(
        cli, vault, data_dir, partner_id, monkeypatch):
    from models import db

    monkeypatch.setattr(db, "PRAGMAS", tuple(p.replace("busy_timeout = 5000", "busy_timeout = 50")
                                             for p in db.PRAGMAS))
    blocker = db.connect(data_dir / "journal.db", vault.key)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        code, out, err = cli("log", "--partner", "Northwind", "--title", "QBR")
    finally:
        blocker.rollback()
        blocker.close()
    assert code == 1 and out == "" and "busy" in err and len(err.strip().splitlines()) == 1
