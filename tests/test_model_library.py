"""The model library: GGUFs checked before llama.cpp sees them and their SHA-256 checked at load,
copies in the data dir, servers only with consent for a remote host, the key never in a plain
file, the recommended list, and the probe's figures kept with the entry."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import main
from services import settings as settings_service
from services.advice import llm, model_holder, model_library
from services.advice.model_probe import probe
from services.errors import InvalidInput, ModelUnavailable
from services.settings import Preferences
from tests.test_hostile_models import tiny_gguf


@pytest.fixture
def cli(cli, monkeypatch):
    """conftest's command line, on a vault made with a passphrase."""
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", "a long test passphrase")
    assert cli("init")[0] == 0
    return cli


def listed(cli) -> dict:
    code, out, _ = cli("models", "list", "--json")
    assert code == 0
    return {e["name"]: e for e in json.loads(out)}


def test_refused_before_llama_cpp_sees_them(tmp_path, session, data_dir, model_dir,
                                            monkeypatch):
    text = tmp_path / "notes.gguf"
    text.write_text("my notes, not a model")
    cut = tmp_path / "cut.gguf"
    with open(llm.bundled_path(model_dir), "rb") as src:
        cut.write_bytes(src.read(5_000_000))
    for path, line in ((text, "not a GGUF"), (cut, "truncated")):
        with pytest.raises(InvalidInput, match=line):
            model_library.add_gguf(session=session, path=path, data_dir=data_dir)
    monkeypatch.setattr(llm, "machine_memory", lambda: 100 * 2**20)
    with pytest.raises(ModelUnavailable, match="needs about"):
        model_library.add_gguf(session=session, path=llm.bundled_path(model_dir),
                               data_dir=data_dir)
    values = settings_service.get_settings(session=session)
    assert [e.name for e in model_library.entries(values)] == ["bundled"]


def test_a_file_changed_after_it_was_added_is_refused_at_load(tmp_path, session, data_dir):
    path = tmp_path / "small.gguf"
    tiny_gguf(path, [])
    entry, facts = model_library.add_gguf(session=session, path=path, data_dir=data_dir)
    assert len(entry.sha256) == 64 and facts.name == "crafted"
    model_library.use(session=session, name=entry.name)
    values = settings_service.get_settings(session=session)
    settings = model_library.settings_for(values, data_dir)
    assert settings.sha256 == entry.sha256 and settings.path == path.resolve()
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF                                  # one bit of the weights, same size
    path.write_bytes(bytes(data))
    holder = model_holder.ModelHolder()
    with pytest.raises(ModelUnavailable, match="no longer matches the SHA-256"):
        holder.for_settings(values, data_dir)
    assert holder.model is None


def test_copy_use_list_and_remove(tmp_path, cli, data_dir):
    path = tmp_path / "Qwen2.5-7B-Instruct-Q4_K_M.gguf"   # a recommended file's name
    tiny_gguf(path, [])
    code, out, err = cli("models", "add", str(path), "--copy", "--name", "qwen")
    assert code == 0 and "copied into the data folder" in out, err
    copy = data_dir / "models" / "qwen.gguf"
    assert copy.read_bytes() == path.read_bytes()
    assert cli("models", "use", "qwen")[0] == 0
    entries = listed(cli)
    assert entries["qwen"]["in_use"] and not entries["bundled"]["in_use"]
    assert entries["qwen"]["recommended"] == "Qwen2.5 7B Instruct"
    assert entries["qwen"]["ram_needed"] > 0 and entries["qwen"]["chat_template"] is False
    code, out, _ = cli("models", "list")
    assert "* qwen" in out and "fits" in out
    code, out, _ = cli("models", "remove", "qwen")
    assert code == 0 and not copy.exists() and path.exists()    # our copy only
    assert listed(cli)["bundled"]["in_use"] and "qwen" not in listed(cli)
    code, _, err = cli("models", "use", "qwen")
    assert code == 1 and "No model named 'qwen'" in err and err.count("\n") == 1
    code, _, err = cli("models", "remove", "bundled")
    assert code == 1 and "stays" in err


def test_servers_need_consent_for_another_host_and_keep_no_key_in_files(cli, data_dir,
                                                                      memory_keyring,
                                                                      monkeypatch):
    code, out, err = cli("models", "add-server", "team", "--url", "http://gpu.example.com:8000",
                         "--model", "llama3.1:8b")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "gpu.example.com is not this machine" in err and "--allow-remote" in err
    assert "team" not in listed(cli)
    code, out, _ = cli("models", "add-server", "team", "--url", "http://gpu.example.com:8000",
                       "--model", "llama3.1:8b", "--allow-remote")
    assert code == 0 and "REMOTE host gpu.example.com" in out
    monkeypatch.setenv("TEAM_KEY", "key-that-must-not-leak")
    code, out, _ = cli("models", "add-server", "box", "--url", "http://127.0.0.1:9/v1",
                       "--model", "m", "--api-key-env", "TEAM_KEY", "--keychain")
    assert code == 0
    assert "key-that-must-not-leak" in memory_keyring.store.values()
    assert not any(b"key-that-must-not-leak" in f.read_bytes()
                   for f in data_dir.rglob("*") if f.is_file())
    entries = listed(cli)
    assert entries["team"]["host"] == "gpu.example.com" and not entries["team"]["loopback"]
    assert entries["box"]["loopback"] and entries["box"]["api_key"] == "keychain"
    assert cli("models", "remove", "box")[0] == 0
    assert "key-that-must-not-leak" not in memory_keyring.store.values()
    code, _, err = cli("models", "add-server", "bad name!", "--url", "http://127.0.0.1:1",
                       "--model", "m")
    assert code == 1 and "name" in err


def test_recommended_models_say_what_to_get():
    models = model_library.recommended()
    titles = {m["title"] for m in models}
    assert {"Qwen2.5 3B Instruct", "Qwen2.5 7B Instruct", "Llama 3.1 8B Instruct",
            "Gemma 3 4B it", "Gemma 3 12B it", "Phi-4 mini instruct (3.8B)"} == titles
    for m in models:
        assert m["file"].endswith(".gguf") and m["size_gb"] > 1 and m["licence"]
        assert m["source"].startswith("https://") and m["ram_gb"] in (8, 16, 32)
        assert m["size_gb"] < m["ram_gb"] / 2 + 1.5


def test_the_default_is_the_bundled_model_in_process(data_dir):
    settings = model_library.settings_for(Preferences(), data_dir)
    assert isinstance(settings, llm.ModelSettings) and settings.path.name == llm.BUNDLED_NAME


def test_probe_measures_this_machine_and_is_kept(local_model, session):
    figures = probe(local_model, max_tokens=8)
    assert figures["prompt_tokens"] > 100 and figures["prompt_tps"] > 0
    assert figures["generation_tps"] > 0 and figures["generated_tokens"] > 0
    model_library.add_server(session=session, name="loop", url="http://127.0.0.1:9",
                             model="m")
    model_library.record_probe(session=session, name="loop", figures=figures)
    entry = model_library.find(settings_service.get_settings(session=session), "loop")
    assert entry.probe["generation_tps"] == figures["generation_tps"] and entry.probe["when"]


# --- the Model dialog ---------------------------------------------------------------------------
def test_the_dialog_lists_adds_uses_and_removes(qtbot, ctx, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from ui.model_dialog import ModelDialog

    path = tmp_path / "small.gguf"
    tiny_gguf(path, [])
    dialog = ModelDialog(ctx)
    qtbot.addWidget(dialog)
    assert dialog.list.accessibleName() == "Model library" and dialog.list.count() == 1
    assert dialog.choose_button.accessibleName() == "Add a GGUF model file"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    dialog.choose()
    qtbot.waitUntil(lambda: dialog.list.count() == 2 and "crafted" in dialog.facts.text(),
                    timeout=10000)
    assert dialog.list.item(1).text().startswith("● small")          # added and chosen
    assert dialog.values()["model_name"] == "small"
    dialog.list.setCurrentRow(0)
    dialog.use()
    qtbot.waitUntil(lambda: dialog.list.item(0).text().startswith("●"), timeout=5000)
    assert dialog.values()["model_name"] == "" and dialog.values()["model_path"] == ""
    dialog.list.setCurrentRow(1)
    dialog.remove()
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=5000)


def test_the_dialog_asks_before_a_remote_server_and_shows_the_request(qtbot, ctx, vault,
                                                                      monkeypatch):
    """Nothing is sent (the suite's socket guard would refuse it): the request is shown."""
    from PySide6.QtWidgets import QDialog, QPlainTextEdit

    from services.journal import demo
    from services.store import use_case
    from ui import server_dialog
    from ui.model_dialog import ModelDialog

    with use_case(vault, write=True) as s:
        demo.load_sample(session=s)
    asked: list[str] = []
    answers = iter([False, True])
    monkeypatch.setattr(server_dialog, "confirm_remote",
                        lambda parent, host: asked.append(host) or next(answers))

    def filled(name):
        def run(self):
            self.name.setText(name)
            self.url.setText("http://gpu.example.com:8000/v1")
            self.model.setText("llama3.1:8b")
            self.check()
            return self.result()
        return run

    dialog = ModelDialog(ctx)
    qtbot.addWidget(dialog)
    monkeypatch.setattr(server_dialog.ServerDialog, "exec", filled("team"))
    dialog.add_server()                                # declined: not added
    assert asked == ["gpu.example.com"] and dialog.list.count() == 1
    dialog.add_server()                                # allowed, naming the host
    qtbot.waitUntil(lambda: dialog.list.count() == 2, timeout=5000)
    assert asked == ["gpu.example.com"] * 2 and "gpu.example.com" in dialog.list.item(1).text()
    dialog.list.setCurrentRow(1)
    qtbot.waitUntil(lambda: "another machine" in dialog.facts.text(), timeout=5000)
    dialog.show_request()
    qtbot.waitUntil(lambda: getattr(dialog, "request_view", None) is not None, timeout=10000)
    text = dialog.request_view.findChild(QPlainTextEdit).toPlainText()
    assert text.startswith("POST http://gpu.example.com:8000/v1/chat/completions")
    assert '"model": "llama3.1:8b"' in text and "Partner:" in text
    assert isinstance(dialog.request_view, QDialog)


# --- random input: exit 0, 1 or 2, one line, never a traceback ----------------------------------
TEXT = st.text(max_size=30)


def _models_argv():
    url = st.one_of(TEXT, st.builds(lambda h, p: f"http://{h}:{p}/v1", TEXT,
                                    st.integers(-5, 70000)))
    return st.one_of(
        st.tuples(st.just("add"), TEXT).map(list),
        st.tuples(st.just("add-server"), TEXT, st.just("--url"), url, st.just("--model"), TEXT,
                  st.sampled_from([[], ["--allow-remote"], ["--api-key-env", "X Y"]]))
        .map(lambda t: list(t[:-1]) + t[-1]),
        st.tuples(st.sampled_from(["use", "remove", "probe", "show-request"]), TEXT).map(
            lambda t: list(t) + (["--partner", "x"] if t[0] == "show-request" else [])))


def test_random_model_commands_never_trace(cli, data_dir):
    """Each example opens the vault with its passphrase (scrypt): a few dozen, not hundreds."""
    @settings(max_examples=15, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(argv=_models_argv())
    def check(argv):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main.main(["--data-dir", str(data_dir), "models", *argv])
        assert code in (0, 1, 2), (argv, code)
        assert "Traceback" not in err.getvalue()
        if code:
            assert len(err.getvalue().strip().splitlines()) == 1, (argv, err.getvalue())

    check()

