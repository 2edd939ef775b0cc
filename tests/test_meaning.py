"""Memory by meaning (issue 22): the index inside the encrypted journal, kept current (an edit
re-indexed, a delete dropped), search that blends words and meaning, nothing readable on disk,
and words only, with one line, when the meaning model is missing. The real model throughout."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pytest

from services import journal
from services import vault as vaults
from services.errors import ModelUnavailable
from services.memory import embedder as embedding
from services.memory import index, recall, vectors
from services.store import use_case
from tests.helpers import all_bytes

NOTES = {
    "Connector slipped again": "The connector slipped again; their VP is frustrated with our "
                               "engineering delivery.",
    "Joint webinar went well": "Two hundred sign-ups and three qualified leads from the webinar.",
    "Pricing sheet": "Sent the revised price list with the partner discount tiers.",
}


@pytest.fixture
def meaning(meaning_holder, tmp_path):
    return meaning_holder.get(tmp_path)     # the one real model of this test worker


@pytest.fixture
def journal_with(vault):
    with use_case(vault, write=True) as s:
        partner = journal.create_partner(session=s, partner_in={"name": "Acme Cloud"})
        other = journal.create_partner(session=s, partner_in={"name": "Borealis"})
        ids = {title: journal.create_interaction(session=s, interaction_in={
            "partner_id": partner.id, "title": title, "notes": notes}).id
            for title, notes in NOTES.items()}
        ids["Dana call"] = journal.create_interaction(session=s, interaction_in={
            "partner_id": other.id, "title": "Call with Dana",
            "notes": "Dana asked about the roadmap."}).id
    vectors.forget()
    return vault, partner.id, ids


def find(vault, query, meaning, **kw):
    with use_case(vault) as s:
        return recall.find(session=s, query=query, embedder=meaning, **kw)


def test_a_reworded_query_finds_by_meaning_what_words_miss(journal_with, meaning):
    vault, _partner, ids = journal_with
    assert index.catch_up(vault, meaning) == 4
    query = "when they felt we let them down on delivery"
    assert find(vault, query, meaning, mode="words").hits == []
    hits = find(vault, query, meaning).hits
    assert hits[0].id == ids["Connector slipped again"] and hits[0].how == "meaning"
    assert "frustrated" in hits[0].snippet             # the sentence that matched
    assert index.catch_up(vault, meaning) == 0          # nothing stale any more


def test_exact_names_still_come_first_and_filters_apply_to_meaning(journal_with, meaning):
    vault, partner, ids = journal_with
    index.catch_up(vault, meaning)
    hits = find(vault, "Dana", meaning).hits
    assert hits[0].id == ids["Dana call"] and hits[0].how == "words"
    only_acme = find(vault, "the roadmap and the product plan", meaning, mode="meaning",
                     partner_id=partner).hits
    assert only_acme and ids["Dana call"] not in {h.id for h in only_acme}


def test_an_edit_is_reindexed_and_a_deleted_entry_is_never_found(journal_with, meaning):
    vault, _partner, ids = journal_with
    index.catch_up(vault, meaning)
    query = "a hospital asked for a compliance audit"
    before = find(vault, query, meaning, mode="meaning").hits[0]
    assert before.score < 0.5
    with use_case(vault, write=True) as s:
        journal.update_interaction(session=s, interaction_id=ids["Pricing sheet"],
                                   interaction_in={"notes": "The hospital asked us for a "
                                                   "compliance audit of the data flows."})
    with use_case(vault) as s:
        assert index.stale_count(s, index.model_id(meaning)) == 1
    assert index.catch_up(vault, meaning) == 1
    after = find(vault, query, meaning, mode="meaning").hits[0]
    assert after.id == ids["Pricing sheet"] and after.score > 0.5
    with use_case(vault, write=True) as s:
        journal.delete_interaction(session=s, interaction_id=ids["Pricing sheet"])
        left = s.connection().exec_driver_sql(
            "SELECT count(*) FROM entry_chunk WHERE interaction_id = ?",
            (ids["Pricing sheet"],)).scalar_one()
    assert left == 0
    assert ids["Pricing sheet"] not in {h.id for h in find(vault, query, meaning,
                                                           mode="meaning").hits}


def test_vectors_and_chunks_are_not_readable_on_disk(data_dir, meaning):
    created = vaults.create_vault(data_dir, passphrase="correct horse battery")
    marker = f"MARKER-{uuid.uuid4().hex}"
    with use_case(created.vault, write=True) as s:
        partner = journal.create_partner(session=s, partner_in={"name": "Acme"})
        journal.create_interaction(session=s, interaction_in={
            "partner_id": partner.id, "title": "Meeting", "notes": f"{marker} was upset."})
    index.catch_up(created.vault, meaning)
    with use_case(created.vault) as s:
        blob = s.connection().exec_driver_sql("SELECT vector FROM entry_chunk").scalar_one()
    assert len(blob) == 384 * 2
    disk = all_bytes(data_dir)
    assert marker.encode() not in disk and blob[:64] not in disk
    assert not list(data_dir.rglob("*.npy")) and not list(data_dir.rglob("*chunk*"))
    created.vault.lock()


def test_a_missing_meaning_model_means_words_only_with_one_line(cli, tmp_path, monkeypatch):
    assert cli("demo")[0] == 0

    def missing(*_a, **_k):
        raise ModelUnavailable("The meaning model is not installed: search uses words only.")
    monkeypatch.setattr(embedding, "load_embedder", missing)
    code, out, err = cli("search", "campaign plan late")
    assert code == 0 and "Dana: campaign plan late" in out
    assert err.strip().splitlines() == ["The meaning model is not installed: search uses words "
                                        "only. Words only."] or "words only" in err
    code, _out, err = cli("search", "campaign plan late", "--meaning")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "words only" in err


def test_cli_search_modes(cli):
    assert cli("demo")[0] == 0
    code, out, _err = cli("search", "they felt let down by our delivery", "--json")
    found = json.loads(out)
    assert code == 0 and found and {f["found_by"] for f in found} <= {"words", "meaning"}
    code, out, _ = cli("search", "they felt let down by our delivery", "--words", "--json")
    assert json.loads(out) == []
    code, out, _ = cli("search", "Tom", "--json", "--limit", "5")
    assert all(f["found_by"] == "words" for f in json.loads(out)[:3])


def test_chunks_stay_within_the_models_length():
    text = " ".join(f"Sentence number {n} about the alliance and its roadmap." for n in range(200))
    found = vectors.chunks({"notes": text, "reflection": ""}, lambda t: len(t.split()) + 2)
    assert len(found) > 1 and all(len(c.text.split()) <= vectors.CHUNK_TOKENS for c in found)
    assert "".join(c.text for c in found).replace(" ", "") == text.replace(" ", "")
    assert np.isfinite(len(found))


# --- the advisor quotes the journal (issue 22, item 4) -----------------------------------------
def test_each_angle_quotes_its_evidence_word_for_word(session):
    from services.advice import advisor
    from tests.test_playbook import TODAY, Journal

    j = Journal(session)
    j.person("Tom", stance="blocker", influence=5)
    refusal = j.entry(200, "EMEA leadership", ["Tom", "Sam"], difficulty=4)
    journal.update_interaction(session=session, interaction_id=refusal.id, interaction_in={
        "notes": "We showed the co-sell plan. Tom refused to carry partner-sourced targets this "
                 "year. Lunch was fine.",
        "reflection": "Arguing with Tom in front of his team was a mistake, he refused harder."})
    context = advisor.gather(session=session, request=advisor.AdviceRequest(
        partner_id=j.partner.id, kind="politics"), today=TODAY)
    angle = next(a for a in context.angles if a.rule == "influential_blocker")
    texts = [q["text"] for q in angle.quotes]
    assert texts[0] == "Tom refused to carry partner-sourced targets this year."
    assert all(q["interaction_id"] == refusal.id for q in angle.quotes)
    assert any(q["private"] for q in angle.quotes)        # the app may show the reflection
    entry = journal.get_interaction(session=session, interaction_id=refusal.id)
    assert all(t in entry.notes or t in entry.reflection for t in texts)


def test_a_private_reflection_is_quoted_in_the_brief_only_when_included(session):
    from services.practice import brief
    from tests.test_playbook import Journal

    j = Journal(session)
    j.person("Tom", stance="blocker", influence=5)
    refusal = j.entry(20, "EMEA leadership", ["Tom"], difficulty=4)
    journal.update_interaction(session=session, interaction_id=refusal.id, interaction_in={
        "reflection": "Tom refused the co-sell targets and I argued with him in public."})

    def quoted(include):
        data = brief.build_brief(session=session, options=brief.BriefOptions(
            partner_id=j.partner.id, include_reflections=include))
        return [q for a in data.angles for q in a.quotes]
    assert quoted(False) == []
    assert [q["private"] for q in quoted(True)] == [True]


def test_the_models_context_holds_entries_related_by_meaning(vault, meaning):
    from services.advice import advisor

    with use_case(vault, write=True) as s:
        partner = journal.create_partner(session=s, partner_in={"name": "Acme Cloud"})
        related = journal.create_interaction(session=s, interaction_in={
            "partner_id": partner.id, "title": "Connector review",
            "notes": "The connector slipped again; their VP is frustrated with our delivery."}).id
        for n in range(8):
            journal.create_interaction(session=s, interaction_in={
                "partner_id": partner.id, "title": f"Pipeline call {n}",
                "notes": "Two deals moved a stage."})
    vectors.forget()
    index.catch_up(vault, meaning)
    request = advisor.AdviceRequest(partner_id=partner.id, kind="free",
                                    question="Angry executives because shipping was late")
    with use_case(vault) as s:
        words_only = advisor.gather(session=s, request=request)
        by_meaning = advisor.gather(session=s, request=request, meaning=meaning)
    assert related not in [i.id for i in words_only.relevant[:6]]
    assert related in [i.id for i in by_meaning.relevant]
    assert by_meaning.snapshot.likeness is not None


def test_what_worked_before_puts_the_most_alike_episode_first():
    from datetime import datetime

    from services.advice import precedents

    def episode(partner, days):
        e = precedents.Episode("trust_drop", 1, partner, datetime(2026, 1, 1), "fell", None,
                               baseline=4.0)
        e.recovered_at, e.recovered_to, e.trough = datetime(2026, 1, 1 + days), 4.0, 2.0
        return e
    fast, alike = episode("Fast", 5), episode("Alike", 20)
    assert precedents.best([fast, alike], {"trust_drop"}, limit=1) == [fast]
    like = {id(fast): 0.1, id(alike): 0.8}
    assert precedents.best([fast, alike], {"trust_drop"}, limit=1,
                           like=lambda e: like[id(e)]) == [alike]


# --- the app: the index kept current in the background, Ctrl+F by meaning ----------------------
def test_the_app_indexes_after_a_save_and_ctrl_f_finds_by_meaning(qtbot, ctx):
    from tests.ui_support import open_window, settle

    with use_case(ctx.vault, write=True) as s:
        partner = journal.create_partner(session=s, partner_in={"name": "Acme Cloud"})
        for title, notes in NOTES.items():
            journal.create_interaction(session=s, interaction_in={
                "partner_id": partner.id, "title": title, "notes": notes})
    vectors.forget()
    win = open_window(qtbot, ctx)
    messages = []
    win.meaning.status.connect(messages.append)
    win.meaning.start()                    # what the timer does 3 s after the vault opens

    def indexed() -> int:
        with use_case(ctx.vault) as s:
            return s.connection().exec_driver_sql(
                "SELECT count(DISTINCT interaction_id) FROM entry_chunk").scalar_one()
    qtbot.waitUntil(lambda: indexed() == 3 and not win.meaning.running, timeout=30000)
    with use_case(ctx.vault, write=True) as s:   # a save: indexed after it, never inside it
        new = journal.create_interaction(session=s, interaction_in={
            "partner_id": partner.id, "title": "Steering committee",
            "notes": "Their CFO walked out when we raised the price again."}).id
    assert indexed() == 3
    win.meaning.start()
    qtbot.waitUntil(lambda: indexed() == 4 and not win.meaning.running, timeout=30000)
    win.find()
    dialog = win.search_dialog
    dialog.query.setText("the finance chief left the room over cost")
    dialog.run_search()
    settle(qtbot, ctx, timeout=20000)
    hits = dialog.model.hits
    assert hits and hits[0].id == new and hits[0].how == "meaning"
    assert "related by meaning" in dialog.count.text()
    assert vectors._CACHE                  # the matrix, in memory while the journal is open
    win.lock()
    assert not vectors._CACHE              # and gone with the lock
    win.close()
