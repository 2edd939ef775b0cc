"""Servers for the server-engine tests, all on 127.0.0.1: llama-cpp-python's own OpenAI-compatible
server with the real bundled model (with a chat template), and a tiny http.server that misbehaves
on purpose (HTTP 500, 401, a stalled stream, invalid JSON, a dropped connection)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ALIAS = "gemma-chat"


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up while the fake still writes (the app stops reading after an
    HTTP 500) is no error of the test: http.server would print a traceback to stderr, which
    the tests read as the app's output."""

    def handle_error(self, request, client_address) -> None:
        pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))      # bind only: no connection
        return s.getsockname()[1]


class LlamaServer:
    """`python -m llama_cpp.server` on 127.0.0.1, ready when uvicorn says it is running."""

    def __init__(self, model_path, *, threads: int = 2, timeout: float = 120.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path),
             "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(self.port),
             "--n_ctx", "2048", "--n_threads", str(threads), "--n_threads_batch", str(threads),
             # the server's default keeps logits for every prompt token: with Gemma's 262k
             # vocabulary that is 2 GB and a slow prompt; the in-process model keeps none
             "--logits_all", "False", "--verbose", "False"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError("llama_cpp.server exited:\n" + "".join(lines[-20:]))
            lines.append(line)
            if "Uvicorn running on" in line:
                break
        else:
            self.stop()
            raise RuntimeError("llama_cpp.server did not start")
        # keep draining its log so the pipe never fills
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def event(text: str) -> bytes:
    chunk = {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


class FakeServer:
    """A misbehaving OpenAI-compatible server; `mode` says how, `bodies` records requests."""

    def __init__(self, mode: str = "ok", stall: float = 3.0):
        self.mode, self.stall = mode, stall
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 (http.server API)
                length = int(self.headers.get("Content-Length", 0))
                fake.bodies.append(json.loads(self.rfile.read(length)))
                fake.headers.append(dict(self.headers))
                fake.respond(self)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def respond(self, h) -> None:
        mode = self.mode
        if mode in ("500", "401"):
            body = b'{"error": {"message": "no"}}'
            h.send_response(int(mode))
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        if mode == "drop":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        if mode == "garbage":
            h.wfile.write(event("Call Dana"))
            h.wfile.write(b"data: {this is not json\n\n")
            return
        words = ["Call", " Dana", " today", " about", " the", " plan", "."] * 20
        for n, word in enumerate(words):
            h.wfile.write(event(word))
            h.wfile.flush()
            if mode == "stall" and n == 1:
                time.sleep(self.stall)
                return
            if mode == "slow":
                time.sleep(0.05)
        h.wfile.write(b"data: [DONE]\n\n")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- a GGUF with a chat template, fast: the header edited, the tensor data copied as is ------------
def with_chat_template(source, target, template: str):
    """Copy `source` with `tokenizer.chat_template` added: one key appended to the metadata,
    the tensor infos and data unchanged (their offsets are relative to the aligned data start).
    Seconds faster than gguf-py's reader, which parses the whole vocabulary into fields."""
    import shutil
    import struct

    from services.advice.gguf import _Reader

    with open(source, "rb") as fh:
        r = _Reader(fh)
        fh.seek(8)
        n_tensors, n_kv = r.scalar("Q"), r.scalar("Q")
        alignment = 32
        for _ in range(n_kv):
            key = r.string()
            value = r.value(r.scalar("I"), keep=key == "general.alignment")
            if key == "general.alignment":
                alignment = value
        kv_end = fh.tell()
        for _ in range(n_tensors):
            r.string()
            for _ in range(r.scalar("I")):
                r.scalar("Q")
            r.scalar("I"), r.scalar("Q")
        ti_end = fh.tell()
        data_start = ti_end + (-ti_end % alignment)
        fh.seek(0)
        head = fh.read(ti_end)
        key, text = b"tokenizer.chat_template", template.encode("utf-8")
        extra = struct.pack("<Q", len(key)) + key + struct.pack("<IQ", 8, len(text)) + text
        out_head = head[:16] + struct.pack("<Q", n_kv + 1) + head[24:kv_end] + extra \
            + head[kv_end:ti_end]
        with open(target, "wb") as out:
            out.write(out_head + b"\0" * (-len(out_head) % alignment))
            fh.seek(data_start)
            shutil.copyfileobj(fh, out, 1 << 22)
    return target
