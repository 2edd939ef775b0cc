"""`confidant sync` (issue 24): two real SQLCipher vaults in two data dirs, a temporary folder
as the synced folder, the commands run in-process. Bad input ends in exit 1 or 2 with exactly
one line on stderr and no traceback."""

from __future__ import annotations

import json
import shutil
import uuid

import pytest

from services import journal
from services import vault as vaults
from services.store import use_case
from services.vault import vault_header

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fast_and_given(monkeypatch):
    monkeypatch.setattr(vault_header, "SCRYPT_N", 2**14)  # the cheapest a header may ask for
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", PASSPHRASE)
    for name in ("CONFIDANT_RECOVERY_KEY", "CONFIDANT_NEW_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "Dropbox"
    path.mkdir()
    return path


@pytest.fixture
def other(tmp_path):
    return tmp_path / "other-device"


def one_error(code, out, err, codes=(1,)) -> str:
    """Exit 1 (or 2), one line on stderr, no traceback; the line."""
    assert code in codes, (code, out, err)
    assert err.count("\n") == 1 and err.startswith("confidant"), err
    assert "Traceback" not in err + out
    return err


def first_device(cli, folder, *, entry=True, name="laptop", new=True):
    if new:
        assert cli("init")[0] == 0
    if entry:
        assert cli("log", "--partner", "Northwind", "--title", "Kickoff",
                   "--notes", "Agreed the joint roadmap.")[0] == 0
    code, out, err = cli("sync", "init", str(folder), "--name", name)
    assert code == 0, err
    return out


def both(cli, folder, other):
    first_device(cli, folder)
    code, out, err = cli("sync", "join", str(folder), "--name", "desk", data=other)
    assert code == 0, err
    return out


def journal_dirs(folder):
    return sorted(p for p in (folder / "Confidant").iterdir() if p.is_dir())


# --- the happy paths -------------------------------------------------------------------------
def test_an_entry_logged_on_one_device_shows_on_the_other(cli, folder, other):
    out = first_device(cli, folder)
    assert f"confidant sync join {folder.resolve()}" in out
    assert "ask for this journal's passphrase" in out
    (journal_dir,) = journal_dirs(folder)
    assert (journal_dir / "keys.cfk").is_file()

    code, out, err = cli("sync", "join", str(folder), "--name", "desk", data=other)
    assert code == 0, err
    assert "Recovery key of this vault" in out
    assert "Joined: 2 row(s) from 1 snapshot(s)" in out   # the partner and the entry
    assert [e["title"] for e in json.loads(cli("list", "--json", data=other)[1])] == ["Kickoff"]

    assert cli("log", "--partner", "Northwind", "--title", "Pipeline review",
               "--notes", "Quarterly pipeline with the channel team.")[0] == 0
    code, out, err = cli("sync", "now")
    assert code == 0 and err == ""
    assert out.startswith("Synced: 1 segment(s) sent, 1 applied from other devices")
    code, out, err = cli("sync", "now", data=other)
    assert code == 0 and err == "" and len(out.splitlines()) == 1
    assert "1 applied from other devices" in out

    titles = [e["title"] for e in json.loads(cli("list", "--json", data=other)[1])]
    assert sorted(titles) == ["Kickoff", "Pipeline review"]
    hits = json.loads(cli("search", "pipeline", "--words", "--json", data=other)[1])
    assert [h["title"] for h in hits] == ["Pipeline review"]
    # nothing of the journal is readable in the folder
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"Pipeline" not in data and b"Northwind" not in data and b"roadmap" not in data


def test_joining_with_the_recovery_key(cli, folder, other, monkeypatch):
    monkeypatch.delenv("CONFIDANT_PASSPHRASE")   # the first journal opens from the keychain
    out = cli("init")[1]
    recovery = out.split("Recovery key")[1].split()[-1]
    assert cli("log", "--partner", "Contoso", "--title", "Intro call")[0] == 0
    one_error(*cli("sync", "init", str(folder), "--recovery-key"))  # no key given (no TTY)
    monkeypatch.setenv("CONFIDANT_RECOVERY_KEY", recovery)
    code, out, err = cli("sync", "init", str(folder), "--recovery-key")
    assert code == 0, err
    assert "--recovery-key" in out and "recovery key (or set CONFIDANT_RECOVERY_KEY)" in out

    monkeypatch.setenv("CONFIDANT_NEW_PASSPHRASE", "the second device's own")
    code, out, err = cli("sync", "join", str(folder), "--recovery-key", data=other)
    assert code == 0, err
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", "the second device's own")
    assert vaults.uses_passphrase(other)
    assert [e["title"] for e in json.loads(cli("list", "--json", data=other)[1])] == \
        ["Intro call"]


class _Terminal:
    def isatty(self):
        return True


def test_the_secret_is_asked_for_on_a_terminal(cli, folder, other, monkeypatch):
    import getpass
    import sys

    assert cli("init")[0] == 0          # under the passphrase, and kept by the keychain
    assert cli("log", "--partner", "Northwind", "--title", "Kickoff")[0] == 0
    monkeypatch.delenv("CONFIDANT_PASSPHRASE")
    monkeypatch.setattr(sys, "stdin", _Terminal())
    asked = []

    def typed(prompt):
        asked.append(prompt)
        return "a wrong one" if len(asked) == 1 else PASSPHRASE
    monkeypatch.setattr(getpass, "getpass", typed)
    assert "not this journal's passphrase" in one_error(*cli("sync", "init", str(folder)))
    assert cli("sync", "init", str(folder))[0] == 0
    assert asked == ["This journal's passphrase (the other device will type it): "] * 2
    asked[:] = ["skip the wrong one"]
    code, out, err = cli("sync", "join", str(folder), data=other)
    assert code == 0 and "from 1 snapshot(s)" in out, err
    assert asked[1:] == ["The first device's passphrase: "]


def test_a_keychain_only_journal_chooses_the_passphrase_twice(cli, folder, monkeypatch,
                                                              data_dir):
    import getpass
    import sys

    monkeypatch.delenv("CONFIDANT_PASSPHRASE")
    assert cli("init")[0] == 0 and not vaults.uses_passphrase(data_dir)
    monkeypatch.setattr(sys, "stdin", _Terminal())
    answers = iter(["chosen for sync", "chosen for synk", "chosen for sync", "chosen for sync"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(answers))
    assert "differ" in one_error(*cli("sync", "init", str(folder)))
    assert not (folder / "Confidant").exists()
    assert cli("sync", "init", str(folder))[0] == 0
    assert len(journal_dirs(folder)) == 1


def test_status_text_and_json(cli, folder, other):
    assert cli("init")[0] == 0
    assert cli("sync", "status") == (0, "Sync is off.\n", "")
    assert json.loads(cli("sync", "status", "--json")[1])["on"] is False
    first_device(cli, folder, new=False)
    assert cli("sync", "join", str(folder), "--name", "desk", data=other)[0] == 0

    code, out, err = cli("sync", "status", "--json", data=other)
    assert code == 0 and err == ""
    found = json.loads(out)
    assert set(found) == {"on", "folder", "device", "pending", "conflicts", "waiting",
                          "in_trash", "blocked", "devices"}
    assert found["on"] is True and found["folder"] == str(folder.resolve())
    assert found["conflicts"] == 0 and found["blocked"] == ""
    assert {d["name"]: d["this"] for d in found["devices"]} == {"desk": True, "laptop": False}
    assert set(found["devices"][0]) == {"device", "name", "this", "last_seen", "applied",
                                        "waiting_for", "left"}
    laptop = next(d for d in found["devices"] if not d["this"])
    assert laptop["applied"] == 0 and laptop["last_seen"]   # joined from its snapshot

    code, out, _ = cli("sync", "status", data=other)
    lines = out.splitlines()
    assert code == 0 and lines[0] == "Sync: 1 other device(s), all sent."
    assert any("desk" in line and "this device" in line for line in lines)
    assert any("laptop" in line and "segments applied: 0" in line for line in lines)
    assert "Conflicts: 0" in out

    assert cli("log", "--partner", "Northwind", "--title", "Offline edit", data=other)[0] == 0
    code, out, _ = cli("sync", "status", data=other)
    assert "change(s) to send" in out.splitlines()[0]
    assert json.loads(cli("sync", "status", "--json", data=other)[1])["pending"] > 0


def _edit_notes(root, text):
    vault = vaults.open_vault(root)
    try:
        with use_case(vault, write=True) as session:
            (entry,) = journal.list_interactions(session=session)
            journal.update_interaction(session=session, interaction_id=entry.id,
                                       interaction_in={"notes": text})
    finally:
        vault.lock()


def _notes(root):
    vault = vaults.open_vault(root)
    try:
        with use_case(vault) as session:
            (entry,) = journal.list_interactions(session=session)
            return entry.notes
    finally:
        vault.lock()


def _conflicted(cli, folder, other, data_dir, mine: str, theirs: str) -> None:
    """Both devices change the entry's notes before either has seen the other's."""
    both(cli, folder, other)
    _edit_notes(data_dir, mine)
    _edit_notes(other, theirs)
    assert cli("sync", "now")[0] == 0
    assert cli("sync", "now", data=other)[0] == 0


def test_a_conflict_is_listed_and_resolved_on_both(cli, folder, other, data_dir):
    _conflicted(cli, folder, other, data_dir, "Laptop: they want a pilot in May.",
                "Desk: they want the pilot in June.")
    assert cli("sync", "now")[0] == 0

    for root in (data_dir, other):
        found = json.loads(cli("sync", "conflicts", "--json", data=root)[1])
        assert len(found) == 1
        (c,) = found
        assert (c["number"], c["table"], c["field"], c["label"]) == (1, "interaction", "notes",
                                                                     "Kickoff")
        assert {c["current"], *c["others"]} == {"Laptop: they want a pilot in May.",
                                                "Desk: they want the pilot in June."}
    other_text = c["others"][0]   # the desk's list, the last in the loop
    code, out, _ = cli("sync", "conflicts", data=other)
    assert code == 0 and out.startswith("  1. Kickoff (interaction), notes")
    assert f"current: {c['current']}" in out and f"other 1: {other_text}" in out
    code, out, err = cli("sync", "resolve", "1", "--keep", "other", data=other)
    assert code == 0 and out.startswith("Kept the other version of Kickoff's notes"), err
    assert _notes(other) == other_text
    assert cli("sync", "conflicts", data=other)[1] == "No conflicts to review.\n"
    assert cli("sync", "now", data=other)[0] == 0
    assert cli("sync", "now")[0] == 0
    assert json.loads(cli("sync", "conflicts", "--json")[1]) == []
    assert _notes(data_dir) == other_text


def test_leave_stops_sync_here_and_the_others_are_told(cli, folder, other):
    both(cli, folder, other)
    code, out, err = cli("sync", "leave", data=other)
    assert code == 0 and out.startswith("Sync is off for this journal") and err == ""
    assert cli("sync", "status", data=other)[1] == "Sync is off.\n"
    assert [e["title"] for e in json.loads(cli("list", "--json", data=other)[1])] == ["Kickoff"]
    assert "sync init" in one_error(*cli("sync", "now", data=other))
    assert cli("sync", "now")[0] == 0
    devices = json.loads(cli("sync", "status", "--json")[1])["devices"]
    assert {d["name"]: d["left"] for d in devices} == {"laptop": False, "desk": True}


def test_joining_from_an_existing_empty_vault(cli, folder, other):
    first_device(cli, folder)
    assert cli("init", data=other)[0] == 0
    code, out, err = cli("sync", "join", str(folder), data=other)
    assert code == 0 and "Vault created" not in out, err
    assert out.startswith("Joined: 2 row(s) from 1 snapshot(s)")
    assert [e["title"] for e in json.loads(cli("list", "--json", data=other)[1])] == ["Kickoff"]


def test_sync_now_reports_a_refused_file_and_a_gap(cli, folder, other):
    both(cli, folder, other)
    for title in ("Two", "Three"):
        assert cli("log", "--partner", "Northwind", "--title", title)[0] == 0
        assert cli("sync", "now")[0] == 0
    own = next(p for p in journal_dirs(folder)[0].iterdir()
               if p.is_dir() and (p / "00000002.cfs").exists())
    (own / "00000001.cfs").write_bytes(b"not a segment" * 40)
    code, out, err = cli("sync", "now", data=other)
    assert code == 0 and out.startswith("Synced: ")
    refused, waiting = err.splitlines()
    assert refused.startswith(f"confidant: {own.name[:8]}/00000001.cfs is refused")
    assert waiting.startswith("confidant: waiting for segment 1 from laptop")
    assert [e["title"] for e in json.loads(cli("list", "--json", data=other)[1])] == ["Kickoff"]

    (own / "00000001.cfs").unlink()   # the first device writes it again at its next round
    assert cli("sync", "now")[0] == 0
    code, out, err = cli("sync", "now", data=other)
    assert code == 0 and err == "" and "2 applied from other devices" in out
    assert len(json.loads(cli("list", "--json", data=other)[1])) == 3


# --- bad input: one line, exit 1 or 2 --------------------------------------------------------
@pytest.mark.parametrize("action", ["init", "join"])
def test_a_missing_folder_or_a_file_is_refused(cli, folder, other, action):
    assert cli("init")[0] == 0
    data = other if action == "join" else None
    assert "does not exist" in one_error(*cli("sync", action, str(folder / "nope"), data=data))
    a_file = folder / "notes.txt"
    a_file.write_text("x")
    assert "not a folder" in one_error(*cli("sync", action, str(a_file), data=data))
    assert not vaults.exists(other)
    assert cli("sync", "status")[1] == "Sync is off.\n"


def test_a_wrong_passphrase_on_join_creates_no_vault(cli, folder, other, monkeypatch):
    first_device(cli, folder)
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", "not the passphrase")
    err = one_error(*cli("sync", "join", str(folder), data=other))
    assert "does not open this synced journal" in err
    assert not vaults.exists(other) and not other.exists()
    monkeypatch.setenv("CONFIDANT_RECOVERY_KEY", "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    one_error(*cli("sync", "join", str(folder), "--recovery-key", data=other))
    assert not vaults.exists(other)


def test_a_wrong_passphrase_on_init_is_refused(cli, folder, monkeypatch):
    assert cli("init")[0] == 0
    # the vault opens from the keychain; the passphrase given for sync is not the journal's
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", "")
    monkeypatch.setenv("CONFIDANT_RECOVERY_KEY", "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    assert "recovery key" in one_error(*cli("sync", "init", str(folder), "--recovery-key"))
    assert not (folder / "Confidant").exists()
    assert cli("sync", "status")[1] == "Sync is off.\n"


def test_no_secret_at_hand_says_how_to_give_it(cli, folder, other, monkeypatch):
    monkeypatch.delenv("CONFIDANT_PASSPHRASE")
    assert cli("init")[0] == 0   # the keychain holds its key
    assert "CONFIDANT_PASSPHRASE" in one_error(*cli("sync", "init", str(folder)))
    assert "CONFIDANT_RECOVERY_KEY" in one_error(*cli("sync", "init", str(folder),
                                                      "--recovery-key"))
    assert not (folder / "Confidant").exists()
    assert "CONFIDANT_PASSPHRASE" in one_error(*cli("sync", "join", str(folder), data=other))
    assert not vaults.exists(other)


def test_joining_a_journal_that_is_not_empty_changes_nothing(cli, folder, other):
    first_device(cli, folder)
    assert cli("init", data=other)[0] == 0
    assert cli("log", "--partner", "Fabrikam", "--title", "Mine", data=other)[0] == 0
    assert "not empty" in one_error(*cli("sync", "join", str(folder), data=other))
    assert cli("sync", "status", data=other)[1] == "Sync is off.\n"
    assert [e["title"] for e in json.loads(cli("list", "--json", data=other)[1])] == ["Mine"]
    assert len([p for p in journal_dirs(folder)[0].iterdir() if p.is_dir()]) == 1


def test_sync_now_leave_and_resolve_when_sync_is_off(cli):
    assert cli("init")[0] == 0
    assert "Sync is off" in one_error(*cli("sync", "now"))
    assert "already off" in one_error(*cli("sync", "leave"))
    assert "no conflicts to resolve" in one_error(*cli("sync", "resolve", "1", "--keep",
                                                       "current"))
    assert cli("sync", "conflicts")[1] == "No conflicts to review.\n"
    assert "no Trash" in one_error(*cli("sync", "trash"))
    assert "no Trash" in one_error(*cli("sync", "restore", "1"))


def test_no_vault_is_exit_2(cli, tmp_path):
    one_error(*cli("sync", "status", data=tmp_path / "none"), codes=(2,))
    one_error(*cli("sync", "now", data=tmp_path / "none"), codes=(2,))


def test_init_twice_is_refused(cli, folder, tmp_path):
    first_device(cli, folder)
    assert "already on" in one_error(*cli("sync", "init", str(folder)))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert "already on" in one_error(*cli("sync", "init", str(elsewhere)))
    assert len(journal_dirs(folder)) == 1 and not (elsewhere / "Confidant").exists()


@pytest.mark.parametrize("damage", ["garbage", "json", "huge", "folder", "empty"])
def test_a_damaged_key_file_is_refused(cli, folder, other, damage):
    first_device(cli, folder)
    keys = journal_dirs(folder)[0] / "keys.cfk"
    if damage == "garbage":
        keys.write_bytes(b"\xff\xfe\x00 not a key file")
    elif damage == "json":
        keys.write_text('{"format": "confidant-vault/1", "slots": 3}')
    elif damage == "huge":
        keys.write_bytes(b"{" + b" " * (10 * 2**20))
    elif damage == "folder":
        keys.unlink()
        keys.mkdir()
    else:
        keys.write_bytes(b"")
    err = one_error(*cli("sync", "join", str(folder), data=other))
    if damage == "huge":
        assert "too large" in err
    elif damage == "folder":
        assert "No synced Confidant journal" in err
    else:
        assert "keys.cfk" in err
    assert not vaults.exists(other)


def test_a_folder_holding_two_journals_is_refused(cli, folder, other):
    first_device(cli, folder)
    (journal_dir,) = journal_dirs(folder)
    shutil.copytree(journal_dir, journal_dir.with_name(uuid.uuid4().hex))
    assert "2 synced journals" in one_error(*cli("sync", "join", str(folder), data=other))
    assert not vaults.exists(other)


def test_a_folder_with_no_journal_is_refused(cli, folder, other):
    assert "No synced Confidant journal" in one_error(*cli("sync", "join", str(folder),
                                                           data=other))
    assert not vaults.exists(other)


@pytest.mark.parametrize("argv", [
    ("resolve", "7", "--keep", "current"),
    ("resolve", "0", "--keep", "current"),
    ("resolve", "-1", "--keep", "other"),
    ("resolve", "x", "--keep", "other"),
    ("resolve", "99999999999999999999999", "--keep", "other"),
    ("resolve", "1", "--keep", "neither"),
    ("resolve", "1"),
    ("bogus",),
])
def test_resolve_with_a_bad_number(cli, folder, argv):
    first_device(cli, folder, entry=False)
    one_error(*cli("sync", *argv))


def test_resolve_picks_among_the_others(cli, folder, other, data_dir):
    _conflicted(cli, folder, other, data_dir, "One.", "Two.")
    assert json.loads(cli("sync", "status", "--json", data=other)[1])["conflicts"] == 1
    assert "--other goes with --keep other" in one_error(
        *cli("sync", "resolve", "1", "--keep", "current", "--other", "1", data=other))
    assert "--other 1 to 1" in one_error(
        *cli("sync", "resolve", "1", "--keep", "other", "--other", "2", data=other))
    assert "no conflict 2" in one_error(*cli("sync", "resolve", "2", "--keep", "current",
                                             data=other))
    code, out, _ = cli("sync", "resolve", "1", "--keep", "current", "--json", data=other)
    assert code == 1   # resolve takes no --json: a usage error
    assert cli("sync", "resolve", "1", "--keep", "current", data=other)[0] == 0
    assert _notes(other) == "Two."
    assert json.loads(cli("sync", "conflicts", "--json", data=other)[1]) == []


@pytest.mark.parametrize("name", ["two\nlines", "line\u2028separator", "clear\x1b[2J",
                                  "bell\x07", "bidi\u202eevil", "bad\udcffbyte", "   ",
                                  "x" * 61])
def test_odd_device_names_are_refused(cli, folder, other, name):
    assert cli("init")[0] == 0
    err = one_error(*cli("sync", "init", str(folder), "--name", name))
    assert "--name" in err
    assert not (folder / "Confidant").exists()
    assert cli("sync", "status")[1] == "Sync is off.\n"
    one_error(*cli("sync", "join", str(folder), "--name", name, data=other))
    assert not vaults.exists(other)


def test_a_name_from_another_device_is_printed_safely(cli, folder, other):
    """A plain, printable name is kept as given; what status prints stays on its line."""
    first_device(cli, folder, name="Büro – ThinkPad ✓")
    assert cli("sync", "join", str(folder), "--name", "desk", data=other)[0] == 0
    code, out, _ = cli("sync", "status", data=other)
    assert code == 0 and "Büro – ThinkPad ✓" in out
    assert len(out.splitlines()) == 6


def test_the_trash_lists_and_restores_a_deleted_entry(cli, folder, other):
    both(cli, folder, other)
    entry_id = json.loads(cli("list", "--json", data=other)[1])[0]["id"]
    from services import journal
    from services import vault as vault_service
    from services.store import use_case

    vault = vault_service.open_vault(other)
    try:
        with use_case(vault, write=True) as s:
            journal.delete_interaction(session=s, interaction_id=entry_id)
    finally:
        vault.lock()
    code, out, err = cli("sync", "trash", data=other)
    assert code == 0 and err == "" and out.splitlines()[0].startswith("  1. entry Kickoff, deleted")
    assert json.loads(cli("sync", "trash", "--json", data=other)[1])[0]["label"] == "Kickoff"
    assert "no item 2" in one_error(*cli("sync", "restore", "2", data=other))
    code, out, err = cli("sync", "restore", "1", data=other)
    assert code == 0 and out.startswith("Restored Kickoff")
    assert [e["title"] for e in json.loads(cli("list", "--json", data=other)[1])] == ["Kickoff"]
    assert cli("sync", "trash", data=other)[1] == "The Trash is empty.\n"


def test_versions_that_begin_alike_are_shown_where_they_part(cli, folder, other, data_dir):
    common = "Greg pushed back hard on margins and asked for a revised plan. "
    _conflicted(cli, folder, other, data_dir, common + "Laptop: we hold at 12%.",
                common + "Desk: we can go to 15% for two years.")
    assert cli("sync", "now")[0] == 0
    out = cli("sync", "conflicts")[1]
    assert "we hold at 12%" in out and "we can go to 15% for two years" in out
