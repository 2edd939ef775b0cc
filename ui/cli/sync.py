"""Sync's commands (issue 24): `sync init FOLDER` on the first device, `sync join FOLDER` on
another, then `sync now`, `status`, `conflicts`, `resolve N` and `leave`. The engine is
services/sync; this module asks for the secrets, opens the vault and prints.

The secret the other device types (the journal's passphrase, or with --recovery-key its
recovery key) comes from CONFIDANT_PASSPHRASE / CONFIDANT_RECOVERY_KEY or a prompt on a terminal.
A wrong secret is a user error (exit 1): it opens the sync folder, not this vault.

Exit codes as in ui/cli/common.py.
"""

from __future__ import annotations

import getpass
import json
import os
import shlex
import sys
import unicodedata
from pathlib import Path

from services import vault as vaults
from services.errors import InvalidInput, SyncError, WrongKey
from services.sync import service
from services.terminal import shown
from ui.cli.common import ENV_NEW_PASSPHRASE, data_dir_of, new_passphrase, open_vault

ENV_PASSPHRASE = vaults.ENV_PASSPHRASE
ENV_RECOVERY_KEY = "CONFIDANT_RECOVERY_KEY"
NAME_MAX = 60           # what the other devices keep of a device's name
SHORT = 70              # a conflict's text, shortened to one line


def cmd_sync(args) -> int | None:
    return {"init": _init, "join": _join, "now": _now, "status": _status,
            "conflicts": _conflicts, "resolve": _resolve, "trash": _trash,
            "restore": _restore, "leave": _leave}[args.action](args)


# --- what the user gives -----------------------------------------------------------------------
def _folder(text: str) -> Path:
    """The folder, checked before any secret is asked for (the service checks it again)."""
    folder = Path(text).expanduser()
    if not folder.is_dir():
        raise InvalidInput(f"The sync folder {folder} does not exist or is not a folder.")
    return folder


def _name(text: str | None) -> str | None:
    """--name: one printable line the other devices can show as it is."""
    if text is None:
        return None
    name = text.strip()
    if not name:
        raise InvalidInput("--name is empty: give this device a name, or leave it out.")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"--name is {len(name)} characters long; keep it to {NAME_MAX}.")
    odd = [c for c in name if shown(c) != c or
           unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp")]
    if odd:
        raise InvalidInput(f"--name holds a character a name cannot have "
                           f"({odd[0].encode('unicode_escape').decode('ascii')}): "
                           "use letters, digits, spaces and punctuation.")
    return name


def _secret(*, recovery: bool, what: str, twice: bool = False) -> str:
    """The passphrase (or recovery key): from the environment, else asked on a terminal
    (`twice`: a new one, typed again to catch a slip)."""
    env = ENV_RECOVERY_KEY if recovery else ENV_PASSPHRASE
    given = os.environ.get(env)
    if not given and sys.stdin.isatty():
        given = getpass.getpass(f"{what}: ")
        if given and twice and getpass.getpass("Repeat it: ") != given:
            raise InvalidInput("The two passphrases differ.")
    if not given:
        kind = "recovery key" if recovery else "passphrase"
        raise InvalidInput(f"Give the {kind} in {env} or type it on a terminal.")
    try:
        given.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"The {'recovery key' if recovery else 'passphrase'} given is not "
                           "valid UTF-8 text.") from None
    return given


def _secrets(args, what: str, twice: bool = False) -> dict:
    secret = _secret(recovery=args.recovery_key, what=what, twice=twice)
    return {"recovery_key": secret} if args.recovery_key else {"passphrase": secret}


class _SyncSecret:
    """A wrong sync secret opens nothing of this vault: a user error (exit 1), not exit 2."""

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        if isinstance(err, WrongKey):
            raise SyncError(str(err)) from None
        return False


# --- init and join ---------------------------------------------------------------------------
def _init(args) -> None:
    folder, name = _folder(args.folder), _name(args.name)
    vault = open_vault(args)
    try:
        new = not args.recovery_key and not vaults.uses_passphrase(vault.root)
        if args.recovery_key:
            what = "This journal's recovery key (the other device will type it)"
        elif not new:
            what = "This journal's passphrase (the other device will type it)"
        else:   # a journal kept by the keychain alone: sync takes any passphrase chosen now
            what = "A passphrase for the other device to type (this journal has none)"
        secrets = _secrets(args, what, twice=new)
        with _SyncSecret():
            root = service.turn_on(vault, folder, name=name, **secrets)
    finally:
        vault.lock()
    chosen = root.parent.parent
    kind = "recovery key" if args.recovery_key else "passphrase"
    env = ENV_RECOVERY_KEY if args.recovery_key else ENV_PASSPHRASE
    join = "confidant sync join " + shlex.quote(str(chosen)) + \
        (" --recovery-key" if args.recovery_key else "")
    print(shown(f"Sync is on: this journal is sealed into {root}."))
    print("On the other device, once the folder has synced there, run (with that folder's "
          "path on that device):")
    print(f"\n    {shown(join)}\n")
    print(f"It will ask for this journal's {kind} (or set {env}).")


def _join(args) -> None:
    folder, name = _folder(args.folder), _name(args.name)
    root = data_dir_of(args)
    what = ("The first device's recovery key" if args.recovery_key else
            "The first device's passphrase")
    if vaults.exists(root):
        vault = open_vault(args)
        try:
            result = _joined(vault, folder, name, _secrets(args, what))
        finally:
            vault.lock()
    else:
        secrets = _secrets(args, what)
        with _SyncSecret():   # a wrong secret is refused before anything is created
            service.unlock_folder(folder, **secrets)
        passphrase = secrets.get("passphrase") or new_passphrase(optional=True,
                                                                 env=ENV_NEW_PASSPHRASE)
        created = vaults.create_vault(root, passphrase=passphrase)
        try:
            print(f"Vault created in {shown(str(root))}" +
                  (", under the first device's passphrase." if "passphrase" in secrets else "."))
            print("Keychain: the key is kept in the system keychain." if created.in_keychain
                  else "Keychain: none available; the vault opens with its passphrase.")
            print("\nRecovery key of this vault (shown once; store it somewhere safe, away "
                  "from this machine):\n")
            print(f"    {created.recovery_key}\n", flush=True)
            result = _joined(created.vault, folder, name, secrets)
        finally:
            created.vault.lock()
    print(f"Joined: {result.rows} row(s) from {result.snapshots} snapshot(s), then "
          f"{result.applied} segment(s) from other devices applied "
          f"({result.operations} change(s)).")
    _report(result, {})


def _joined(vault, folder: Path, name: str | None, secrets: dict):
    try:
        with _SyncSecret():
            return service.join(vault, folder, name=name, **secrets)
    except OSError as err:   # the folder failed mid-way: not stdout's failure (run_command's)
        raise SyncError(f"The sync folder could not be used ({err.strerror or err}); run "
                        "'confidant sync status' and sync again later.") from err


# --- a round, and what it says ---------------------------------------------------------------
def _now(args) -> None:
    vault = open_vault(args)
    try:
        result = service.sync_now(vault)
        names = {d.device: d.name for d in service.status(vault).devices} \
            if result.waiting else {}
    finally:
        vault.lock()
    print(f"Synced: {result.published} segment(s) sent, {result.applied} applied from other "
          f"devices ({result.operations} change(s)).")
    _report(result, names)


def _report(result, names: dict[str, str]) -> None:
    """Refused files and gaps on stderr, one line each."""
    for line in result.refused:
        print(f"confidant: {shown(line)}", file=sys.stderr)
    for device, seq in sorted(result.waiting.items()):
        who = f"{names[device]} ({device[:8]})" if names.get(device) else device[:8]
        print(f"confidant: waiting for segment {seq} from {shown(who)}; the ones after it "
              "are applied once it arrives.", file=sys.stderr)


def _status(args) -> None:
    vault = open_vault(args)
    try:
        found = service.status(vault)
    finally:
        vault.lock()
    if args.json:
        print(json.dumps(found.as_json(), ensure_ascii=False, indent=1))
        return
    print(shown(found.line()))
    if not found.on:
        return
    print(shown(f"Folder: {found.folder}"))
    print("Devices:")
    for d in found.devices:
        name = shown(d.name or d.device[:8])[:NAME_MAX]
        mark = "this device" if d.this else ("left" if d.left else "")
        seen = shown(d.last_seen)[:19] if d.last_seen else "-"
        what = "written" if d.this else "applied"
        print(f"  {name:<30} {mark:<11} last seen {seen:<19}  segments {what}: {d.applied}")
    print(f"Pending: {found.pending}  Conflicts: {found.conflicts}  Waiting: {found.waiting}  "
          f"In trash: {found.in_trash}")
    if found.blocked:
        print(shown(f"Blocked: {found.blocked}"))


# --- conflicts -------------------------------------------------------------------------------
def _listed(vault) -> list:
    """The conflicts in a stable order, so N means the same in `conflicts` and `resolve`."""
    return sorted(service.conflicts(vault), key=lambda c: (c.table, c.label, c.uid, c.field))


def _others(copy) -> list[str]:
    return [copy.others[k] for k in sorted(copy.others)]


def _short(text) -> str:
    line = shown(" ".join(str(text).split()))
    return line if len(line) <= SHORT else line[:SHORT - 3] + "..."


def _where_they_differ(texts: list[str]) -> int:
    """Where versions that begin alike part: shown from a little before it."""
    same = len(os.path.commonprefix(texts))
    return 0 if same < SHORT // 2 else max(0, same - 20)


def _from(text: str, start: int) -> str:
    return text if start == 0 else "..." + text[start:]


def _conflicts(args) -> None:
    vault = open_vault(args)
    try:
        found = _listed(vault)
    finally:
        vault.lock()
    if args.json:
        print(json.dumps([{"number": n, "table": c.table, "uid": c.uid, "field": c.field,
                           "label": c.label, "current": c.current, "others": _others(c)}
                          for n, c in enumerate(found, 1)], ensure_ascii=False, indent=1))
        return
    if not found:
        print("No conflicts to review.")
        return
    for n, c in enumerate(found, 1):
        print(f"{n:>3}. {_short(c.label)} ({c.table}), {c.field}")
        texts = [str(c.current), *map(str, _others(c))]
        start = _where_they_differ(texts)
        print(f"       current: {_short(_from(texts[0], start))}")
        for k, text in enumerate(texts[1:], 1):
            print(f"       other {k}: {_short(_from(text, start))}")
    print("Keep one: confidant sync resolve N --keep current|other [--other K]")


def _resolve(args) -> None:
    vault = open_vault(args)
    try:
        found = _listed(vault)
        if not found:
            raise InvalidInput("There are no conflicts to resolve.")
        if not 1 <= args.number <= len(found):
            raise InvalidInput(f"There is no conflict {args.number}: 'confidant sync conflicts' "
                               f"lists {len(found)}.")
        copy = found[args.number - 1]
        others = _others(copy)
        if args.keep == "current":
            if args.other is not None:
                raise InvalidInput("--other goes with --keep other.")
            text = copy.current
        else:
            k = args.other or (1 if len(others) == 1 else None)
            if k is None or not 1 <= k <= len(others):
                raise InvalidInput(f"Say which other version to keep: --other 1 to "
                                   f"{len(others)}.")
            text = others[k - 1]
        service.resolve(vault, copy.table, copy.uid, copy.field, text)
    finally:
        vault.lock()
    print(shown(f"Kept the {args.keep} version of {_short(copy.label)}'s {copy.field}; the "
                "other devices get it at the next 'confidant sync now'."))


# --- the Trash ---------------------------------------------------------------------------------
def _trash(args) -> None:
    vault = open_vault(args)
    try:
        found = service.trash(vault)
    finally:
        vault.lock()
    if args.json:
        print(json.dumps([{"number": n, "table": t.table, "uid": t.uid, "label": t.label,
                           "deleted_at": t.deleted_at, "waits_for": t.waits_for}
                          for n, t in enumerate(found, 1)], ensure_ascii=False, indent=1))
        return
    if not found:
        print("The Trash is empty.")
        return
    for n, t in enumerate(found, 1):
        kind = "partner" if t.table == "partner" else "entry"
        after = f"  (after its partner {_short(t.waits_for)})" if t.waits_for else ""
        print(f"{n:>3}. {kind} {_short(t.label)}, deleted {t.deleted_at}{after}")
    print("Bring one back: confidant sync restore N")


def _restore(args) -> None:
    vault = open_vault(args)
    try:
        found = service.trash(vault)
        if not 1 <= args.number <= len(found):
            raise InvalidInput(f"There is no item {args.number} in the Trash: 'confidant sync "
                               f"trash' lists {len(found)}.")
        item = found[args.number - 1]
        service.restore(vault, item.table, item.uid)
    finally:
        vault.lock()
    print(f"Restored {_short(item.label)}; the other devices get it at the next "
          "'confidant sync now'.")


def _leave(args) -> None:
    vault = open_vault(args)
    try:
        service.leave(vault)
    finally:
        vault.lock()
    print("Sync is off for this journal; the journal stays as it is, and the folder's files "
          "stay for the other devices.")
