"""Found on this computer (issue 21, item 4): the GGUFs that LM Studio, GPT4All, Jan and Ollama
installed and the OpenAI-compatible servers on 127.0.0.1, in their known places only; one added
is referenced where it is and checked like any other file. The boundaries faked are the home
folder (a tmp_path tree) and the ports (a real HTTP server on an ephemeral loopback port)."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services import settings as settings_service
from services.advice import model_discovery, model_library
from services.errors import InvalidInput
from tests.test_hostile_models import tiny_gguf

BLOB = "ab" * 32


# --- the boundaries: a fake server (loopback_only, the socket guard, is in conftest) -------------
def serve(answer):
    """An HTTP server on 127.0.0.1 at an ephemeral port; answer(path) -> (status, headers,
    body). Returns (server, port, the paths asked)."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            status, headers, body = answer(self.path)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1], asked


def models_answer(*ids):
    body = json.dumps({"object": "list", "data": [{"id": i, "object": "model"} for i in ids]})
    return lambda path: ((200, {"Content-Type": "application/json"}, body.encode())
                         if path == "/v1/models" else (404, {}, b""))


@pytest.fixture
def lm_server(loopback_only):
    server, port, asked = serve(models_answer("qwen2.5-7b-instruct", "text-embedding-x"))
    yield port, asked
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- a home folder with each tool's models, and models elsewhere ------------------------------
@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    lms = home / ".lmstudio" / "models" / "lmstudio-community" / "Qwen2.5-GGUF"
    lms.mkdir(parents=True)
    tiny_gguf(lms / "qwen2.5-7b-q4.gguf", [])
    tiny_gguf(lms / "mmproj-qwen2.5-f16.gguf", [])                # a vision projector
    (lms / "notes.gguf").write_text("not a model")                # the name, not the magic
    (lms / "README.md").write_text("a model card")
    deep = home / ".lmstudio" / "models" / "a" / "b" / "c" / "d"
    deep.mkdir(parents=True)
    tiny_gguf(deep / "too-deep.gguf", [])                         # 5 folders down
    gpt4all = home / ".local" / "share" / "nomic.ai" / "GPT4All"
    gpt4all.mkdir(parents=True)
    tiny_gguf(gpt4all / "orca-mini.gguf", [])
    ollama = home / ".ollama" / "models"
    (ollama / "blobs").mkdir(parents=True)
    tiny_gguf(ollama / "blobs" / f"sha256-{BLOB}", [])
    manifest = ollama / "manifests" / "registry.ollama.ai" / "library" / "llama3.2"
    manifest.mkdir(parents=True)
    layers = [{"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "cd" * 32},
              {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{BLOB}"}]
    (manifest / "3b").write_text(json.dumps({"schemaVersion": 2, "layers": layers}))
    downloads = home / "Downloads"                                 # not a known place
    downloads.mkdir()
    tiny_gguf(downloads / "stray.gguf", [])
    (ollama / "blobs" / f"sha256-{'ef' * 32}").symlink_to(downloads / "stray.gguf")
    for tag, digest in (("linked", "sha256:" + "ef" * 32),        # a blob leading out
                        ("climbs", "sha256:../../../Downloads/stray.gguf")):
        layer = {"mediaType": "application/vnd.ollama.image.model", "digest": digest}
        (manifest / tag).write_text(json.dumps({"layers": [layer]}))
    (manifest / "broken").write_text("{not json")
    links = home / ".lmstudio" / "models" / "links"
    links.mkdir()
    (links / "linked.gguf").symlink_to(downloads / "stray.gguf")   # leads out: not followed
    (links / "elsewhere").symlink_to(downloads, target_is_directory=True)
    return home


def look(home, ports=None, **more):
    return model_discovery.discover(home=home, env=more.pop("env", {}),
                                    platform=more.pop("platform", "linux"),
                                    ports=ports or {}, **more)


def test_finds_each_tool_in_its_known_places_only(home):
    found = look(home)
    got = {(f.kind, f.source, f.name, f.path) for f in found}
    lms = home / ".lmstudio" / "models" / "lmstudio-community" / "Qwen2.5-GGUF"
    assert got == {
        ("file", "LM Studio", "qwen2.5-7b-q4.gguf", str(lms / "qwen2.5-7b-q4.gguf")),
        ("file", "GPT4All", "orca-mini.gguf",
         str(home / ".local" / "share" / "nomic.ai" / "GPT4All" / "orca-mini.gguf")),
        ("file", "Ollama", "llama3.2:3b (Ollama)",
         str(home / ".ollama" / "models" / "blobs" / f"sha256-{BLOB}")),
    }
    assert all(f.size == (lms / "qwen2.5-7b-q4.gguf").stat().st_size for f in found)
    assert not any(f.in_library for f in found)


def test_each_platform_and_variable_names_its_own_folders(home, tmp_path):
    mac = home / "Library" / "Application Support" / "nomic.ai" / "GPT4All"
    mac.mkdir(parents=True)
    tiny_gguf(mac / "mac-only.gguf", [])
    jan = tmp_path / "roaming" / "Jan" / "data" / "llamacpp" / "models" / "gemma"
    jan.mkdir(parents=True)
    tiny_gguf(jan / "model.gguf", [])
    moved = tmp_path / "ollama-elsewhere"
    (moved / "blobs").mkdir(parents=True)
    (home / ".ollama" / "models" / "manifests").rename(moved / "manifests")
    (home / ".ollama" / "models" / "blobs" / f"sha256-{BLOB}").rename(
        moved / "blobs" / f"sha256-{BLOB}")

    def names(**more):
        return {(f.source, f.name) for f in look(home, **more)}

    assert ("GPT4All", "mac-only.gguf") in names(platform="darwin")
    assert ("GPT4All", "mac-only.gguf") not in names(platform="linux")
    assert ("GPT4All", "orca-mini.gguf") not in names(platform="darwin")
    assert ("Jan", "model.gguf") in names(platform="win32",
                                          env={"APPDATA": str(tmp_path / "roaming")})
    assert ("Jan", "model.gguf") not in names(platform="win32")
    assert ("Ollama", "llama3.2:3b (Ollama)") not in names()
    assert ("Ollama", "llama3.2:3b (Ollama)") in names(env={"OLLAMA_MODELS": str(moved)})
    assert ("Ollama", "llama3.2:3b (Ollama)") not in names(env={"OLLAMA_MODELS": "relative"})


def test_a_walk_reads_at_most_2000_entries(tmp_path):
    """2,000 entries in all, folders included, however they are spread; which ones depends on
    the file system's order, how many does not."""
    root = tmp_path / ".lmstudio" / "models"
    for folder in range(30):
        (root / f"f{folder:02}").mkdir(parents=True)
        for n in range(70):
            (root / f"f{folder:02}" / f"m{n:02}.gguf").write_bytes(b"GGUF")   # the magic
    assert len(look(tmp_path)) == model_discovery.MAX_ENTRIES - 30


# --- servers ----------------------------------------------------------------------------------
def test_servers_on_loopback_answer_with_their_models(home, lm_server, loopback_only):
    port, asked = lm_server
    dead = closed_port()
    found = look(home, ports={port: "LM Studio", dead: "Ollama"})
    servers = [(f.source, f.url, f.model) for f in found if f.kind == "server"]
    assert servers == [("LM Studio", f"http://127.0.0.1:{port}/v1", "qwen2.5-7b-instruct"),
                       ("LM Studio", f"http://127.0.0.1:{port}/v1", "text-embedding-x")]
    assert asked == ["/v1/models"] and loopback_only == []


@pytest.mark.parametrize("answer", [
    lambda path: (302, {"Location": "http://example.com/v1/models"}, b""),
    lambda path: (200, {}, json.dumps({"data": [{"id": "x" * 300_000}]}).encode()),
    lambda path: (200, {}, b"<html>a web page</html>"),
    lambda path: (200, {}, json.dumps({"data": [{"id": "a\nb"}, {"id": 5}]}).encode()),
])
def test_a_redirect_a_flood_or_garbage_is_no_server(answer, loopback_only):
    server, port, asked = serve(answer)
    try:
        assert model_discovery.find_servers({port: "llama-server"}) == []
    finally:
        server.shutdown()
        server.server_close()
    assert asked == ["/v1/models"] and loopback_only == []


# --- adding: referenced where it is, checked like any other -----------------------------------
def test_adding_a_found_file_references_it(home, session, data_dir, lm_server):
    port, _ = lm_server
    found = look(home, ports={port: "LM Studio"})
    lms = next(f for f in found if f.source == "LM Studio" and f.kind == "file")
    entry = model_discovery.add_found(session=session, found=lms, data_dir=data_dir)
    assert entry.path == lms.path and not entry.copied and len(entry.sha256) == 64
    assert entry.name == "qwen2.5-7b-q4"
    assert not list(data_dir.rglob("*.gguf"))                      # nothing copied
    ollama = next(f for f in found if f.source == "Ollama")
    assert model_discovery.add_found(session=session, found=ollama,
                                     data_dir=data_dir).name == "llama3.2-3b"
    server = next(f for f in found if f.kind == "server")
    added = model_discovery.add_found(session=session, found=server, data_dir=data_dir)
    assert (added.kind, added.url, added.model) == ("server", server.url, server.model)
    values = settings_service.get_settings(session=session)
    assert [e.path or e.url for e in model_library.entries(values)[1:]] == \
        [lms.path, ollama.path, server.url]
    again = {f.name: f.in_library for f in look(home, ports={port: "LM Studio"}, values=values)}
    assert again == {"qwen2.5-7b-q4.gguf": True, "orca-mini.gguf": False,
                     "llama3.2:3b (Ollama)": True, "qwen2.5-7b-instruct": True,
                     "text-embedding-x": False}


def test_a_found_file_is_checked_as_any_other(home, session, data_dir):
    found = next(f for f in look(home) if f.source == "GPT4All")
    with open(found.path, "r+b") as fh:                            # cut after the magic
        fh.truncate(64)
    with pytest.raises(InvalidInput, match="truncated|not a GGUF|cut"):
        model_discovery.add_found(session=session, found=found, data_dir=data_dir)
    values = settings_service.get_settings(session=session)
    assert [e.name for e in model_library.entries(values)] == ["bundled"]


# --- the command line and the dialog ------------------------------------------------------------
@pytest.fixture
def this_home(home, monkeypatch, lm_server):
    """The real default places, pointed at the tmp home and the fake server's port."""
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_DATA_HOME", "OLLAMA_MODELS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(model_discovery, "OLLAMA_SERVICE", home / "no-service")
    monkeypatch.setattr(model_discovery, "PORTS", {lm_server[0]: "LM Studio"})
    return home


def test_found_and_add_found_on_the_command_line(cli, this_home, monkeypatch, data_dir):
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", "a long test passphrase")
    assert cli("init")[0] == 0
    code, out, err = cli("models", "found", "--json")
    assert code == 0, err
    found = json.loads(out)
    assert [f["source"] for f in found] == ["LM Studio", "GPT4All", "Ollama", "LM Studio",
                                            "LM Studio"]
    assert "Downloads" not in out
    code, out, err = cli("models", "found")
    assert code == 0 and "  1. qwen2.5-7b-q4.gguf — LM Studio" in out
    assert "add with 'models add-found 3'" in out
    code, out, err = cli("models", "add-found", "3")
    assert code == 0 and "Added llama3.2-3b from Ollama" in out, err
    code, out, _ = cli("models", "found")
    assert "llama3.2:3b (Ollama) — Ollama" in out and "(in the library)" in out
    code, _, err = cli("models", "add-found", "9")
    assert code == 1 and "no number 9" in err
    code, out, _ = cli("models", "list", "--json")
    paths = [e.get("path") for e in json.loads(out)]
    assert found[2]["path"] in paths


def test_the_dialog_looks_when_asked_and_adds_one(qtbot, ctx, this_home, lm_server):
    from PySide6.QtCore import Qt

    from ui.model_dialog import ModelDialog

    dialog = ModelDialog(ctx)
    qtbot.addWidget(dialog)
    ctx.tasks.wait()
    assert lm_server[1] == [] and dialog.found.list.count() == 0   # nothing at opening
    dialog.tabs.setCurrentWidget(dialog.found)
    qtbot.waitUntil(lambda: dialog.found.list.count() == 5, timeout=10000)
    texts = [dialog.found.list.item(i).text() for i in range(5)]
    assert texts[0].startswith("qwen2.5-7b-q4.gguf — LM Studio")
    assert texts[3] == (f"qwen2.5-7b-instruct — LM Studio server at "
                        f"http://127.0.0.1:{lm_server[0]}/v1")
    assert lm_server[1] == ["/v1/models"]
    dialog.found.list.setCurrentRow(0)
    qtbot.mouseClick(dialog.found.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list.count() == 2, timeout=10000)
    qtbot.waitUntil(lambda: "(in the library)" in dialog.found.list.item(0).text(),
                    timeout=5000)
    assert "Added qwen2.5-7b-q4" in dialog.found.status.text()
    assert not dialog.found.add_button.isEnabled()
    entry = dialog.library[1]
    assert entry.path == str(this_home / ".lmstudio" / "models" / "lmstudio-community"
                             / "Qwen2.5-GGUF" / "qwen2.5-7b-q4.gguf")
    assert dialog.list.currentItem().text().endswith(entry.path)
