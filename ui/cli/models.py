"""The command line's model library (issue 12): list, add a GGUF or a server, use, remove,
probe, and show exactly what a server would be sent. Listed in ui/cli/__init__.py's PARTS as
'models'; the same rules: one use case each, one line on a user error, journal text through
`shown`."""

from __future__ import annotations

import json
import os
from pathlib import Path

from services import settings as settings_service
from services.advice import llm, model_discovery, model_holder, model_library, server_secrets
from services.errors import InvalidInput
from services.store import use_case
from services.terminal import shown
from ui.cli.common import data_dir_of, open_vault, with_session


def _gb(n: int) -> str:
    return f"{n / 2**30:.1f} GB"


def _line(info: dict) -> str:
    mark = "*" if info["in_use"] else " "
    head = f"{mark} {info['name']:<24} {info['kind']:<7}"
    if info["kind"] == "server":
        where = "this machine" if info["loopback"] else f"REMOTE host {info['host']} (allowed)"
        key = f", API key from {info['api_key']}" if info["api_key"] else ""
        text = f"{head} {shown(info['model'])} at {shown(info['url'])} ({where}{key})"
    elif "problem" in info:
        text = f"{head} {shown(info['path'])}: {shown(info['problem'])}"
    else:
        fits = "fits" if not info["ram_free"] or info["ram_needed"] <= info["ram_free"] \
            else "MORE than is free"
        text = (f"{head} {shown(info['model'])}, {info['parameters']}, {info['quantization']}, "
                f"context {info['context_length']:,}, "
                f"{'chat template' if info['chat_template'] else 'base model'}; needs about "
                f"{_gb(info['ram_needed'])} of {_gb(info['ram_free'])} free ({fits})")
        if info.get("recommended"):
            text += f"; recommended: {info['recommended']}"
    probe = info.get("probe")
    if probe:
        text += (f"\n    probe: prompt {probe.get('prompt_tps', 0):.0f} tokens/s, generation "
                 f"{probe.get('generation_tps', 0):.1f} tokens/s, first token "
                 f"{probe.get('first_token_seconds', 0):.2f} s ({probe.get('when', '')})")
    return text


@with_session()
def models_list(args, session) -> None:
    values = settings_service.get_settings(session=session)
    infos = [model_library.describe(e, values, data_dir_of(args))
             for e in model_library.entries(values)]
    if args.json:
        print(json.dumps(infos, ensure_ascii=False, indent=1))
        return
    for info in infos:
        print(_line(info))
    print("\n(* in use)  Bigger models worth getting: 'confidant models recommended'.")


def models_recommended(args) -> None:
    models = model_library.recommended()
    if args.json:
        print(json.dumps(models, ensure_ascii=False, indent=1))
        return
    have = llm.machine_memory() / 2**30
    print(f"This machine has {have:.0f} GB. Confidant never downloads: get the file from the "
          "page named, then 'confidant models add FILE'.")
    for m in models:
        fits = "" if not have or m["ram_gb"] <= have + 0.5 else "  (needs more memory)"
        print(f"\n{m['title']} — {m['ram_gb']} GB machines{fits}\n  {m['file']} "
              f"({m['quantization']}, about {m['size_gb']} GB), {m['licence']}\n  {m['source']}")


@with_session(write=True)
def models_add(args, session) -> None:
    entry, facts = model_library.add_gguf(session=session, path=Path(args.path),
                                          data_dir=data_dir_of(args), copy=args.copy, name=args.name)
    where = "copied into the data folder" if entry.copied else "used where it is"
    print(f"Added {entry.name}: {shown(facts.name)}, {facts.parameter_label}, "
          f"{facts.quantization}, {'chat template checked' if facts.has_chat_template else 'base model'}"
          f"; {where}; SHA-256 {entry.sha256[:16]}… recorded. Use it with "
          f"'confidant models use {entry.name}'.")


def models_add_server(args) -> None:
    key = None
    if args.keychain:
        if not args.api_key_env:
            raise InvalidInput("--keychain keeps the key from --api-key-env VAR; give both.")
        server_secrets.check_variable(args.api_key_env)   # refused before it is read
        key = os.environ.get(args.api_key_env)
        if not key:
            raise InvalidInput(f"The variable {args.api_key_env} is not set.")

    @with_session(write=True)
    def add(args, session):
        entry = model_library.add_server(
            session=session, name=args.name, url=args.url, model=args.model,
            api_key_env=args.api_key_env or "", key_in_keychain=key is not None, key=key,
            allow_remote=args.allow_remote, data_dir=data_dir_of(args))
        if key is not None:
            server_secrets.store_key(entry.name, key)
        host = entry.host
        where = (f"REMOTE host {host}: journal excerpts will be sent there when it is in use"
                 if entry.allow_remote else "this machine")
        print(f"Added server {entry.name}: {shown(entry.model)} at {shown(entry.url)} "
              f"({where}). Nothing was sent. Use it with 'confidant models use {entry.name}'.")
    return add(args)


def _found_line(n: int, found: model_discovery.Found) -> str:
    mark = "in the library" if found.in_library else f"add with 'models add-found {n}'"
    if found.kind == "server":
        return (f"{n:>3}. {shown(found.model)} — {found.source} server at "
                f"{shown(found.url)} ({mark})")
    return (f"{n:>3}. {shown(found.name)} — {found.source}, {_gb(found.size)}\n"
            f"     {shown(found.path)} ({mark})")


@with_session()
def models_found(args, session) -> None:
    """Issue 21, item 4: the GGUFs LM Studio, GPT4All, Jan and Ollama installed, and the
    servers answering on 127.0.0.1 at their usual ports. Only the known places are looked at."""
    values = settings_service.get_settings(session=session)
    found = model_discovery.discover(values=values)
    if args.json:
        print(json.dumps([f.as_json() for f in found], ensure_ascii=False, indent=1))
        return
    if not found:
        print("Nothing found in the folders of LM Studio, GPT4All, Jan and Ollama, nor on "
              "127.0.0.1 at ports " + ", ".join(map(str, model_discovery.PORTS)) + ".")
    for n, item in enumerate(found, 1):
        print(_found_line(n, item))


@with_session(write=True)
def models_add_found(args, session) -> None:
    values = settings_service.get_settings(session=session)
    found = model_discovery.discover(values=values)
    if not 1 <= args.number <= len(found):
        raise InvalidInput(f"There is no number {args.number} in 'models found' "
                           f"({len(found)} found).")
    item = found[args.number - 1]
    entry = model_discovery.add_found(session=session, found=item, data_dir=data_dir_of(args),
                                      name=args.name)
    where = (f"the file used where it is, SHA-256 {entry.sha256[:16]}… recorded"
             if entry.kind == "gguf" else f"{shown(entry.model)} at {shown(entry.url)}, "
             "nothing sent")
    print(f"Added {entry.name} from {item.source}: {where}. Use it with "
          f"'confidant models use {entry.name}'.")


@with_session(write=True)
def models_use(args, session) -> None:
    entry = model_library.use(session=session, name=args.name)
    print(f"The advisor now uses {entry.name}.")


def models_remove(args) -> None:
    vault = open_vault(args)
    try:
        with use_case(vault, write=True) as session:
            entry = model_library.remove(session=session, name=args.name)
    finally:
        vault.lock()
    model_library.delete_copy(entry, data_dir_of(args))
    print(f"Removed {entry.name}" + (" and its copy in the data folder." if entry.copied
                                      else "."))


def models_probe(args) -> None:
    from services.advice.model_probe import probe

    vault = open_vault(args)
    try:
        with use_case(vault) as session:
            values = settings_service.get_settings(session=session)
            settings = model_library.settings_for(values, data_dir_of(args), args.name)
        holder = model_holder.ModelHolder()
        try:
            figures = probe(holder.get(settings))
        finally:
            holder.close()
        with use_case(vault, write=True) as session:
            model_library.record_probe(session=session, name=args.name, figures=figures)
    finally:
        vault.lock()
    if args.json:
        print(json.dumps(figures, indent=1))
        return
    print(f"{args.name}: prompt {figures['prompt_tps']:.0f} tokens/s, generation "
          f"{figures['generation_tps']:.1f} tokens/s, first token "
          f"{figures['first_token_seconds']:.2f} s ({figures['generated_tokens']} tokens).")


@with_session()
def models_show_request(args, session) -> None:
    """Exactly what the server entry would be sent for this question; nothing is sent."""
    from services import journal
    from services.advice import advisor

    partner = journal.resolve_partner(session=session, name=args.partner)
    text = advisor.server_request(
        session=session, name=args.name, data_dir=data_dir_of(args), partner_id=partner.id,
        kind=args.about or ("free" if args.question else "prepare"), question=args.question)
    print(shown(text, lines=True))


ACTIONS = {"list": models_list, "recommended": models_recommended, "add": models_add,
            "add-server": models_add_server, "use": models_use, "remove": models_remove,
            "probe": models_probe, "show-request": models_show_request,
            "found": models_found, "add-found": models_add_found}


def cmd_models(args):
    return ACTIONS[args.action](args)
