"""The grounding check on text alone (no model): each reason a sentence is withheld, a good
sentence kept, names in any script, and sentence-by-sentence streaming."""

from __future__ import annotations

import pytest

from services.advice import grounding_words as lexicon
from services.advice.grounding import (
    Grounds,
    SentenceBuffer,
    check,
    fragment_reason,
    invented_names,
)
from services.advice.grounding_words import grounding_words, read_lists
from services.errors import BrokenResource

EXAMPLES = """Partner: Orion Systems (reseller). Question: How do I rebuild trust?
Situation: We missed the listing date we had promised; the partner's VP heard it first.
Angle: Own the broken promise
Suggestion: Call her before the next meeting, name the miss and what it cost her.

Partner: Vega Analytics (technology). Question: How should I prepare?
Situation: The partner's CFO only looks at the margin on joint deals.
Angle: Answer the skeptic's real concern
Suggestion: Ask him for thirty minutes to hear the margin concern in full.
"""

JOURNAL = ("Partner: Northwind Cloud (co-sell). Stakeholders: Dana Reyes, VP Partnerships, "
           "champion; عبد الله الشمري, Head of IT, supporter; Sofia Marín, CFO, skeptic. "
           "[#9] 2025-08-30 meeting 'Marketplace listing review' (difficulty 4/5): the "
           "listing slipped again; Dana was frustrated and asked for a dated plan by 15 "
           "September. Reliability went from 7 to 4.")
TOPIC = ("Rebuild reliability with small, visible promises. Reliability fell from 7 to 4 at "
         "'Marketplace listing review'. Make three small commitments for the next two weeks, "
         "each with a date, and report each one as done. Marketplace listing review: the "
         "listing slipped again; Dana was frustrated and asked for a dated plan.")


@pytest.fixture
def grounds():
    return Grounds(journal=JOURNAL, topic=TOPIC,
                   title="Rebuild reliability with small, visible promises",
                   examples=EXAMPLES, prompt_ids=frozenset({9}))


def test_a_good_sentence_is_kept(grounds):
    verdict = check("Send Dana a dated plan for the listing this week, with three small "
                    "commitments you control. [#9]", grounds)
    assert verdict.kept and verdict.reason == ""


def test_names_in_other_scripts_and_with_accents_are_known(grounds):
    assert check("Ask عبد الله الشمري to review the dated listing plan with you.", grounds).kept
    assert check("Give Sofia Marín the listing plan before the review.", grounds).kept
    assert check("Ask Dana's team and the VP's office for the dated listing plan.", grounds).kept
    verdict = check("Ask خالد to review the dated listing plan with you.", grounds)
    assert verdict.reason == "names 'خالد', who is not in your journal"


def test_an_invented_name_is_withheld(grounds):
    verdict = check("Ask Orion to confirm the listing plan by next week.", grounds)
    assert not verdict.kept and verdict.reason == "names 'Orion', who is not in your journal"
    verdict = check("Tell Dana that Priya will own the listing plan.", grounds)
    assert verdict.reason == "names 'Priya', who is not in your journal"


def test_an_invented_number_or_date_is_withheld(grounds):
    verdict = check("Promise Dana the listing will be live on 2025-10-01.", grounds)
    assert not verdict.kept and verdict.reason == "states '2025-10-01', which is not in your " \
                                                  "journal"
    assert check("Offer Dana a 20% discount on the listing.", grounds).reason \
        == "states '20', which is not in your journal"
    assert check("Give Dana five dated listing commitments.", grounds).reason \
        == "states 'five', which is not in your journal"
    assert check("Send Dana the listing plan before 15 September.", grounds).kept


def test_a_repeat_is_withheld(grounds):
    assert check("Rebuild reliability with small, visible promises.", grounds).reason \
        == "repeats the angle's title"
    earlier = ["Send Dana a dated plan for the listing this week."]
    assert check("Send Dana a dated plan for the listing this week!", grounds,
                 earlier).reason == "repeats an earlier sentence"
    assert check("Call her before the next meeting, name the miss and what it cost her.",
                 grounds).reason == "repeats the prompt's examples"
    assert check("Ask Dana for a dated listing plan, and ask Dana for a dated listing plan.",
                 grounds).reason == "repeats itself"
    assert check("Ask Dana to move the listing on, and ask her to move the listing on.",
                 grounds).reason == "repeats itself"
    assert check("Re-establish the dated listing plan with Dana this week.", grounds).kept


def test_pieces_of_the_prompt_pasted_together_are_withheld():
    prompt = ("[#53] 2026-10-23 email 'Deal support call prep for Paul' (difficulty 0/5): Sent "
              "the account list.\n[#51] 2026-09-01 meeting 'Monthly pipeline review with Paul' "
              "(difficulty 1/5): Went through the shared opportunity list.\n"
              "3. Re-establish joint governance. First step: propose a steering committee.")
    grounds = Grounds(journal=prompt, topic=prompt, prompt=prompt,
                      prompt_ids=frozenset({51, 53}))
    pasted = ("[#53] 2026-10-23 email 'Deal support call prep for Paul' (difficulty 1/5): Went "
              "through the shared opportunity list.")
    assert check(pasted, grounds).reason == "copies the prompt back"
    assert check("Re-establish joint governance.", grounds).reason == "copies the prompt back"
    assert check("Ask Paul which deal on the opportunity list needs a joint call this month, "
                 "and propose the steering committee there. [#51]", grounds).kept


def test_a_word_borrowed_from_the_examples_is_withheld(grounds):
    verdict = check("Tell the partner you are not happy with the margin.", grounds)
    assert not verdict.kept and "margin" in verdict.reason and "examples" in verdict.reason


def test_an_off_topic_sentence_is_withheld(grounds):
    verdict = check("If you have to, ask the partner to go to the counter and pay a little "
                    "more.", grounds)
    assert verdict.reason == "off topic: shares no word with its angle or the entries cited"
    assert check("Do not accept it.", grounds).reason == "says too little to act on"


def test_a_fragment_is_withheld(grounds):
    assert check("Be prepared for the '", grounds).reason.startswith("cut off")
    assert check("Send Dana a dated plan for the listing and", grounds).reason \
        == "cut off before the end of the sentence"
    assert fragment_reason('Tell Dana "we will ship the listing.') \
        == "cut off: a quotation is left open"
    assert fragment_reason("Ask Dana (the champion.") \
        == "cut off: a quotation or bracket is left open"
    assert fragment_reason("Review the partners' listing plan with Dana.") == ""


def test_a_citation_not_in_the_prompt_is_withheld(grounds):
    verdict = check("Send Dana the dated listing plan. [#104]", grounds)
    assert verdict.reason == "cites [#104], which was not in what the model was given"


def test_stream_gives_whole_sentences_with_their_citations():
    buffer = SentenceBuffer()
    out = []
    for piece in ["Send Dana", " a plan.", " [#9]", " Then call", " her. Ask e.g. ", "about it",
                  ".\n", "Cut"]:
        out += buffer.feed(piece)
    assert out == ["Send Dana a plan. [#9]", "Then call her.", "Ask e.g. about it."]
    assert buffer.rest() == "Cut" and buffer.rest() == ""


def test_an_imperative_opener_is_not_taken_for_a_name(grounds):
    """Seen on the sample journal: 'Provide', 'Pay' and 'Repeat' opening a suggestion were
    withheld as invented names."""
    for sentence in ("Provide Dana with a written status every Friday.",
                     "Pay attention to what Dana asks for first.",
                     "Repeat the commitment to Dana in writing."):
        assert invented_names(sentence, grounds) == [], sentence
    assert invented_names("Orion will cover the gap for Dana.", grounds) == ["Orion"]


# --- the word lists: data, not code (resources/grounding/<language>.toml) ------------------------
def test_the_shipped_word_lists_hold_each_word_once():
    lists = read_lists("en")
    for section, named in lists.items():
        for name, found in named.items():
            assert len(found) == len(set(found)), (section, name)
            assert all(w == w.casefold() for w in found) or section == "sentences", (section, name)
    for section in ("stop_words", "capitalised"):  # lists meant to be distinct share no word
        named = list(lists[section].items())
        for n, (name, found) in enumerate(named):
            for other, more in named[n + 1:]:
                assert not set(found) & set(more), (section, name, other, set(found) & set(more))
    numbers = set(lists["numbers"]["words"])
    for section in ("stop_words", "capitalised", "advice"):
        for name, found in lists[section].items():
            assert not numbers & set(found), (section, name)


def test_the_word_lists_are_read_once_per_language():
    assert grounding_words() is grounding_words("en")
    assert "january" in grounding_words().capitalised and "the" in grounding_words().stop_words


@pytest.mark.parametrize("text, said", [
    (None, "is missing"),
    ("[stop_words\nfunction = [", "cannot be read"),
    ("[stop_words]\nfunction = ['a']\nvague = ['b']\n", "lack the section [capitalised]"),
    ("[stop_words]\nfunction = 'a b'\n", "[stop_words] function must be a list of words"),
    ("[stop_words]\nfunction = ['a', 'of', 'a']\n", "holds 'a' twice"),
])
def test_a_missing_or_malformed_word_file_is_refused_in_one_line(monkeypatch, tmp_path, text,
                                                                 said):
    monkeypatch.setattr(lexicon, "resource", lambda name: tmp_path / name)
    if text is not None:
        (tmp_path / "grounding").mkdir()
        (tmp_path / "grounding" / "en.toml").write_text(text, encoding="utf-8")
    with pytest.raises(BrokenResource) as err:
        read_lists("en")
    assert said in str(err.value) and "\n" not in str(err.value)


def test_a_language_code_names_a_file_and_nothing_else():
    with pytest.raises(BrokenResource, match="not a language code"):
        read_lists("../prompts")
    with pytest.raises(BrokenResource, match="is missing"):
        read_lists("xx")
