"""The command line: every record a script can make, JSON output, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import main
from services.store import use_case

ROOT = Path(__file__).resolve().parent.parent


def test_a_script_records_everything(cli, tmp_path):
    code, out, _ = cli("init")
    assert code == 0 and "Recovery key" in out
    assert cli("partner", "add", "Northwind Cloud", "--kind", "co-sell")[1].strip() == "1"
    code, out, _ = cli("stakeholder", "add", "--partner", "northwind", "--name", "Dana Whitfield",
                       "--role", "VP", "--influence", "5", "--stance", "champion")
    assert code == 0 and out.strip().isdigit()
    notes = tmp_path / "notes.md"
    notes.write_text("She was **angry** about the listing.", encoding="utf-8")
    code, out, err = cli("log", "--partner", "Northwind Cloud", "--title", "Steering committee",
                         "--kind", "meeting", "--date", "2026-03-02", "--notes-file", str(notes),
                         "--reflection", "Tell bad news first.", "--difficulty", "5",
                         "--with", "Dana Whitfield, Tom Becker", "--tags", "steerco")
    entry_id = int(out)
    assert code == 0 and "Added stakeholder Tom Becker" in err
    code, out, _ = cli("commitment", "add", "--partner", "Northwind Cloud", "--owed-by", "us",
                       "--text", "Weekly status note", "--due", "2026-04-01")
    commitment_id = int(out)
    assert cli("commitment", "set", str(commitment_id), "--status", "kept")[0] == 0
    assert cli("trust", "add", "--partner", "Northwind Cloud", "--stakeholder", "Dana Whitfield",
               "--credibility", "5", "--reliability", "2", "--intimacy", "5",
               "--self-orientation", "5", "--interaction", str(entry_id))[0] == 0

    code, out, _ = cli("list", "--json")
    rows = json.loads(out)
    assert rows == [{"id": entry_id, "partner": "Northwind Cloud", "title": "Steering committee",
                     "date": "2026-03-02T00:00:00", "kind": "meeting", "difficulty": 5}]
    code, out, _ = cli("search", "angry listing", "--json")
    hit = json.loads(out)[0]
    assert {k: hit[k] for k in ("id", "partner", "title", "kind")} == {
        "id": entry_id, "partner": "Northwind Cloud", "title": "Steering committee",
        "kind": "meeting"}

    exported = tmp_path / "journal.json"
    assert cli("export", "--format", "json", "-o", str(exported))[0] == 0
    data = json.loads(exported.read_text(encoding="utf-8"))
    partner = data["partners"][0]
    assert partner["interactions"][0]["participants"] == ["Dana Whitfield", "Tom Becker"]
    assert partner["commitments"][0]["status"] == "kept"
    assert partner["trust_readings"][0]["trust_index"] == 2.4
    md = tmp_path / "journal.md"
    assert cli("export", "--format", "markdown", "-o", str(md))[0] == 0
    assert "Tell bad news first." in md.read_text(encoding="utf-8")


def test_demo_journal_is_realistic(cli):
    code, out, _ = cli("demo")
    assert code == 0
    rows = json.loads(cli("list", "--json")[1])
    partners = {r["partner"] for r in rows}
    dates = sorted(r["date"] for r in rows)
    assert len(partners) >= 4 and len(rows) >= 120
    from datetime import datetime
    span = datetime.fromisoformat(dates[-1]) - datetime.fromisoformat(dates[0])
    assert span.days >= 500
    export = json.loads(json.dumps(rows))
    assert any(r["difficulty"] >= 4 for r in export)
    assert cli("demo")[0] == 1  # already loaded: refused, not duplicated


@pytest.mark.parametrize("argv, code, words", [
    (["list"], 2, "No vault"),
    (["log", "--partner", "X"], 1, "--title"),
    (["frobnicate"], 1, "invalid choice"),
])
def test_errors_without_a_vault(cli, argv, code, words):
    got, out, err = cli(*argv)
    assert got == code and words in err and "Traceback" not in err


def test_user_errors_are_one_line(cli):
    cli("init")
    for argv, words in [
        (["log", "--partner", "X", "--title", "t", "--date", "yesterday"], "--date"),
        (["log", "--partner", "X", "--title", ""], "title"),
        (["log", "--partner", "X", "--title", "t", "--difficulty", "9"], "difficulty"),
        (["log", "--partner", "X", "--title", "t", "--notes-file", "/nonexistent"], "Cannot read"),
        (["commitment", "set", "42", "--status", "kept"], "No commitment"),
        (["stakeholder", "add", "--partner", "Nobody", "--name", "A"], "No partner"),
        (["search", "x", "--partner", "Nobody"], "No partner"),
    ]:
        code, _, err = cli(*argv)
        assert code == 1, argv
        assert words in err and len(err.strip().splitlines()) == 1, (argv, err)


def test_wrong_passphrase_exits_2_in_a_real_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT")}
    env |= {"CONFIDANT_DATA_DIR": str(tmp_path / "d"), "PYTHON_KEYRING_BACKEND":
            "keyring.backends.fail.Keyring", "CONFIDANT_PASSPHRASE": "correct horse battery"}

    def run(*argv, **extra):
        return subprocess.run([sys.executable, str(ROOT / "main.py"), *argv], cwd=ROOT,
                              env=env | extra, capture_output=True, text=True, stdin=subprocess.DEVNULL)

    assert run("init").returncode == 0
    assert run("log", "--partner", "Helix", "--title", "Margin talk").stdout.strip() == "1"
    wrong = run("list", CONFIDANT_PASSPHRASE="not the passphrase")
    assert wrong.returncode == 2 and wrong.stderr.strip() == "confidant: Wrong passphrase."
    locked = run("list", CONFIDANT_PASSPHRASE="")
    assert locked.returncode == 2 and "CONFIDANT_PASSPHRASE" in locked.stderr
    assert "Margin talk" in run("list").stdout


def test_advise_angles_only_as_json(cli):
    cli("demo")
    code, out, _ = cli("advise", "--partner", "Helix", "--no-model", "--json")
    data = json.loads(out)
    assert code == 0 and data["advice"] is None and len(data["angles"]) >= 3
    first = data["angles"][0]
    assert {"rule", "title", "why", "first_step", "cites"} <= set(first)
    assert all(isinstance(i, int) for a in data["angles"] for i in a["cites"])
    code, out, _ = cli("advise", "--partner", "Helix", "--no-model")
    assert code == 0 and "First step:" in out and "Advice:" not in out


def test_advise_with_the_real_model(cli, data_dir, model_dir):
    import shutil

    from services.advice import llm

    cli("demo")
    (data_dir / "models").mkdir()
    for name in (llm.BUNDLED_NAME, llm.BUNDLED_NAME + llm.VERIFIED_SUFFIX):
        shutil.copy2(model_dir / "models" / name, data_dir / "models" / name)
    code, out, _ = cli("advise", "--partner", "Northwind", "--interaction", "3",
                       "--temperature", "0", "--json")
    data = json.loads(out)
    assert code == 0 and data["model"].startswith("Gemma 3") and data["parts"]
    assert all(set(p) == {"rule", "text", "kept", "reason"} for p in data["parts"])
    assert all(bool(p["reason"]) != p["kept"] for p in data["parts"])
    assert all(p["text"] in (data["advice"] or "") for p in data["parts"] if p["kept"])
    assert bool(data["advice_id"]) == bool(data["advice"]) and data["stopped"] is False
    # six tokens per angle: every sentence is cut off, withheld, and said so; nothing saved
    code, out, _ = cli("advise", "--partner", "Northwind", "--max-tokens", "6")
    assert code == 0 and "Advice:" in out and "(withheld: " in out
    assert "saved as advice #" in out or "The model's text was withheld" in out


def test_advise_without_a_model_file_still_gives_angles(cli, tmp_path):
    cli("demo")
    from services import settings as settings_service
    from services import vault as vaults

    vault = vaults.open_vault(tmp_path / "data")
    with use_case(vault) as s:
        settings_service.save_settings(session=s, values={"model_path": str(tmp_path / "x.gguf")})
    vault.lock()
    code, out, _ = cli("advise", "--partner", "Kestrel")
    assert code == 0 and "First step:" in out and "No written advice" in out
    code, _, err = cli("advise", "--partner", "Kestrel", "--interaction", "1")
    assert code == 1 and "is not about Kestrel" in err


def test_brief_command(cli, tmp_path):
    from pypdf import PdfReader

    cli("demo")
    target = tmp_path / "northwind.pdf"
    code, out, err = cli("brief", "--partner", "Northwind", "-o", str(target),
                         "--meeting-date", "2026-12-03", "--purpose", "Steering committee",
                         "--recent", "3")
    assert code == 0 and "private reflections left out" in out, err
    assert len(PdfReader(str(target)).pages) >= 2
    code, _, err = cli("brief", "--partner", "Northwind", "-o", str(tmp_path / "no/dir/x.pdf"))
    assert code == 1 and "Cannot write" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli("brief", "--partner", "Northwind", "-o", str(target), "--meeting-date",
                       "soon")
    assert code == 1 and "--meeting-date" in err


def test_version_comes_from_pyproject(capsys):
    import tomllib

    assert main.main(["--version"]) == 0
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert capsys.readouterr().out.strip() == f"Confidant {expected}"


def test_self_test_runs_every_step_with_the_real_model(capsys, model_dir, monkeypatch):
    import shutil

    from services.advice import llm

    real_install = llm.install_bundled_model

    def reuse(data_dir):  # the session's verified copy, not a second 253 MB assembly
        (data_dir / "models").mkdir(exist_ok=True)
        for name in (llm.BUNDLED_NAME, llm.BUNDLED_NAME + llm.VERIFIED_SUFFIX):
            shutil.copy2(model_dir / "models" / name, data_dir / "models" / name)
        return real_install(data_dir)

    monkeypatch.setattr(llm, "install_bundled_model", reuse)
    assert main.main(["--self-test"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines[:5]] == ["vault", "journal", "advisor", "brief",
                                                       "voice"]
    assert all(line.split()[1] == "ok" for line in lines[:5]), lines
    assert "roadmap" in lines[4].lower()   # the bundled clip, decoded and heard by Whisper
    assert lines[-1] == "self-test: all steps ok"


def test_self_test_reports_a_failing_step(capsys, monkeypatch):
    from services.advice import llm

    def broken(data_dir):
        raise llm.ModelUnavailable("The bundled model is damaged.")

    monkeypatch.setattr(llm, "install_bundled_model", broken)
    assert main.main(["--self-test"]) == 1
    out = capsys.readouterr().out
    assert "advisor  ERROR" in out and "damaged" in out and "brief    ok" in out


def test_self_test_names_a_missing_speech_model(capsys, monkeypatch):
    from services import voice
    from services.advice import llm

    def no_llm(data_dir):
        raise llm.ModelUnavailable("skipped here")

    def no_whisper(data_dir):
        raise voice.ModelUnavailable("The speech model packages are not installed.")

    monkeypatch.setattr(llm, "install_bundled_model", no_llm)
    monkeypatch.setattr(voice, "install_model", no_whisper)
    assert main.main(["--self-test"]) == 1
    out = capsys.readouterr().out
    assert "voice    ERROR  ModelUnavailable: The speech model packages" in out


def test_keychain_forget_and_remember(cli, monkeypatch, memory_keyring):
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", "correct horse battery")
    cli("init")
    monkeypatch.delenv("CONFIDANT_PASSPHRASE")
    assert cli("list")[0] == 0  # from the keychain
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", "correct horse battery")
    code, out, _ = cli("keychain", "forget")
    assert code == 0 and "ask for the passphrase" in out and memory_keyring.store == {}
    monkeypatch.delenv("CONFIDANT_PASSPHRASE")
    code, _, err = cli("list")
    assert code == 2 and "passphrase" in err
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", "correct horse battery")
    assert cli("keychain", "remember")[0] == 0
    monkeypatch.delenv("CONFIDANT_PASSPHRASE")
    assert cli("list")[0] == 0
