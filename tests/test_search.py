"""Full-text search: ranking, filters, snippets, and any user string is safe."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text

from services import journal
from services.journal import search


@pytest.fixture
def journal_entries(session):
    north = journal.create_partner(session=session, partner_in={"name": "Northwind"})
    helix = journal.create_partner(session=session, partner_in={"name": "Helix"})

    def add(partner, title, notes="", reflection="", when=(2026, 1, 1), kind="meeting"):
        return journal.create_interaction(session=session, interaction_in={
            "partner_id": partner.id, "title": title, "notes": notes, "reflection": reflection,
            "occurred_at": datetime(*when), "kind": kind}).id

    ids = {
        "title_hit": add(north, "Marketplace listing slipped", "status", when=(2025, 5, 1)),
        "notes_hit": add(north, "Weekly sync", "we discussed the marketplace listing",
                         when=(2026, 3, 1), kind="call"),
        "older_same": add(helix, "Weekly sync", "we discussed the marketplace listing",
                          when=(2024, 3, 1), kind="call"),
        "reflection": add(helix, "Deal registration", reflection="I felt ashamed 😞",
                          when=(2025, 9, 1)),
        "arabic": add(helix, "اجتماع مع عبد الله", "نقاش حول الشراكة"),
        "accents": add(north, "Dinner with Zoë Ångström", "OEM renewal"),
    }
    return ids, north, helix


def test_bm25_then_recency(session, journal_entries):
    ids, *_ = journal_entries
    hits = search.search(session=session, query="marketplace listing")
    assert [h.id for h in hits] == [ids["title_hit"], ids["notes_hit"], ids["older_same"]]
    assert "[marketplace] [listing]" in hits[1].snippet.lower()


def test_filters_by_partner_kind_and_dates(session, journal_entries):
    ids, north, helix = journal_entries
    assert [h.id for h in search.search(session=session, query="listing",
                                        partner_id=helix.id)] == [ids["older_same"]]
    assert {h.id for h in search.search(session=session, query="listing", kind="call")} \
        == {ids["notes_hit"], ids["older_same"]}
    assert [h.id for h in search.search(session=session, query="listing",
                                        since=datetime(2025, 1, 1),
                                        until=datetime(2025, 12, 31))] == [ids["title_hit"]]


def test_prefix_accents_emoji_and_right_to_left(session, journal_entries):
    ids, *_ = journal_entries
    assert [h.id for h in search.search(session=session, query="zoe angst")] == [ids["accents"]]
    assert [h.id for h in search.search(session=session, query="😞")] == [ids["reflection"]]
    assert [h.id for h in search.search(session=session, query="عبد")] == [ids["arabic"]]
    hit = search.search(session=session, query="market", mark=("<b>", "</b>"))[0]
    assert "<b>Marketplace</b>" in hit.snippet


HOSTILE = ['"', '"unbalanced', "AND", "OR", "NOT", "NEAR(", "NEAR(listing, 2)", "*", "listing*",
           "((", "))", "title:listing", "^listing", "'; DROP TABLE interaction; --",
           "1=1 OR 'a'='a'", "-", "+", ":", "{a b}", "\x00", "a\x00b", "   ", "", "🔥",
           "\u202eevil", "SELECT * FROM partner", "listing AND OR", "%", "_", "\\"]


@pytest.mark.parametrize("query", HOSTILE)
def test_any_user_string_is_searched_as_plain_words(session, journal_entries, query):
    hits = search.search(session=session, query=query)
    assert isinstance(hits, list)
    assert session.connection().execute(text("SELECT count(*) FROM interaction")).scalar() == 6


def test_operator_words_are_plain_words(session, journal_entries):
    north = journal_entries[1]
    special = journal.create_interaction(session=session, interaction_in={
        "partner_id": north.id, "title": "NEAR term plan AND OR options"}).id
    assert [h.id for h in search.search(session=session, query="NEAR AND OR")] == [special]


def test_index_follows_updates_and_deletes(session, journal_entries):
    ids, *_ = journal_entries
    journal.update_interaction(session=session, interaction_id=ids["title_hit"],
                               interaction_in={"title": "Roadmap review"})
    assert ids["title_hit"] not in [h.id for h in search.search(session=session,
                                                                 query="slipped")]
    assert [h.id for h in search.search(session=session, query="roadmap")] == [ids["title_hit"]]
    journal.delete_interaction(session=session, interaction_id=ids["title_hit"])
    assert search.search(session=session, query="roadmap") == []
