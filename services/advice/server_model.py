"""A model served by an inference server that speaks the OpenAI-compatible chat API (Ollama,
LM Studio, llama.cpp's server, vLLM): the same interface as `LocalModel`, so the advisor, the
grounding check, citations, Stop and saving work unchanged.

Standard library only: `http.client`, server-sent events read line by line. Loopback hosts
(127.0.0.0/8, ::1, and 'localhost' when it resolves there) are allowed once the user added the
server; any other host only with the consent recorded when it was added (`allow_remote`). The
check runs before any socket is opened. Every failure is one line (ServerFailed).

A server is untrusted input: one generation has an overall deadline, the response a byte cap,
and a stream that sends no text (comments, keep-alives, empty events, a byte at a time) is cut
off after `read_timeout` seconds or `MAX_QUIET_LINES` lines. The API key is checked each time
it is about to be sent (services/advice/server_secrets.py).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import math
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.advice.engine import Generation
from services.advice.server_secrets import api_key, forget_key, store_key
from services.advice.server_stream import Events, Guard, delta
from services.errors import InvalidInput, ModelUnavailable, ServerFailed

CONNECT_TIMEOUT = 5.0     # seconds to open the connection
READ_TIMEOUT = 60.0       # seconds without a byte, or without text, from the server
DEADLINE = 120.0          # seconds for one whole generation, from connecting to the last byte


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str
    port: int
    path: str               # the base path, e.g. /v1

    @property
    def label(self) -> str:
        return self.host if ":" not in self.host else f"[{self.host}]"

    @property
    def chat_path(self) -> str:
        return self.path.rstrip("/") + "/chat/completions"


def parse_url(url: str) -> Endpoint:
    """http(s)://host[:port][/base]; the base defaults to /v1. One line for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InvalidInput(f"'{url[:80]}' is not a URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"'{url[:80]}' is not an http:// or https:// URL with a host.")
    if parts.username or parts.password:
        raise InvalidInput("Put no user name or password in the URL; use --api-key-env.")
    if parts.query or parts.fragment:
        raise InvalidInput("The server URL takes no query or fragment.")
    port = port or (443 if parts.scheme == "https" else 80)
    return Endpoint(parts.scheme, parts.hostname.lower(), port, parts.path.rstrip("/") or "/v1")


def loopback_address(host: str) -> str | None:
    """The loopback address to connect to, or None when `host` is not loopback. Only the name
    'localhost' is looked up (in the hosts file, not on the network); any other name is not
    loopback, and no lookup is made for it."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host not in ("localhost", "localhost."):
            return None
        try:
            found = {info[4][0] for info in socket.getaddrinfo(host, None,
                                                               type=socket.SOCK_STREAM)}
        except OSError:
            return None
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in found]
        if not addresses or not all(a.is_loopback for a in addresses):
            return None
        return str(min(addresses, key=lambda a: a.version))  # IPv4 first, as most servers
    return str(address) if address.is_loopback else None


def is_loopback(host: str) -> bool:
    return loopback_address(host) is not None


@dataclass(frozen=True)
class ServerSettings:
    name: str                       # the library entry
    url: str
    model: str
    api_key_env: str = ""           # the environment variable holding the key, if any
    key_in_keychain: bool = False   # the key is in the system keychain instead
    allow_remote: bool = False      # the user consented to send excerpts to this host
    context_length: int = 4096
    temperature: float = 0.0
    max_tokens: int = 256
    seed: int = 42
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    deadline: float = DEADLINE
    vault_header: str = ""          # the vault's header: the key may not open it

    @property
    def endpoint(self) -> Endpoint:
        return parse_url(self.url)


def consent_check(settings: ServerSettings) -> str:
    """The address to connect to: loopback, or a remote host the user consented to. Raises
    before any socket exists."""
    end = settings.endpoint
    local = loopback_address(end.host)
    if local is not None:
        return local
    if not settings.allow_remote:
        raise ServerFailed(f"{end.host} is not this machine, and sending journal excerpts there "
                           "was not allowed; add the server again with --allow-remote.")
    return end.host


def request_body(settings: ServerSettings, *, messages: list[dict], max_tokens: int | None,
                 temperature: float | None, stop: list[str] | None) -> dict:
    body = {"model": settings.model, "messages": messages, "stream": True,
            "max_tokens": max_tokens or settings.max_tokens,
            "temperature": settings.temperature if temperature is None else temperature,
            "seed": settings.seed}
    if stop:
        body["stop"] = stop
    return body


def shown_request(settings: ServerSettings, body: dict) -> str:
    """Exactly what would be sent: the request line, the headers (the key masked) and the
    JSON body, byte for byte as `generate` sends it."""
    end = settings.endpoint
    lines = [f"POST {end.scheme}://{end.label}:{end.port}{end.chat_path}",
             "Content-Type: application/json", "Accept: text/event-stream"]
    if settings.api_key_env or settings.key_in_keychain:
        where = "keychain" if settings.key_in_keychain else f"${settings.api_key_env}"
        lines.append(f"Authorization: Bearer <the key from {where}, not shown>")
    return "\n".join(lines) + "\n\n" + _encode(body).decode("utf-8")


def _encode(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


@dataclass(frozen=True)
class ServerFacts:
    name: str
    has_chat_template: bool = True


class ServerModel:
    """One model on one server. Stateless between requests; the lock keeps one request at a
    time, as for a local model."""

    def __init__(self, settings: ServerSettings):
        consent_check(settings)           # no socket yet: a refused host fails here
        self.settings = settings
        self.endpoint = settings.endpoint
        self.lock = threading.Lock()
        self.facts = ServerFacts(self.name)
        self._conn: http.client.HTTPConnection | None = None

    @property
    def remote(self) -> bool:
        return not is_loopback(self.endpoint.host)

    @property
    def name(self) -> str:
        """What the advice records: 'MODEL on HOST' for a server off this machine."""
        model = self.settings.model
        return f"{model} on {self.endpoint.host}" if self.remote else model

    @property
    def is_instruct(self) -> bool:
        return True

    def count_tokens(self, text: str) -> int:
        """An estimate (the server's tokenizer is not at hand): about 3.5 characters a token,
        rounded up, so the prompt budget errs on the short side."""
        return math.ceil(len(text) / 3.5)

    def request(self, *, prompt: str | list[str] | None = None,
                messages: list[dict] | None = None, max_tokens: int | None = None,
                temperature: float | None = None, stop: list[str] | None = None) -> dict:
        if messages is None:
            text = prompt if isinstance(prompt, str) else "".join(prompt or [])
            messages = [{"role": "user", "content": text}]
        return request_body(self.settings, messages=messages, max_tokens=max_tokens,
                            temperature=temperature, stop=stop)

    def _connect(self) -> http.client.HTTPConnection:
        address = consent_check(self.settings)
        s, end = self.settings, self.endpoint
        if end.scheme == "https":
            conn = http.client.HTTPSConnection(address, end.port, timeout=s.connect_timeout,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(address, end.port, timeout=s.connect_timeout)
        try:
            conn.connect()
        except ConnectionRefusedError:
            raise ServerFailed(f"The model server at {end.label}:{end.port} refused the "
                               "connection: is it running?") from None
        except TimeoutError:
            raise ServerFailed(f"The model server at {end.label}:{end.port} did not answer "
                               f"within {s.connect_timeout:g} s.") from None
        except ssl.SSLError as err:
            raise ServerFailed(f"The TLS handshake with {end.label} failed "
                               f"({type(err).__name__}).") from None
        except OSError as err:
            raise ServerFailed(f"The model server at {end.label}:{end.port} cannot be reached "
                               f"({type(err).__name__}).") from None
        conn.sock.settimeout(s.read_timeout)
        return conn

    def generate(self, *, prompt: str | list[str] | None = None,
                 messages: list[dict] | None = None,
                 max_tokens: int | None = None, temperature: float | None = None,
                 stop: list[str] | None = None, on_token: Callable[[str], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> Generation:
        """Stream a chat reply. Stop closes the connection at once, and so does the deadline
        (a watcher shuts the socket even while the server is silent or dripping)."""
        body = self.request(prompt=prompt, messages=messages, max_tokens=max_tokens,
                            temperature=temperature, stop=stop)
        key = api_key(self.settings)
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        with self.lock:
            start = time.perf_counter()
            conn = self._connect()
            # the socket itself: http.client hands it to the response (and forgets it) when
            # the server says it will close the connection
            guard = Guard(conn.sock, should_stop, start + self.settings.deadline)
            try:
                pieces, first = self._stream(conn, body, headers, on_token, guard, start)
            finally:
                guard.finish()
                conn.close()
            seconds = time.perf_counter() - start
        return Generation(text="".join(pieces), prompt_tokens=0, prompt_evaluated=None,
                          completion_tokens=len(pieces), seconds=seconds,
                          first_token_seconds=first, stopped=guard.stopped.is_set())

    def _stream(self, conn, body, headers, on_token, guard, start):
        end, s = self.endpoint, self.settings
        where = f"The model server at {end.label}:{end.port}"
        cut_off = "the advice was cut off and nothing was saved"
        pieces: list[str] = []
        first, finished, failure = None, False, None
        try:
            conn.request("POST", end.chat_path, body=_encode(body), headers=headers)
            response = conn.getresponse()
            if response.status in (401, 403):
                raise ServerFailed(f"{where} refused the API key (HTTP {response.status}).")
            if response.status == 404:
                raise ServerFailed(f"{where} has no model '{s.model}' at {end.chat_path} "
                                   "(HTTP 404).")
            if response.status != 200:
                raise ServerFailed(f"{where} answered HTTP {response.status}; no advice was "
                                   "written.")
            events = Events(response, where, s.read_timeout, cut_off)
            for line in events.lines():
                line = line.strip()
                piece, thinking = None, False
                if line.startswith(b"data:"):    # else comments, event names, keep-alives
                    data = line[5:].strip()
                    if data == b"[DONE]":
                        finished = True
                        break
                    piece, thinking = delta(data, where)
                events.heard(bool(piece) or thinking)
                if piece:
                    first = first if first is not None else time.perf_counter() - start
                    pieces.append(piece)
                    if on_token is not None:
                        on_token(piece)
                if guard.should_stop is not None and guard.should_stop():
                    guard.stopped.set()
                    break
                if time.perf_counter() > start + s.deadline:  # a flood keeps the reads busy
                    guard.expired.set()
                    break
        except ServerFailed as err:
            failure = err
        except TimeoutError:
            failure = ServerFailed(f"{where} sent nothing for {s.read_timeout:g} s; {cut_off}.")
        except (OSError, http.client.HTTPException) as err:
            failure = ServerFailed(f"{where} broke off the connection ({type(err).__name__}).")
        except (ValueError, OverflowError) as err:   # http.client on a malformed response
            failure = ServerFailed(f"{where} sent a malformed response ({type(err).__name__}).")
        if guard.stopped.is_set():
            return pieces, first
        if guard.expired.is_set() and not finished:
            raise ServerFailed(f"{where} did not finish within {s.deadline:g} s; {cut_off}.")
        if failure is not None:
            raise failure
        if not pieces:
            raise ServerFailed(f"{where} sent no text; no advice was written.")
        return pieces, first

    def close(self) -> None:
        """Nothing is held between requests."""


__all__ = ["ServerModel", "ServerSettings", "ModelUnavailable", "parse_url", "is_loopback",
           "consent_check", "shown_request", "store_key", "forget_key"]
