"""Bad input to the command line is one line and an exit code, never a traceback: huge numbers,
an empty or wrong data folder, escape codes in names, and random argument lists."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import main
from models.enums import CommitmentStatus, InteractionKind, QuestionKind, Stance, values
from services import journal
from services.store import use_case

HUGE = "1" * 30


@pytest.fixture
def journal_with_entry(vault):
    with use_case(vault, write=True) as s:
        partner = journal.create_partner(session=s, partner_in={"name": "Northwind Cloud"})
        journal.create_interaction(session=s, interaction_in={"partner_id": partner.id,
                                                              "title": "Kick-off"})
    return vault


@pytest.mark.parametrize("argv", [
    ["list", "--limit", HUGE],
    ["brief", "--partner", "North", "-o", "x.pdf", "--recent", HUGE],
    ["commitment", "set", HUGE, "--status", "kept"],
    ["trust", "add", "--partner", "North", "--credibility", "5", "--reliability", "5",
     "--intimacy", "5", "--self-orientation", "5", "--interaction", HUGE],
    ["advise", "--partner", "North", "--interaction", HUGE, "--no-model"],
    ["log", "--partner", "North", "--title", "x", "--difficulty", HUGE],
    ["advise", "--partner", "North", "--temperature", "nan", "--no-model"],
    ["search", "x", "--limit", "-5"],
])
def test_huge_or_out_of_range_numbers_are_one_line(cli, journal_with_entry, argv):
    code, out, err = cli(*argv)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "out of range" in err or "not a" in err


def test_an_empty_data_dir_is_refused(capsys):
    assert main.main(["--data-dir", "", "list"]) == 1
    err = capsys.readouterr().err
    assert "--data-dir is empty" in err and len(err.strip().splitlines()) == 1


def test_a_data_dir_that_is_a_file_is_one_line(cli, tmp_path):
    afile = tmp_path / "not-a-folder"
    afile.write_text("x")
    for argv in (["init"], ["list"], ["demo"]):
        code, out, err = cli(*argv, data=afile)
        assert code == 1 and "is a file, not a folder" in err, err
        assert len(err.strip().splitlines()) == 1
    assert afile.read_text() == "x"


def test_escape_codes_in_names_are_printed_escaped(cli, vault):
    with use_case(vault, write=True) as s:
        partner = journal.create_partner(session=s, partner_in={"name": "Evil\x1b[2J Corp"})
        journal.create_interaction(session=s, interaction_in={
            "partner_id": partner.id, "title": "Title\x1b]0;pwned\x07 \u202egnp.exe"})
    for argv in (["list"], ["partner", "list"], ["search", "Title"]):
        code, out, _ = cli(*argv)
        assert code == 0 and "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert "\\x1b" in out
    code, out, _ = cli("list", "--json")  # JSON escapes by itself, and keeps the real text
    assert code == 0 and "\\u001b" in out


def test_the_command_line_offers_exactly_the_enumerations():
    parser = main.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    log_kind = next(a for a in sub["log"]._actions if a.dest == "kind")
    assert log_kind.choices == values(InteractionKind)
    stance = next(a for a in sub["stakeholder"]._actions if a.dest == "action").choices["add"]
    assert next(a for a in stance._actions if a.dest == "stance").choices == values(Stance)
    about = next(a for a in sub["advise"]._actions if a.dest == "about").choices
    assert set(about) | {"free"} == set(values(QuestionKind))
    commitment = next(a for a in sub["commitment"]._actions if a.dest == "action").choices
    status = next(a for a in commitment["set"]._actions if a.dest == "status")
    assert status.choices == values(CommitmentStatus)


# --- property: random argument lists ---------------------------------------------------------
WORDS = st.sampled_from(["North", "northwind cloud", "", " ", "Zephyr", "-1", "0", "1", HUGE,
                         "nan", "2026-02-30", "9999-12-31", "x" * 300, "\x1b[2J", "😀", "'\";--",
                         "--json", "NEAR", "*", "\"", "a OR b", "-", "1e400"])
TEXT = st.one_of(WORDS, st.text(max_size=40))
OPTIONS = {
    "log": ["--partner", "--title", "--kind", "--date", "--difficulty", "--with", "--tags",
            "--notes"],
    "stakeholder add": ["--partner", "--name", "--role", "--influence", "--stance"],
    "commitment add": ["--partner", "--owed-by", "--text", "--due", "--status", "--interaction"],
    "commitment set": ["--status"],
    "trust add": ["--partner", "--stakeholder", "--credibility", "--reliability", "--intimacy",
                  "--self-orientation", "--date", "--interaction"],
    "list": ["--partner", "--limit"],
    "search": ["--partner", "--kind", "--since", "--until", "--limit"],
    "advise": ["--partner", "--interaction", "--about", "--stakeholder", "--question"],
    "partner add": ["--kind"],
}


@st.composite
def argv_lists(draw):
    command = draw(st.sampled_from(sorted(OPTIONS)))
    argv = command.split()
    if command in ("search", "partner add", "commitment set"):
        argv.append(draw(TEXT))
    for option in draw(st.lists(st.sampled_from(OPTIONS[command]), max_size=6)):
        argv += [option, draw(TEXT)]
    if command == "advise":
        argv.append("--no-model")
    if draw(st.booleans()):
        argv.append("--json") if command in ("list", "search", "advise") else None
    return argv


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(argv=argv_lists())
def test_random_arguments_exit_0_1_or_2_and_never_a_traceback(journal_with_entry, data_dir,
                                                               argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main.main(["--data-dir", str(data_dir), *argv])
    assert code in (0, 1, 2), (argv, code)
    assert "Traceback" not in err.getvalue()
    if code:
        assert err.getvalue().strip(), argv  # a failure always says why
        assert len(err.getvalue().strip().splitlines()) == 1, (argv, err.getvalue())


def test_since_resolves_a_person_as_the_partner_resolver_does(cli):
    """Issue 18 (small) and issue 20, item 20: '' is one line (no SAWarning, no 'id None');
    a first name, any case and no accents find the one person; two matches are named."""
    cli("init")
    cli("log", "--partner", "Northwind", "--title", "Kick-off",
        "--with", "Dana Whitfield,Sofia Marín,Daniel Ortega")
    code, _, err = cli("since", "--partner", "Northwind", "--stakeholder", "")
    assert code == 1 and err.strip() == "confidant: Give the person's name."
    for typed, name in (("Whit", "Dana Whitfield"), ("sofia marin", "Sofia Marín"),
                        ("daniel", "Daniel Ortega")):
        code, out, err = cli("since", "--partner", "Northwind", "--stakeholder", typed)
        assert code == 0 and out.startswith(name), (typed, out, err)
    code, _, err = cli("since", "--partner", "Northwind", "--stakeholder", "dan")
    assert code == 1 and "Dana Whitfield, Daniel Ortega" in err


def test_a_closed_pipe_ends_quietly(tmp_path):
    """Issue 20, item 21 (done with issue 18's one-line rule): `search x | head -1` must not end
    in a BrokenPipeError traceback."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT")} | {
        "CONFIDANT_PASSPHRASE": "correct horse battery", "CONFIDANT_DATA_DIR": str(tmp_path),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    cli = [sys.executable, str(root / "main.py")]
    subprocess.run(cli + ["demo"], env=env, check=True, capture_output=True)
    reader = subprocess.Popen(cli + ["search", "a"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    reader.stdout.close()  # as `head -1` does once it has its line; closed before the first
    # write here, so the writer meets the closed pipe whatever the scheduling (it starts
    # writing only after opening the vault and searching)
    err = reader.stderr.read().decode()
    assert reader.wait(timeout=60) == 141 and "Traceback" not in err and err == "", err


@pytest.mark.parametrize("argv", [
    ["list", "--json", "--partner", "nosuch"],
    ["search", "pilot", "--json", "--partner", "nosuch"],
    ["since", "--partner", "Northwind", "--stakeholder", "nobody", "--json"],
    ["advise", "--partner", "nosuch", "--json", "--no-model"],
    ["checkup", "list", "--partner", "nosuch", "--json"],
])
def test_every_json_command_prints_json_whatever_fails(cli, argv):
    """Issue 20, must hold: --json output is valid JSON on stdout whatever fails later, with an
    error field (and, for advise, the angles it had)."""
    import json

    cli("init")
    cli("log", "--partner", "Northwind", "--title", "Kick-off", "--with", "Dana Whitfield")
    code, out, err = cli(*argv)
    assert code == 1 and err.startswith("confidant: ")
    answer = json.loads(out)
    assert answer["error"] and answer["error"] in err
