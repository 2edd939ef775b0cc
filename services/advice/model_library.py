"""The model library: the bundled model, the GGUF files the user added, and inference servers.

Kept in the preferences, inside the encrypted journal (`model_library`, a list of entries, and
`model_name`, the one in use). A GGUF is checked when added (header with limits, memory, chat
template in the sandbox) and its SHA-256 recorded; the file is checked against it when it loads.
A server is added only with a loopback URL, or with the user's consent naming the host.
The app never downloads a model: resources/models.toml says what to get, and a file added
under a recommended name is recognised.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlmodel import Session

from services import files, paths
from services import settings as settings_service
from services.advice import llm, server_secrets
from services.advice.gguf import ModelFacts
from services.advice.server_model import ServerSettings, is_loopback, parse_url
from services.advice.template_sandbox import check_template
from services.errors import InvalidInput, NotFound, StorageFull
from services.paths import resource
from services.settings import Preferences

BUNDLED = "bundled"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
KINDS = ("bundled", "gguf", "server")


@dataclass
class Entry:
    name: str
    kind: str                        # bundled | gguf | server
    path: str = ""                   # gguf: the file (in the data dir when copied)
    copied: bool = False
    sha256: str = ""
    url: str = ""                    # server
    model: str = ""
    api_key_env: str = ""
    key_in_keychain: bool = False
    allow_remote: bool = False
    probe: dict = field(default_factory=dict)   # the last measured speed on this machine
    recommended: str = ""            # the recommended model this file is, if any

    def as_json(self) -> dict:
        return asdict(self)

    @property
    def host(self) -> str:
        return parse_url(self.url).host if self.kind == "server" else ""


def _entry(data: dict) -> Entry | None:
    known = {k: v for k, v in data.items() if k in Entry.__dataclass_fields__}
    try:
        entry = Entry(**known)
    except TypeError:
        return None
    return entry if entry.kind in ("gguf", "server") and NAME.match(entry.name) else None


def entries(values: Preferences) -> list[Entry]:
    """The bundled model first, then what the user added, in the order added."""
    added = [e for e in (_entry(d) for d in values.model_library if isinstance(d, dict)) if e]
    return [Entry(name=BUNDLED, kind="bundled")] + added


def in_use(values: Preferences) -> str:
    names = {e.name for e in entries(values)}
    return values.model_name if values.model_name in names else BUNDLED


def find(values: Preferences, name: str) -> Entry:
    for entry in entries(values):
        if entry.name == name:
            return entry
    raise NotFound(f"No model named '{name[:80]}' in the library (see 'models list').")


def _save(session: Session, values: Preferences, added: list[Entry], **more) -> Preferences:
    return settings_service.save_settings(session=session, values={
        "model_library": [e.as_json() for e in added if e.kind != "bundled"], **more})


def _check_name(values: Preferences, name: str) -> None:
    if not NAME.match(name or ""):
        raise InvalidInput("A model's name is 1-64 letters, digits, '.', '_' or '-'.")
    if any(e.name == name for e in entries(values)):
        raise InvalidInput(f"There is already a model named '{name}'.")


@cache
def recommended() -> list[dict]:
    """resources/models.toml: instruct GGUFs worth getting, by the memory they need."""
    return tomllib.loads(resource("models.toml").read_text(encoding="utf-8"))["model"]


def recognise(path: Path) -> str:
    name = path.name.lower()
    return next((m["title"] for m in recommended() if m["file"].lower() == name), "")


# --- adding ------------------------------------------------------------------------------------
def check_file(path: Path, context_length: int = 2048) -> ModelFacts:
    """Everything checked before llama.cpp sees a file: a GGUF, whole, its header within limits,
    small enough for this machine's memory, and its chat template safe to render."""
    facts = llm.inspect_model(path, context_length)
    check_template(facts.chat_template)
    return facts


def add_gguf(*, session: Session, path: Path, data_dir: Path, copy: bool = False,
             name: str | None = None) -> tuple[Entry, ModelFacts]:
    values = settings_service.get_settings(session=session)
    try:
        path = Path(path).expanduser().resolve()
    except (ValueError, OSError, RuntimeError):   # a NUL byte, a loop of links
        raise InvalidInput("That is not a usable file path.") from None
    facts = check_file(path, values.context_length)
    name = name or re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-.")[:64] or "model"
    _check_name(values, name)
    digest = files.sha256_of(path)
    target = path
    if copy:
        target = llm.models_dir(data_dir) / f"{name}.gguf"
        if target.exists():
            raise InvalidInput(f"{target} exists already; remove it or choose another name.")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        try:
            shutil.copyfile(path, partial)
            partial.replace(target)
        except OSError as err:
            partial.unlink(missing_ok=True)
            if err.errno == 28:
                raise StorageFull(f"The disk is full: {path.name} could not be "
                                  "copied.") from None
            raise InvalidInput(f"{path.name} could not be copied ({err.strerror}).") from None
        if files.sha256_of(target) != digest:
            target.unlink(missing_ok=True)
            raise InvalidInput(f"The copy of {path.name} differs from the file; nothing was "
                               "added.")
    entry = Entry(name=name, kind="gguf", path=str(target), copied=copy, sha256=digest,
                  recommended=recognise(path))
    _save(session, values, entries(values)[1:] + [entry])
    return entry, facts


def add_server(*, session: Session, name: str, url: str, model: str, api_key_env: str = "",
               key_in_keychain: bool = False, allow_remote: bool = False,
               key: str | None = None, data_dir: Path | None = None) -> Entry:
    """A server on this machine, or on another host the user consented to: no connection is
    made here. The API key (from `api_key_env`, or `key` for the keychain) may not be one of
    Confidant's own variables nor open the vault in `data_dir`."""
    values = settings_service.get_settings(session=session)
    _check_name(values, name)
    end = parse_url(url)
    if not model.strip() or len(model) > 200:
        raise InvalidInput("Give the model's name as the server knows it (--model).")
    if api_key_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", api_key_env):
        raise InvalidInput(f"'{api_key_env[:40]}' is not an environment variable name.")
    if api_key_env:
        server_secrets.check_variable(api_key_env)
    secret = key or (os.environ.get(api_key_env) if api_key_env else None)
    if secret:
        from_variable = bool(api_key_env) and secret == os.environ.get(api_key_env)
        server_secrets.check_key(
            secret, source=f"The API key variable {api_key_env}" if from_variable
            else "The API key", header=paths.header_path(data_dir) if data_dir else None)
    remote = not is_loopback(end.host)
    if remote and not allow_remote:
        raise InvalidInput(f"{end.host} is not this machine: journal excerpts would be sent "
                           "there. Add it with --allow-remote to allow that.")
    entry = Entry(name=name, kind="server", url=url.strip(), model=model.strip(),
                  api_key_env="" if key_in_keychain else api_key_env,
                  key_in_keychain=key_in_keychain,
                  allow_remote=remote and allow_remote)
    _save(session, values, entries(values)[1:] + [entry])
    return entry


def use(*, session: Session, name: str) -> Entry:
    values = settings_service.get_settings(session=session)
    entry = find(values, name)
    settings_service.save_settings(session=session, values={
        "model_name": "" if entry.kind == "bundled" else entry.name,
        **({"model_path": ""} if entry.kind == "bundled" else {})})
    return entry


def remove(*, session: Session, name: str) -> Entry:
    """Forget an entry (a copy in the data dir is deleted when the use case commits: the
    caller does that with `delete_copy`). The bundled model stays."""
    values = settings_service.get_settings(session=session)
    entry = find(values, name)
    if entry.kind == "bundled":
        raise InvalidInput("The bundled model stays in the library.")
    more = {"model_name": ""} if in_use(values) == name else {}
    if entry.kind == "gguf" and values.model_path == entry.path:
        more["model_path"] = ""     # the file it named is no longer a choice
    _save(session, values, [e for e in entries(values)[1:] if e.name != name], **more)
    return entry


def delete_copy(entry: Entry, data_dir: Path) -> None:
    """After the removal committed: a file Confidant copied into its data dir goes too."""
    if entry.kind == "gguf" and entry.copied:
        path = Path(entry.path)
        if path.parent == llm.models_dir(data_dir):
            path.unlink(missing_ok=True)
    if entry.kind == "server" and entry.key_in_keychain:
        server_secrets.forget_key(entry.name)


def record_probe(*, session: Session, name: str, figures: dict) -> Entry:
    values = settings_service.get_settings(session=session)
    added = entries(values)[1:]
    entry = find(values, name)
    entry.probe = figures | {"when": datetime.now().isoformat(timespec="seconds")}
    if entry.kind == "bundled":
        return entry   # the bundled model's probe is reported, not kept
    _save(session, values, [entry if e.name == name else e for e in added])
    return entry


# --- choosing the engine ----------------------------------------------------------------------
def settings_for(values: Preferences, data_dir: Path, name: str | None = None):
    """ModelSettings (a GGUF, with the SHA-256 to check at load) or ServerSettings for the
    entry in use (or `name`); the bundled model is installed on first use."""
    entry = find(values, name or in_use(values))
    if entry.kind == "server":
        return ServerSettings(name=entry.name, url=entry.url, model=entry.model,
                              api_key_env=entry.api_key_env,
                              key_in_keychain=entry.key_in_keychain,
                              allow_remote=entry.allow_remote,
                              context_length=max(values.context_length, 2048),
                              temperature=values.temperature, max_tokens=values.max_tokens,
                              vault_header=str(paths.header_path(data_dir)))
    if entry.kind == "gguf":
        path = Path(entry.path)
        if not path.exists():
            raise llm.ModelUnavailable(f"The model file {path} is missing.")
        base = llm.settings_from(values, data_dir)
        return llm.ModelSettings(path=path, threads=base.threads,
                                 context_length=base.context_length,
                                 temperature=base.temperature, max_tokens=base.max_tokens,
                                 sha256=entry.sha256)
    return llm.resolve_model(values, data_dir)


# --- what the library shows -------------------------------------------------------------------
def free_memory() -> int:
    """Memory available to a new program now (MemAvailable), or the free pages."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def describe(entry: Entry, values: Preferences, data_dir: Path) -> dict:
    """An entry with what is known about it: the GGUF facts and the memory it needs against
    the memory free now, or the server and whether it is on this machine; the last probe."""
    info = {"name": entry.name, "kind": entry.kind, "in_use": in_use(values) == entry.name,
            "probe": entry.probe or None}
    if entry.kind == "server":
        host = entry.host
        return info | {"url": entry.url, "model": entry.model, "host": host,
                       "loopback": is_loopback(host), "allowed_remote": entry.allow_remote,
                       "api_key": "keychain" if entry.key_in_keychain else
                       (f"${entry.api_key_env}" if entry.api_key_env else None)}
    path = Path(entry.path) if entry.kind == "gguf" else llm.bundled_path(data_dir)
    info |= {"path": str(path), "copied": entry.copied, "sha256": entry.sha256 or None,
             "recommended": entry.recommended or None}
    if not path.exists():
        return info | {"problem": "installed on first use" if entry.kind == "bundled"
                       else "the file is missing"}
    try:
        facts = llm.read_facts(path)
    except InvalidInput as err:
        return info | {"problem": str(err)}
    need = facts.ram_estimate(values.context_length)
    return info | {"model": facts.name, "parameters": facts.parameter_label,
                   "quantization": facts.quantization, "context_length": facts.context_length,
                   "chat_template": facts.has_chat_template, "file_size": facts.file_size,
                   "ram_needed": need, "ram_free": free_memory(),
                   "ram_total": llm.machine_memory()}
