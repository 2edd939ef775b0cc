"""Found on this computer (issue 21, item 4): the models LM Studio, GPT4All, Jan and Ollama
already installed, and the OpenAI-compatible servers answering on this machine.

Only the known places are looked at: each tool's model folders (from a home folder, and the
variables the tools themselves honour: OLLAMA_MODELS, XDG_DATA_HOME, LOCALAPPDATA, APPDATA),
walked with limits (4 folders deep, 2,000 entries a folder tree, no link leading out of it,
unreadable folders skipped), and the usual ports on 127.0.0.1 only. Nothing runs until the
user asks. Adding a found model goes through the library's own `add_gguf` (the file checked,
used where it is, never copied) or `add_server` (loopback, no connection made).
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from sqlmodel import Session

from services import settings as settings_service
from services.advice import model_library
from services.advice.model_library import Entry
from services.advice.server_model import is_loopback, parse_url
from services.errors import InvalidInput
from services.settings import Preferences

MAX_DEPTH = 4                # a file at most 4 folders below a root (LM Studio: 3)
MAX_ENTRIES = 2000           # entries read in one root, files and folders
MAX_MANIFESTS = 500
MAX_MANIFEST_BYTES = 1 << 20
MAX_RESPONSE = 256 << 10
MAX_IDS = 100                # model ids kept from one server
TIMEOUT = 0.5                # seconds a socket operation may take
DEADLINE = 2.0               # seconds one server may take in all
HOST = "127.0.0.1"
PORTS = {11434: "Ollama", 1234: "LM Studio", 8080: "llama-server", 1337: "Jan"}
OLLAMA_SERVICE = Path("/usr/share/ollama/.ollama/models")   # Linux install script's user
MAGIC = b"GGUF"
MODEL_LAYER = "application/vnd.ollama.image.model"
DIGEST = re.compile(r"sha256[:-]([0-9a-f]{64})")


@dataclass(frozen=True)
class Found:
    kind: str                # file | server
    source: str              # LM Studio, GPT4All, Jan, Ollama, llama-server
    name: str
    path: str = ""           # file
    url: str = ""            # server: its base URL
    model: str = ""          # server: the model's id there
    size: int = 0            # file: bytes
    in_library: bool = False

    def as_json(self) -> dict:
        return asdict(self)


# --- the known places ---------------------------------------------------------------------------
def _env_dir(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "")
    return Path(value) if value and Path(value).is_absolute() else None


def file_roots(home: Path, env: Mapping[str, str], platform: str) -> list[tuple[str, Path]]:
    """(source, folder) where each tool keeps its GGUF files on this platform."""
    roots = [("LM Studio", home / ".lmstudio" / "models"),
             ("LM Studio", home / ".cache" / "lm-studio" / "models"),
             ("Jan", home / "jan" / "models")]
    if platform == "darwin":
        gpt4all = jan = home / "Library" / "Application Support"
    elif platform.startswith("win"):
        gpt4all = _env_dir(env, "LOCALAPPDATA") or home / "AppData" / "Local"
        jan = _env_dir(env, "APPDATA") or home / "AppData" / "Roaming"
    else:
        gpt4all = jan = _env_dir(env, "XDG_DATA_HOME") or home / ".local" / "share"
    return roots + [("GPT4All", gpt4all / "nomic.ai" / "GPT4All"),
                    ("Jan", jan / "Jan" / "data" / "models"),
                    ("Jan", jan / "Jan" / "data" / "llamacpp" / "models")]


def ollama_roots(home: Path, env: Mapping[str, str], platform: str,
                 service: bool) -> list[Path]:
    """OLLAMA_MODELS when set (as Ollama reads it), else ~/.ollama/models; on Linux also the
    service user's folder when looking at the real machine."""
    roots = [_env_dir(env, "OLLAMA_MODELS") or home / ".ollama" / "models"]
    if service and platform.startswith("linux"):
        roots.append(OLLAMA_SERVICE)
    return roots


def _walk(root: Path, wanted) -> Iterator[Path]:
    """Files under `root` whose name `wanted` accepts: at most MAX_DEPTH folders down and
    MAX_ENTRIES entries read; a link is followed only to a file inside the root; a folder
    that cannot be read is skipped."""
    try:
        top = root.resolve(strict=True)
    except (OSError, RuntimeError):
        return
    if not top.is_dir():
        return
    budget = MAX_ENTRIES
    stack = [(top, 1)]
    while stack and budget > 0:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as listing:
                items = sorted(itertools.islice(listing, budget), key=lambda e: e.name)
        except OSError:
            continue
        budget -= len(items)
        folders = []
        for item in items:
            try:
                if item.is_symlink():
                    real = Path(item.path).resolve(strict=True)
                    if real.is_relative_to(top) and real.is_file() and wanted(item.name):
                        yield real
                elif item.is_dir(follow_symlinks=False):
                    if depth < MAX_DEPTH:
                        folders.append((Path(item.path), depth + 1))
                elif item.is_file(follow_symlinks=False) and wanted(item.name):
                    yield Path(item.path)
            except (OSError, RuntimeError, ValueError):
                continue
        stack.extend(reversed(folders))


def is_gguf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == MAGIC
    except OSError:
        return False


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _gguf_name(name: str) -> bool:
    low = name.lower()
    return low.endswith(".gguf") and "mmproj" not in low   # a vision projector is no model


def find_files(home: Path, env: Mapping[str, str], platform: str) -> list[Found]:
    found = []
    for source, root in file_roots(home, env, platform):
        for path in _walk(root, _gguf_name):
            if is_gguf(path):
                found.append(Found("file", source, path.name, path=str(path), size=_size(path)))
    return found


def find_ollama(root: Path) -> list[Found]:
    """Ollama's manifests (manifests/<registry>/<namespace>/<model>/<tag>, JSON) name the
    blob holding each model's GGUF (its layer of type MODEL_LAYER)."""
    try:
        top = root.resolve(strict=True)
    except (OSError, RuntimeError):
        return []
    blobs = top / "blobs"
    found = []
    manifests = top / "manifests"
    for path in itertools.islice(_walk(manifests, lambda name: True), MAX_MANIFESTS):
        try:
            if path.stat().st_size > MAX_MANIFEST_BYTES:
                continue
            layers = json.loads(path.read_bytes()).get("layers", [])
            digest = next(layer.get("digest", "") for layer in layers
                          if isinstance(layer, dict) and layer.get("mediaType") == MODEL_LAYER)
            match = DIGEST.fullmatch(str(digest))
            parts = path.relative_to(manifests.resolve()).parts
        except (OSError, ValueError, AttributeError, StopIteration, RecursionError):
            continue
        if not match or len(parts) != 4:
            continue
        blob = blobs / f"sha256-{match.group(1)}"
        try:
            real = blob.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if not real.is_relative_to(top) or not real.is_file() or not is_gguf(real):
            continue
        registry, namespace, model, tag = parts
        label = model if (registry, namespace) == ("registry.ollama.ai", "library") else \
            "/".join(p for p in (registry, namespace, model) if p != "registry.ollama.ai")
        found.append(Found("file", "Ollama", f"{label}:{tag} (Ollama)", path=str(real),
                           size=_size(real)))
    return found


# --- servers on this machine --------------------------------------------------------------------
def _model_ids(port: int, timeout: float) -> list[str]:
    """GET http://127.0.0.1:PORT/v1/models: the ids of the `data` list. No redirect is
    followed (http.client follows none) and no proxy is used; the answer is read up to
    MAX_RESPONSE bytes within DEADLINE seconds; anything else is no server."""
    start = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", "/v1/models", headers={"Accept": "application/json"})
        response = conn.getresponse()
        if response.status != 200:
            return []
        body = b""
        while len(body) <= MAX_RESPONSE:
            if time.monotonic() - start > DEADLINE:
                return []
            chunk = response.read1(16384)
            if not chunk:
                break
            body += chunk
        if len(body) > MAX_RESPONSE:
            return []
        data = json.loads(body).get("data", [])
    except (OSError, http.client.HTTPException, ValueError, AttributeError, RecursionError):
        return []
    finally:
        conn.close()
    ids = [d.get("id") for d in data if isinstance(d, dict)] if isinstance(data, list) else []
    clean = [i for i in ids if isinstance(i, str) and 0 < len(i.strip()) <= 200
             and i.isprintable()]
    return list(dict.fromkeys(clean))[:MAX_IDS]


def find_servers(ports: Mapping[int, str] | None = None,
                 timeout: float = TIMEOUT) -> list[Found]:
    ports = PORTS if ports is None else ports
    if not ports:
        return []
    with ThreadPoolExecutor(max_workers=min(len(ports), 8)) as pool:
        answers = list(pool.map(lambda port: _model_ids(port, timeout), ports))
    return [Found("server", source, model, url=f"http://{HOST}:{port}/v1", model=model)
            for (port, source), ids in zip(ports.items(), answers, strict=True)
            for model in ids]


# --- all of it ----------------------------------------------------------------------------------
def discover(*, home: Path | None = None, env: Mapping[str, str] | None = None,
             platform: str | None = None, ports: Mapping[int, str] | None = None,
             values: Preferences | None = None) -> list[Found]:
    """Every model found in the known places, each file once; servers after files. With the
    library's preferences (`values`), each says whether it is in the library already."""
    service = home is None
    home = Path.home() if home is None else Path(home)
    env = os.environ if env is None else env
    platform = platform or sys.platform
    files = find_files(home, env, platform)
    for root in ollama_roots(home, env, platform, service):
        files += find_ollama(root)
    seen, found = set(), []
    for item in files:
        if item.path not in seen:
            seen.add(item.path)
            found.append(item)
    found += find_servers(ports)
    return mark(found, values) if values is not None else found


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError, ValueError):
        return a == b


def _same_server(found: Found, entry: Entry) -> bool:
    try:
        mine, theirs = parse_url(found.url), parse_url(entry.url)
    except InvalidInput:
        return False
    return (entry.model == found.model and mine.port == theirs.port
            and is_loopback(theirs.host) and mine.path == theirs.path)


def known(found: Found, values: Preferences) -> bool:
    entries = model_library.entries(values)[1:]
    if found.kind == "file":
        return any(e.kind == "gguf" and _same_file(e.path, found.path) for e in entries)
    return any(e.kind == "server" and _same_server(found, e) for e in entries)


def mark(found: list[Found], values: Preferences) -> list[Found]:
    return [replace(f, in_library=known(f, values)) for f in found]


def library_name(found: Found, values: Preferences) -> str:
    """A free library name from what was found: 'llama3.2-3b', 'qwen2.5-7b-lm-studio'."""
    base = found.name.removesuffix(" (Ollama)")
    if found.kind == "file" and base.lower().endswith(".gguf"):
        base = base[:-5]
    if found.kind == "server":
        base = f"{base.rsplit('/', 1)[-1]}-{found.source}"
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-._")[:56] or "model"
    taken = {e.name for e in model_library.entries(values)}
    return next(name for n in itertools.count(1)
                if (name := base if n == 1 else f"{base}-{n}") not in taken)


def add_found(*, session: Session, found: Found, data_dir: Path,
              name: str | None = None) -> Entry:
    """Add a found model as any other: a file through `add_gguf` (checked, its SHA-256
    recorded, used where it is), a server through `add_server` (loopback only here)."""
    values = settings_service.get_settings(session=session)
    name = name or library_name(found, values)
    if found.kind == "file":
        entry, _facts = model_library.add_gguf(session=session, path=Path(found.path),
                                               data_dir=data_dir, name=name)
        return entry
    if found.kind != "server" or not is_loopback(parse_url(found.url).host):
        raise InvalidInput("Only a server on this machine is found here.")
    return model_library.add_server(session=session, name=name, url=found.url,
                                    model=found.model, data_dir=data_dir)
