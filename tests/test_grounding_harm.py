"""The grounding check catches what hurts (issue 21, part 2), on text alone: an invented quotation,
a date pieced together from parts, a promise handed to the wrong side, a full name made of two
people; and it leaves alone what is not a name: a known first name, a contraction, a verb that
opens a sentence."""

from __future__ import annotations

import pytest

from services.advice.grounding import Grounds, check, invented_names

JOURNAL = (
    "Partner: Helix Systems (systems integrator / reseller). Stakeholders: Rafael Ortiz, "
    "Managing Partner; Dana Whitfield, Practice Lead; Tom Becker, CFO. "
    "Commitments: the rules of engagement by 2026-11-06 (owed by us); the list of reference "
    "customers by 22 November (owed by them). "
    "[#2] 2026-10-20 workshop 'Healthcare GTM workshop with Aiko's practice': Rafael said "
    "'I want to hear the story from the customers.' Her practice has four reference customers "
    "willing to speak; the channel conflict over deal registration is open.")
TOPIC = ("Settle the rules of engagement and the deal registration conflict. Rafael asked for "
         "written rules of engagement; Aiko's practice has reference customers to share.")
OBLIGATIONS = (("us", "the rules of engagement by 2026-11-06"),
               ("them", "the list of reference customers by 22 November"))


@pytest.fixture
def grounds():
    return Grounds(journal=JOURNAL, topic=TOPIC, title="Settle the rules of engagement",
                   prompt_ids=frozenset({2}), obligations=OBLIGATIONS)


# --- quotations: word for word ----------------------------------------------------------------
def test_a_quote_must_be_found_word_for_word(grounds):
    verdict = check("[#2] 2026-10-20 'I want to hear the story from the merchants.'", grounds)
    assert not verdict.kept
    assert verdict.reason == ("quotes 'I want to hear the story from the merchants.', which no "
                              "entry says word for word")
    assert check('Remind Rafael he said "we need the story from the customers" about the '
                 'rules of engagement. [#2]', grounds).reason.startswith("quotes 'we need")
    # the same words, case and spacing aside, are kept
    assert check("Open with what Rafael said: 'I want to hear  the story from the Customers.' "
                 "[#2]", grounds).kept
    assert check("Review the rules of engagement at the 'Healthcare GTM workshop with Aiko's "
                 "practice' follow-up. [#2]", grounds).kept


# --- dates: whole, not pieced together ------------------------------------------------------------
def test_a_date_must_be_found_whole(grounds):
    """2026, 11 and 20 are each in the journal (2026-11-06, 2026-10-20), the date is not."""
    verdict = check("Send Rafael the rules of engagement by 2026-11-20.", grounds)
    assert verdict.reason == "states '2026-11-20', which is not in your journal"
    verdict = check("Send Rafael the rules of engagement by 20 November.", grounds)
    assert verdict.reason == "states '20 November', which is not in your journal"
    verdict = check("Send Rafael the rules of engagement by November 6, 2025.", grounds)
    assert verdict.reason == "states 'November 6, 2025', which is not in your journal"
    # a whole date is kept, written either way
    assert check("Send Rafael the rules of engagement by 2026-11-06.", grounds).kept
    assert check("Send Rafael the rules of engagement by 6 November.", grounds).kept
    assert check("Send Rafael the rules of engagement by November 6th, 2026.", grounds).kept
    assert check("Expect the reference customers list from Aiko on 2026-11-22.", grounds).kept
    assert check("Rafael has four reference customers for the rules of engagement.",
                 grounds).kept  # plain numbers still work


# --- who owes whom -----------------------------------------------------------------------------
def test_asking_them_for_what_we_owe_is_withheld(grounds):
    for sentence in ("Ask Rafael to deliver the rules of engagement to us by 2026-11-06.",
                     "Remind Rafael to send the rules of engagement this week.",
                     "They should deliver the written rules of engagement before the workshop."):
        assert check(sentence, grounds).reason == ("reverses who owes it: we owe 'the rules of "
                                                   "engagement by 2026-11-06'"), sentence
    for sentence in ("Deliver the rules of engagement to Rafael by 2026-11-06.",
                     "Tell Rafael we will send the written rules of engagement this week.",
                     "Ask Rafael to review the rules of engagement before 2026-11-06."):
        assert check(sentence, grounds).kept, (sentence, check(sentence, grounds).reason)
    # without the commitments, the check cannot tell who owes it and says nothing of it
    unknown = Grounds(journal=JOURNAL, topic=TOPIC, prompt_ids=frozenset({2}))
    assert check("Ask Rafael to deliver the rules of engagement to us by 2026-11-06.",
                 unknown).kept


def test_promising_what_they_owe_is_withheld(grounds):
    for sentence in ("Send Rafael the list of reference customers by 22 November.",
                     "Deliver the reference customers list to Rafael this week.",
                     "Tell Rafael we will send them the list of reference customers."):
        assert check(sentence, grounds).reason == ("reverses who owes it: they owe 'the list of "
                                                   "reference customers by 22 November'"), sentence
    for sentence in ("Ask Rafael for the list of reference customers by 22 November.",
                     "Remind Dana to share the reference customers list."):
        assert check(sentence, grounds).kept, (sentence, check(sentence, grounds).reason)


# --- names --------------------------------------------------------------------------------------
def test_a_full_name_made_of_two_people_is_withheld(grounds):
    verdict = check("Ask Dana Becker to review the rules of engagement with Rafael.", grounds)
    assert verdict.reason == "names 'Dana Becker', who is not in your journal"
    assert invented_names("Tom Whitfield's team owns the deal registration.",
                          grounds) == ["Tom Whitfield's"]
    assert invented_names("Ask Dana Whitfield and Tom Becker about deal registration.",
                          grounds) == []
    assert invented_names("Invite Rafael Ortiz's practice to the Helix Systems review.",
                          grounds) == []


def test_a_known_first_name_is_a_known_name(grounds):
    """The journal names her only as "Aiko's practice": Aiko is known, also without "'s"; and
    a first name of a full name in the journal is known on its own."""
    assert invented_names("Ask Aiko for reference customers.", grounds) == []
    assert check("Ask Aiko which reference customers will speak about the rules of "
                 "engagement.", grounds).kept
    assert check("Dana should own the rules of engagement with Rafael.", grounds).kept


def test_contractions_are_not_names(grounds):
    for sentence in ("I'd ask Rafael about the rules of engagement first.",
                     "We'll send the rules of engagement by 2026-11-06.",
                     "Don't wait on the deal registration conflict.",
                     "It’s time to settle the rules of engagement."):
        assert invented_names(sentence, grounds) == [], sentence
    assert invented_names("Priya's team owns deal registration.", grounds) == ["Priya's"]


def test_a_verb_opening_a_sentence_is_not_a_name(grounds):
    for sentence in ("Investigate the deal registration conflict with Rafael.",
                     "Hire a practice lead for the healthcare customers.",
                     "Escalate the registration conflict to Rafael."):
        assert invented_names(sentence, grounds) == [], sentence
    assert check("Investigate the deal registration conflict before the rules of engagement.",
                 grounds).kept
    assert invented_names("Orion will settle the registration conflict.", grounds) == ["Orion"]
