"""Issue 20, items 16 and 17: names heard in a memo. A name Whisper split ('Sophie a Marine')
or misheard is offered as a correction, against every partner's people when no partner is
given; a name said in full is found, accents aside, so the entry can tick that person."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

import main
from services import journal, voice
from services.journal import demo
from services.store import use_case

HEARD = "Sophie a Marine asked for the plan. Vain a Whittfield agreed, and Tom Macker too."


@pytest.fixture
def sample(vault):
    with use_case(vault, write=True) as s:
        demo.load_sample(session=s)
    return vault


def test_split_and_misheard_names_are_offered_and_applied():
    words = ["Northwind Cloud", "Sofia Marín", "Dana Whitfield", "Tom Becker"]
    offered = voice.corrections(HEARD, words)
    assert [(c.heard, c.name) for c in offered] == [
        ("Sophie a Marine", "Sofia Marín"), ("Vain a Whittfield", "Dana Whitfield"),
        ("Tom Macker", "Tom Becker")]
    assert voice.apply_corrections(HEARD, offered) == (
        "Sofia Marín asked for the plan. Dana Whitfield agreed, and Tom Becker too.")
    # a right name, a name followed by a short word, a name across a full stop: nothing
    assert voice.corrections("Tom Becker is here. Dana Whitfield. A plan.", words) == []
    assert voice.corrections("Dana. Whitfield came.", ["Dana Whitfield"]) == []


def test_names_said_in_full_are_found_accents_and_case_aside():
    names = ["Sofia Marín", "Dana Whitfield", "Tom Becker", "Dana"]
    assert voice.names_in("sofia marin and DANA WHITFIELD met.", names) == [
        "Sofia Marín", "Dana Whitfield", "Dana"]
    assert voice.names_in("Tom Beckers", names) == []


def test_with_no_partner_every_partners_people_are_the_vocabulary(sample):
    with use_case(sample) as s:
        words = voice.vocabulary(session=s, partner_id=None, glossary="GMV")
        people = [p.name for p in journal.list_stakeholders(session=s) if p.active]
    assert {"Sofia Marín", "Dana Whitfield", "Tom Becker"} <= set(words)
    assert set(people) <= set(words) and words[-1] == "GMV" and len(words) == len(set(words))


class Heard:
    def transcribe(self, samples, **options):
        return iter([SimpleNamespace(start=0.0, end=2.0, text=" " + HEARD)]), \
            SimpleNamespace(language="en")


def test_cli_transcribe_without_partner_offers_the_names(sample, data_dir, capsys, monkeypatch,
                                                          tmp_path):
    from tests.voice_support import speak

    monkeypatch.setattr(voice, "install_model", lambda folder: tmp_path)
    monkeypatch.setattr(voice, "load_model", lambda folder, threads=0: Heard())
    memo = speak("A short memo.", tmp_path / "memo.wav")
    assert main.main(["--data-dir", str(data_dir), "transcribe", str(memo)]) == 0
    out, err = capsys.readouterr()
    assert "Heard 'Sophie a Marine': did you mean 'Sofia Marín'?" in err
    assert "did you mean 'Tom Becker'" in err and "did you mean 'Dana Whitfield'" in err
    assert main.main(["--data-dir", str(data_dir), "transcribe", "--json", str(memo)]) == 0
    offered = json.loads(capsys.readouterr().out)["corrections"]
    assert {"heard": "Vain a Whittfield", "name": "Dana Whitfield"} in offered
