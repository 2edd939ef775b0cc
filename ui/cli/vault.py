"""The vault's commands: init, demo, passphrase (and --rotate-key), keychain, backup, restore,
check.

Exit codes as in ui/cli/common.py, whose helpers (opening the vault, asking for a passphrase) these
share.
"""

from __future__ import annotations

import sys
from pathlib import Path

from services import vault as vaults
from services.errors import ConfidantError, CorruptVault, InvalidInput
from services.journal import demo
from services.store import use_case
from services.terminal import shown
from services.vault import backup
from ui.cli.common import ENV_NEW_PASSPHRASE, ask, data_dir_of, new_passphrase, open_vault


def cmd_init(args) -> None:
    root = data_dir_of(args)
    if vaults.exists(root):
        raise InvalidInput(vaults.exists_message(root))
    created = vaults.create_vault(root, passphrase=new_passphrase(optional=True,
                                                                  env=vaults.ENV_PASSPHRASE))
    created.vault.lock()
    print(f"Vault created in {root}.")
    print("Keychain: the key is kept in the system keychain." if created.in_keychain else
          "Keychain: none available; the vault opens with its passphrase.")
    print("\nRecovery key (shown once; store it somewhere safe, away from this machine):\n")
    print(f"    {created.recovery_key}\n")


def cmd_demo(args) -> None:
    root = data_dir_of(args)
    if not vaults.exists(root):
        cmd_init(args)
    vault = open_vault(args)
    try:
        with use_case(vault, write=True) as session:
            counts = demo.load_sample(session=session)
    finally:
        vault.lock()
    print("Sample journal loaded: " + ", ".join(f"{n} {k.replace('_', ' ')}"
                                                for k, n in counts.items()) + ".")


def cmd_passphrase(args) -> None:
    vault = open_vault(args)  # proves the caller may open it
    try:
        if args.rotate_key:
            return _rotate_key(vault)
        new = new_passphrase(optional=False, env=ENV_NEW_PASSPHRASE)
        if not new:
            raise InvalidInput(f"Give the new passphrase on a terminal or in "
                               f"{ENV_NEW_PASSPHRASE}.")
        vaults.set_passphrase(vault.root, key=vault.key, new_passphrase=new)
    finally:
        vault.lock()
    print("Passphrase changed.")


def _rotate_key(vault) -> None:
    from services.vault.key_rotation import finish_rotation, rotate_key

    optional = not vaults.uses_passphrase(vault.root)
    new = new_passphrase(optional=optional, env=ENV_NEW_PASSPHRASE)
    if not new and not optional:
        raise InvalidInput(f"Give the passphrase (the current one or a new one) on a terminal "
                           f"or in {ENV_NEW_PASSPHRASE}: the new key is kept under it.")
    recovery = rotate_key(vault, passphrase=new or None)
    # the old recovery key is retired only once the new one has reached the terminal or file
    print("The journal is re-encrypted under a new key" +
          (" kept under the passphrase given." if new else "."))
    print("\nNew recovery key (shown once; the old one no longer opens the journal):\n")
    print(f"    {recovery}\n", flush=True)
    try:
        finish_rotation(vault)
    except ConfidantError as err:
        print(f"confidant: {shown(str(err))} The new recovery key works; so does the old one "
              "until a rotation finishes.", file=sys.stderr)


def cmd_keychain(args) -> None:
    vault = open_vault(args)
    try:
        kept = vaults.set_keychain(vault.root, key=vault.key, remember=args.action == "remember")
    finally:
        vault.lock()
    print("The key is in the system keychain: the journal opens without a prompt." if kept else
          "The key is no longer in the keychain: Confidant will ask for the passphrase.")



def cmd_backup(args) -> None:
    vault = open_vault(args)
    try:
        target = backup.backup(vault=vault, target=Path(args.output))
    finally:
        vault.lock()
    print(f"Backup written to {target} ({target.stat().st_size:,} bytes, encrypted; every "
          "page verified).")


def cmd_check(args) -> int:
    """The integrity check as a plain report: exit 0 when whole, 1 when damaged."""
    from services.vault import check

    try:
        vault = open_vault(args)
    except CorruptVault as err:  # damaged past opening: that is the report
        print(f"{data_dir_of(args)}: the vault cannot be opened.\n{err}")
        return 1
    try:
        found = check.check_journal(vault=vault)
    finally:
        vault.lock()
    print("\n".join(found.lines()))
    return 0 if found.ok else 1


def _confirm_restore(args):
    """Whether to restore a backup of another journal: --yes, or asked on a terminal."""
    def confirm(warning: str) -> bool:
        if args.yes:
            return True
        if not sys.stdin.isatty():
            raise InvalidInput(f"{warning} Run again with --yes to restore it anyway.")
        print(f"confidant: {shown(warning)}", file=sys.stderr)
        return input("Restore it anyway? [y/N] ").strip().lower() in ("y", "yes")
    return confirm


def cmd_restore(args) -> None:
    aside = backup.restore(root=data_dir_of(args), source=Path(args.file), ask=ask,
                           confirm=_confirm_restore(args))
    print(f"Restored. The previous vault is kept in {aside}.")
