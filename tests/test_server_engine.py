"""The server engine, for real: llama-cpp-python's own OpenAI-compatible server on 127.0.0.1 with
the bundled model (given a chat template), started once per session; the advice path through it
(streaming, Stop, the grounding check, citations, saving); every fault as one line; and no
socket at all for a host the user did not allow."""

from __future__ import annotations

import functools
import json
import re
import socket

import pytest

import main
from services import journal
from services import settings as settings_service
from services.advice import advisor, llm, model_holder, model_library
from services.advice.advice_writer import STOPPED
from services.advice.server_model import ServerModel, ServerSettings, is_loopback, parse_url
from services.errors import InvalidInput, ServerFailed
from services.journal import demo
from services.store import use_case
from tests.gguf_chat import GEMMA3_CHAT_TEMPLATE
from tests.model_servers import (
    ALIAS,
    FakeServer,
    LlamaServer,
    free_port,
    with_chat_template,
)


# --- the server (the loopback guard, loopback_only, is in conftest) ------------------------------
@pytest.fixture(scope="session")
def llama_server(model_dir, tmp_path_factory):
    path = with_chat_template(llm.bundled_path(model_dir),
                              tmp_path_factory.mktemp("server-model") / "gemma-chat.gguf",
                              GEMMA3_CHAT_TEMPLATE)
    server = LlamaServer(path)
    yield server
    server.stop()


def server_settings(url: str, **kw) -> ServerSettings:
    return ServerSettings(name="srv", url=url, model=kw.pop("model", ALIAS), temperature=0.0,
                          max_tokens=kw.pop("max_tokens", 48), context_length=2048, **kw)


@pytest.fixture
def northwind(vault):
    with use_case(vault, write=True) as s:
        demo.load_sample(session=s)
        partner = journal.resolve_partner(session=s, name="Northwind Cloud")
    return vault, partner


def use_server(vault, url: str, name: str = "srv", max_tokens: int = 32, **kw) -> None:
    with use_case(vault, write=True) as s:
        model_library.add_server(session=s, name=name, url=url, model=ALIAS, **kw)
        model_library.use(session=s, name=name)
        settings_service.save_settings(session=s, values={"temperature": 0.0,
                                                          "max_tokens": max_tokens})


def ask(vault, partner, data_dir, **listen):
    """Written in a read, saved (when a sentence passed) in a write of its own, as the app."""
    holder = model_holder.ModelHolder()
    request = advisor.AdviceRequest(partner_id=partner.id, kind="trust")
    with use_case(vault) as s:
        values = settings_service.get_settings(session=s)
        try:
            result = advisor.advise(session=s, request=request,
                                    model_source=lambda: holder.for_settings(values, data_dir),
                                    listener=advisor.AdviceListener(**listen))
        finally:
            holder.close()
    if result.text:
        with use_case(vault, write=True) as s:
            advisor.save_advice(session=s, request=request, result=result)
    return result


# --- a real server ------------------------------------------------------------------------------
def test_streams_and_stops_through_the_real_server(llama_server, loopback_only):
    model = ServerModel(server_settings(llama_server.url))
    assert model.is_instruct and model.name == ALIAS          # loopback: no host in the name
    pieces: list[str] = []
    messages = [{"role": "user", "content": "Name three colours."}]
    whole = model.generate(messages=messages, max_tokens=16, on_token=pieces.append)
    assert whole.text == "".join(pieces) and whole.completion_tokens == len(pieces) > 3
    assert not whole.stopped and whole.first_token_seconds is not None
    seen: list[str] = []
    cut = model.generate(messages=messages, max_tokens=200, on_token=seen.append,
                         should_stop=lambda: len(seen) >= 3)
    assert cut.stopped and len(seen) == 3
    assert loopback_only == []


def test_advice_through_the_server_is_checked_cited_and_saved(llama_server, loopback_only,
                                                              northwind, data_dir):
    vault, partner = northwind
    use_server(vault, llama_server.url)
    parts = []
    result = ask(vault, partner, data_dir, part=parts.append)
    assert result.model == ALIAS and result.timing.generations and result.parts == parts
    assert result.prompt.ids and set(result.cited) <= result.prompt.ids   # citations checked
    kept = [p.text for p in result.parts if p.kept]
    for text in kept:
        assert text in (result.text or "")
    assert all(p.reason for p in result.parts if not p.kept)             # each withheld says why
    with use_case(vault) as s:
        saved = advisor.list_advice(session=s, partner_id=partner.id)
        if result.text:
            assert [a.id for a in saved] == [result.advice_id] and saved[0].model == ALIAS
            assert sorted(advisor.citations(session=s, advice_id=saved[0].id)) == \
                sorted(result.cited)
        else:
            assert saved == []
    assert loopback_only == []


def test_stop_through_the_server_saves_no_fragment(llama_server, loopback_only, northwind,
                                                   data_dir, monkeypatch):
    """Stop pressed after the server's fifth token: the stream ends there, the sentence being
    written is withheld as a fragment, nothing of it is saved."""
    vault, partner = northwind
    use_server(vault, llama_server.url)
    raw: list[str] = []
    original = ServerModel.generate

    def counting(self, **kw):
        on_token = kw["on_token"]
        kw["on_token"] = lambda piece: (raw.append(piece), on_token(piece))
        return original(self, **kw)

    monkeypatch.setattr(ServerModel, "generate", counting)
    result = ask(vault, partner, data_dir, stopped=lambda: len(raw) >= 5)
    assert result.stopped and len(raw) == 5
    fragments = [p for p in result.parts if p.reason == STOPPED]
    assert all(p.text not in (result.text or "") for p in fragments)
    assert result.text is not None or fragments
    with use_case(vault) as s:
        assert bool(advisor.list_advice(session=s, partner_id=partner.id)) == bool(result.text)


# --- faults: one line each, nothing saved, the angles still there -------------------------------
@pytest.mark.parametrize(("mode", "line"), [
    ("500", "answered HTTP 500"),
    ("401", "refused the API key (HTTP 401)"),
    ("garbage", "not a chat stream (invalid JSON)"),
    ("stall", "sent nothing for 0.5 s"),
    ("drop", "broke off the connection"),
])
def test_each_fault_is_one_line_and_nothing_is_saved(mode, line, loopback_only, northwind,
                                                     data_dir, monkeypatch):
    vault, partner = northwind
    fake = FakeServer(mode)
    try:
        model = ServerModel(server_settings(fake.url, read_timeout=0.5))
        with pytest.raises(ServerFailed) as caught:
            model.generate(messages=[{"role": "user", "content": "hi"}])
        assert line in str(caught.value) and "\n" not in str(caught.value)
        use_server(vault, fake.url)
        monkeypatch.setattr(model_library, "ServerSettings",
                            functools.partial(ServerSettings, read_timeout=0.5))
        angles = []
        with pytest.raises(ServerFailed, match=re.escape(line)):
            ask(vault, partner, data_dir, angles=angles.extend)
        assert angles                                    # the angles came first, and stand
        with use_case(vault) as s:
            assert advisor.list_advice(session=s, partner_id=partner.id) == []
    finally:
        fake.close()
    assert loopback_only == []


def test_a_server_that_is_down_is_one_line(loopback_only):
    port = free_port()                                   # nobody listens there
    with pytest.raises(ServerFailed, match="refused the connection: is it running"):
        ServerModel(server_settings(f"http://127.0.0.1:{port}/v1")).generate(
            messages=[{"role": "user", "content": "hi"}])


def test_cli_advise_with_a_failing_server_prints_angles_then_one_line(cli_dir, capsys,
                                                                      loopback_only):
    fake = FakeServer("500")
    try:
        run(cli_dir, capsys, "models", "add-server", "srv", "--url", fake.url, "--model", ALIAS)
        run(cli_dir, capsys, "models", "use", "srv")
        code, out, err = run(cli_dir, capsys, "advise", "--partner", "Northwind")
    finally:
        fake.close()
    assert code == 1 and "Angles for Northwind Cloud" in out
    assert err.strip().count("\n") == 0 and "HTTP 500" in err and "Traceback" not in err


def test_cli_advise_json_with_a_failing_server_keeps_the_angles(cli_dir, capsys,
                                                                loopback_only):  # noqa: F811
    """Issue 20, item 3: `advise --json` printed 0 bytes when the server was down; a script
    gets valid JSON with the angles and the error."""
    import json

    fake = FakeServer("500")
    try:
        run(cli_dir, capsys, "models", "add-server", "srv", "--url", fake.url, "--model", ALIAS)
        run(cli_dir, capsys, "models", "use", "srv")
        code, out, err = run(cli_dir, capsys, "advise", "--partner", "Northwind", "--json")
    finally:
        fake.close()
    answer = json.loads(out)
    assert code == 1 and "HTTP 500" in answer["error"] and "HTTP 500" in err
    assert answer["angles"] and all({"title", "why", "first_step", "cites"} <= set(a)
                                    for a in answer["angles"])


# --- consent and proof ----------------------------------------------------------------------
def test_loopback_is_recognised_and_nothing_else():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.10", "::1", "localhost"))
    assert not any(is_loopback(h) for h in ("10.0.0.1", "192.168.1.2", "example.com",
                                            "localhost.example.com", "::ffff:8.8.8.8"))
    with pytest.raises(InvalidInput):
        parse_url("ftp://127.0.0.1/v1")
    assert parse_url("http://[::1]:8080").path == "/v1"


def test_a_remote_host_without_consent_opens_no_socket(loopback_only, northwind, data_dir,
                                                       monkeypatch):
    vault, partner = northwind
    created = []
    real_socket = socket.socket

    class Counting(real_socket):
        def __init__(self, *args, **kw):
            created.append(args)
            super().__init__(*args, **kw)

    monkeypatch.setattr(socket, "socket", Counting)
    with use_case(vault, write=True) as s:
        with pytest.raises(InvalidInput, match="10.9.8.7 is not this machine"):
            model_library.add_server(session=s, name="far", url="http://10.9.8.7:8000/v1",
                                     model="llama3")
        # an entry without consent (say, an older or edited library) is refused at use too
        settings_service.save_settings(session=s, values={"model_name": "far", "model_library": [
            {"name": "far", "kind": "server", "url": "http://10.9.8.7:8000/v1",
             "model": "llama3"}]})
    result = ask(vault, partner, data_dir)
    assert result.text is None and "10.9.8.7 is not this machine" in result.no_model_reason
    assert result.angles
    assert created == [] and loopback_only == []           # not one socket, not one attempt


def test_a_remote_host_with_consent_is_named_in_the_advice(llama_server, loopback_only,
                                                           northwind, data_dir, monkeypatch):
    """Consent given for 10.9.8.7: the connection is attempted (the guard records it) and
    nothing else; with the address pointed at the test server, the text is marked with the
    host."""
    vault, partner = northwind
    port = llama_server.port
    use_server(vault, f"http://10.9.8.7:{port}/v1", name="team", allow_remote=True,
               max_tokens=8)
    with pytest.raises(ServerFailed, match="cannot be reached"):
        ask(vault, partner, data_dir)
    assert [a[0] for a in loopback_only] == ["10.9.8.7"]
    import services.advice.server_model as server_model

    monkeypatch.setattr(server_model, "consent_check", lambda settings: "127.0.0.1")
    result = ask(vault, partner, data_dir)
    assert result.model == f"{ALIAS} on 10.9.8.7"
    with use_case(vault) as s:
        for saved in advisor.list_advice(session=s, partner_id=partner.id):
            assert saved.model == f"{ALIAS} on 10.9.8.7"


def test_show_request_is_exactly_what_the_server_receives(cli_dir, capsys, loopback_only,
                                                          monkeypatch):
    fake = FakeServer("ok")
    try:
        run(cli_dir, capsys, "models", "add-server", "srv", "--url", fake.url, "--model", ALIAS,
            "--api-key-env", "TEST_SERVER_KEY")
        run(cli_dir, capsys, "models", "use", "srv")
        code, shown, _ = run(cli_dir, capsys, "models", "show-request", "srv", "--partner",
                             "Northwind", "--about", "trust")
        assert code == 0 and "not shown" in shown and "sekrit-key" not in shown
        monkeypatch.setenv("TEST_SERVER_KEY", "sekrit-key")
        code, _, err = run(cli_dir, capsys, "advise", "--partner", "Northwind", "--about",
                           "trust")
    finally:
        fake.close()
    body = shown.split("\n\n", 1)[1]
    assert fake.bodies and json.loads(body) == fake.bodies[0]
    assert fake.headers[0]["Authorization"] == "Bearer sekrit-key"


# --- CLI helpers ----------------------------------------------------------------------------
@pytest.fixture
def cli_dir(data_dir, capsys, monkeypatch):
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", "a long test passphrase")
    monkeypatch.delenv("TEST_SERVER_KEY", raising=False)
    run(data_dir, capsys, "init")
    run(data_dir, capsys, "demo")
    yield data_dir
    monkeypatch.delenv("TEST_SERVER_KEY", raising=False)


def run(data_dir, capsys, *argv):
    code = main.main(["--data-dir", str(data_dir), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_port_helper_binds_only():
    assert 1024 < free_port() < 65536


def test_probe_measures_the_server(llama_server, loopback_only, cli_dir, capsys):
    run(cli_dir, capsys, "models", "add-server", "srv", "--url", llama_server.url, "--model",
        ALIAS)
    code, out, err = run(cli_dir, capsys, "models", "probe", "srv", "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert figures["prompt_tps"] > 0 and figures["generation_tps"] > 0
    assert figures["generated_tokens"] > 1 and figures["first_token_seconds"] > 0
    code, out, _ = run(cli_dir, capsys, "models", "list")
    assert "probe: prompt" in out and loopback_only == []


def test_stop_ends_a_silent_stream_at_once(loopback_only):
    """The server sends two tokens, then nothing for 30 s: Stop (closing the window does the
    same) ends the generation without waiting for it, or for the read timeout."""
    import threading

    fake = FakeServer("stall", stall=30)
    stop, seen, out = threading.Event(), [], []
    model = ServerModel(server_settings(fake.url, read_timeout=60))

    def on_token(piece):
        seen.append(piece)   # the user presses Stop while the server is silent
        threading.Timer(0.3, stop.set).start()

    worker = threading.Thread(target=lambda: out.append(model.generate(
        messages=[{"role": "user", "content": "hi"}], on_token=on_token,
        should_stop=stop.is_set)))
    try:
        worker.start()
        worker.join(15)                                # far below the 30 s stall
        assert not worker.is_alive()
        assert out and out[0].stopped and out[0].text == "Call Dana"
    finally:
        fake.close()
