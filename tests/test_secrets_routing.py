"""Secrets go only where they were meant to (issue 18, items 9 and 10).

A model server's API key may not come from one of Confidant's own variables (CONFIDANT_*), nor
be the vault's passphrase or recovery key, however it arrives (a variable, the keychain) and
whenever it is checked (when the server is added, and each time the key is about to be sent:
the passphrase in use need not be in the environment). Refusals name the variable, never the
value, and the server receives nothing. And onnxruntime, on the voice path, writes no telemetry
file with a device id."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services import settings as settings_service
from services import vault as vaults
from services.advice import model_library, server_secrets
from services.advice.server_model import ServerModel
from services.errors import InvalidInput, ServerFailed
from services.store import use_case
from tests.model_servers import FakeServer
from tests.voice_support import model_folder, share_model, speak

PASSPHRASE = "correct-horse-1"
ROOT = Path(__file__).resolve().parent.parent
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def server():
    fake = FakeServer("ok")
    yield fake
    fake.close()


@pytest.fixture
def cli(cli, monkeypatch):
    """conftest's command line on a sample journal opened with CONFIDANT_PASSPHRASE."""
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("SERVER_KEY", raising=False)
    assert cli("init")[0] == 0 and cli("demo")[0] == 0
    return cli


def one_line_naming(err: str, *names: str) -> None:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert all(name in err for name in names), err
    assert PASSPHRASE not in err


def entries(cli) -> list[str]:
    import json

    code, out, _ = cli("models", "list", "--json")
    return [e["name"] for e in json.loads(out)]


# --- when the server is added ------------------------------------------------------------------
@pytest.mark.timeout(60)
@pytest.mark.parametrize("variable", ["CONFIDANT_PASSPHRASE", "CONFIDANT_NEW_PASSPHRASE"])
@pytest.mark.parametrize("keychain", [[], ["--keychain"]])
def test_our_own_variable_is_refused_when_added(variable, keychain, cli, server, monkeypatch,
                                                memory_keyring):
    monkeypatch.setenv(variable, PASSPHRASE)
    code, out, err = cli("models", "add-server", "s", "--url", server.url, "--model", "m",
                         "--api-key-env", variable, *keychain)
    assert code == 1 and PASSPHRASE not in out
    one_line_naming(err, variable)
    assert entries(cli) == ["bundled"] and PASSPHRASE not in str(vars(memory_keyring))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("keychain", [[], ["--keychain"]])
def test_a_variable_holding_the_passphrase_is_refused_when_added(keychain, cli, server,
                                                                 monkeypatch, memory_keyring):
    monkeypatch.setenv("SERVER_KEY", PASSPHRASE)
    code, out, err = cli("models", "add-server", "s", "--url", server.url, "--model", "m",
                         "--api-key-env", "SERVER_KEY", *keychain)
    assert code == 1 and PASSPHRASE not in out
    one_line_naming(err, "SERVER_KEY")
    assert entries(cli) == ["bundled"] and PASSPHRASE not in str(vars(memory_keyring))


# --- when the key is about to be sent ----------------------------------------------------------
@pytest.mark.timeout(60)
def test_an_entry_naming_our_variable_sends_nothing(cli, server, data_dir,
                                                    loopback_only):  # noqa: F811
    """An entry added before the rule (or edited by hand) is refused when advice is asked."""
    vault = vaults.open_vault(data_dir)
    try:
        with use_case(vault, write=True) as s:
            settings_service.save_settings(session=s, values={"model_library": [
                {"name": "s", "kind": "server", "url": server.url, "model": "m",
                 "api_key_env": "CONFIDANT_PASSPHRASE"}], "model_name": "s"})
    finally:
        vault.lock()
    code, out, err = cli("advise", "--partner", "Northwind")
    assert code == 1 and "Angles for Northwind Cloud" in out and PASSPHRASE not in out
    one_line_naming(err, "CONFIDANT_PASSPHRASE")
    assert server.headers == []                       # not even a request
    assert loopback_only == []


@pytest.mark.timeout(60)
def test_the_key_is_checked_again_each_time_it_is_sent(cli, server, monkeypatch,
                                                       loopback_only):  # noqa: F811
    monkeypatch.setenv("SERVER_KEY", "sk-local-test")
    assert cli("models", "add-server", "s", "--url", server.url, "--model", "m",
               "--api-key-env", "SERVER_KEY")[0] == 0
    assert cli("models", "use", "s")[0] == 0
    assert cli("advise", "--partner", "Northwind", "--max-tokens", "8")[0] == 0
    assert [h["Authorization"] for h in server.headers] == ["Bearer sk-local-test"]
    monkeypatch.setenv("SERVER_KEY", PASSPHRASE)        # the variable changed since
    code, out, err = cli("advise", "--partner", "Northwind", "--max-tokens", "8")
    assert code == 1 and PASSPHRASE not in out
    one_line_naming(err, "SERVER_KEY", "CONFIDANT_PASSPHRASE")
    assert len(server.headers) == 1                   # nothing more was sent
    assert loopback_only == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize("disguised", [PASSPHRASE + " ", PASSPHRASE + "\t", "Bearer " + PASSPHRASE,
                                       "  bearer  " + PASSPHRASE, "x" + PASSPHRASE + "y"])
def test_the_passphrase_in_disguise_is_not_sent(disguised, cli, server, monkeypatch,
                                                loopback_only):  # noqa: F811
    """Found by the attack rerun: a trailing space or tab, or a 'Bearer ' typed in, got the
    passphrase past an exact comparison. What is checked is now exactly what would be sent."""
    monkeypatch.setenv("SERVER_KEY", "sk-local-test")
    assert cli("models", "add-server", "s", "--url", server.url, "--model", "m",
               "--api-key-env", "SERVER_KEY")[0] == 0
    assert cli("models", "use", "s")[0] == 0
    monkeypatch.setenv("SERVER_KEY", disguised)
    code, _, err = cli("advise", "--partner", "Northwind", "--max-tokens", "8")
    assert code == 1 and "SERVER_KEY" in err and PASSPHRASE not in err, err
    assert server.headers == []                       # nothing was sent
    monkeypatch.setenv("SERVER_KEY", " Bearer sk-local-test ")  # a sloppy but honest key
    assert cli("advise", "--partner", "Northwind", "--max-tokens", "8")[0] == 0
    assert [h["Authorization"] for h in server.headers] == ["Bearer sk-local-test"]


@pytest.fixture
def unlocked(data_dir, monkeypatch):
    """A vault opened with a passphrase typed in, not taken from the environment."""
    monkeypatch.delenv("CONFIDANT_PASSPHRASE", raising=False)
    created = vaults.create_vault(data_dir, passphrase=PASSPHRASE)
    yield created
    created.vault.lock()


def server_settings(vault, data_dir, server, **entry):
    with use_case(vault, write=True) as s:
        model_library.add_server(session=s, name="s", url=server.url, model="m", **entry)
        values = settings_service.get_settings(session=s)
    return model_library.settings_for(values, data_dir, "s")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("secret", ["passphrase", "recovery key"])
def test_the_vaults_own_secrets_are_refused_from_anywhere(secret, unlocked, data_dir, server,
                                                          monkeypatch, memory_keyring,
                                                          loopback_only):  # noqa: F811
    value = PASSPHRASE if secret == "passphrase" else unlocked.recovery_key
    vault = unlocked.vault
    # when added: from a variable, or typed for the keychain
    monkeypatch.setenv("SERVER_KEY", value)
    for entry in ({"api_key_env": "SERVER_KEY"}, {"key_in_keychain": True, "key": value}):
        with pytest.raises(InvalidInput, match="passphrase or recovery key") as caught:
            with use_case(vault, write=True) as s:
                model_library.add_server(session=s, name="s", url=server.url, model="m",
                                         data_dir=data_dir, **entry)
        assert value not in str(caught.value)
    # when sent: the variable changed after it was added; the keychain holds it
    monkeypatch.setenv("SERVER_KEY", "sk-local-test")
    settings = server_settings(vault, data_dir, server, api_key_env="SERVER_KEY")
    monkeypatch.setenv("SERVER_KEY", value)
    with pytest.raises(ServerFailed, match="SERVER_KEY holds the vault's passphrase") as caught:
        ServerModel(settings).generate(messages=MESSAGES)
    assert value not in str(caught.value) and "\n" not in str(caught.value)
    server_secrets.store_key("k", value)
    with use_case(vault, write=True) as s:
        model_library.add_server(session=s, name="k", url=server.url, model="m",
                                 key_in_keychain=True)
        keyed = model_library.settings_for(settings_service.get_settings(session=s), data_dir,
                                           "k")
    with pytest.raises(ServerFailed, match="in the keychain holds the vault's passphrase"):
        ServerModel(keyed).generate(messages=MESSAGES)
    assert server.headers == [] and loopback_only == []


# --- onnxruntime's telemetry (item 10) ---------------------------------------------------------
# onnxruntime 1.32 stays quiet by itself under these (CI systems, its own unit tests); they are
# removed so that the test shows Confidant's own setting at work on any machine
QUIET_ANYWAY = ("CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "TRAVIS",
                "JENKINS_URL", "CODEBUILD_BUILD_ID", "BUILDKITE", "TEAMCITY_VERSION", "APPVEYOR",
                "BITBUCKET_BUILD_NUMBER", "ORT_RUNNING_UNIT_TESTS", "ORT_DISABLE_TELEMETRY")


@pytest.mark.timeout(240)
def test_transcribing_writes_no_onnxruntime_telemetry(tmp_path, tmp_path_factory, data_dir,
                                                      monkeypatch):
    """`confidant transcribe` in a process of its own (onnxruntime decides once a process),
    with HOME in tmp_path: its voice filter (Silero VAD) runs, and no file appears under
    ~/.cache/Microsoft/DeveloperTools/.onnxruntime (a device id and onnxruntime.db before)."""
    monkeypatch.delenv("CONFIDANT_PASSPHRASE", raising=False)
    vaults.create_vault(data_dir, passphrase=PASSPHRASE).vault.lock()
    share_model(data_dir, model_folder(tmp_path_factory))
    memo = speak("Call Dana about the renewal on Friday.", tmp_path / "memo.wav")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in QUIET_ANYWAY and k != "XDG_CACHE_HOME"}
    env |= {"HOME": str(home), "CONFIDANT_PASSPHRASE": PASSPHRASE,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--data-dir", str(data_dir),
                           "transcribe", str(memo)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=200)
    assert done.returncode == 0 and "renewal" in done.stdout, done.stderr
    written = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    assert written == [], written     # nothing at all in HOME, let alone its cache
