"""Finding the raw key: a passphrase given (or CONFIDANT_PASSPHRASE), a recovery key given, the
OS keychain, then `ask()`. While a key rotation is unfinished, both keys are found (the new one
first): the database answers to one of them (see services.vault and services.key_rotation)."""

from __future__ import annotations

import os
from collections.abc import Callable

from services import keychain
from services.errors import CorruptVault, KeychainUnavailable, NeedsPassphrase, WrongKey
from services.vault_header import Header, key_check

ENV_PASSPHRASE = "CONFIDANT_PASSPHRASE"


def _unwrap_all(header: Header, secret: str, *, as_passphrase: bool) -> list[bytes]:
    """Every key `secret` unwraps (the new key of an unfinished rotation first); a damaged slot
    is skipped, and reported only if nothing else opened."""
    keys: list[bytes] = []
    damage: CorruptVault | None = None
    for pending in ((True, False) if header.pending is not None else (False,)):
        unwrappers = ((header.unwrap_with_passphrase,) if as_passphrase else ()) + (
            header.unwrap_with_recovery_key,)
        for unwrap in unwrappers:
            try:
                key = unwrap(secret, pending)
            except CorruptVault as err:
                damage = damage or err
                continue
            if key is not None:
                keys.append(key)
                break
    if not keys and damage is not None:
        raise damage
    return keys


def find_keys(header: Header, *, passphrase: str | None, recovery_key: str | None,
              use_keychain: bool, ask: Callable[[], str | None] | None
              ) -> tuple[list[bytes], str]:
    """The raw key and what gave it, in the documented order. While a key rotation is
    unfinished, both keys (the new one first): the database answers to one of them."""
    passphrase = passphrase if passphrase is not None else os.environ.get(ENV_PASSPHRASE)
    if passphrase:
        keys = _unwrap_all(header, passphrase, as_passphrase=True)
        if not keys:
            raise WrongKey("Wrong passphrase." if header.has_passphrase else
                           "This vault has no passphrase; that is not its recovery key either.")
        return keys, "passphrase"
    if recovery_key:
        keys = _unwrap_all(header, recovery_key, as_passphrase=False)
        if not keys:
            raise WrongKey("Wrong recovery key.")
        return keys, "recovery"
    if use_keychain and header.keychain:  # 'always ask' vaults keep nothing in the keychain
        try:
            key = keychain.load_key(header.vault_id)
        except KeychainUnavailable:
            key = None
        keys = [key] if key is not None and key_check(key) == header.check else []
        if header.pending is not None:  # a rotation put the new key beside the old one
            try:
                new = keychain.load_key(pending_account(header.vault_id))
            except KeychainUnavailable:
                new = None
            if new is not None and key_check(new) == header.pending["key_check"]:
                keys.insert(0, new)
        if keys:
            return keys, "keychain"
    if ask is not None:
        answer = ask()
        if answer:
            return find_keys(header, passphrase=answer, recovery_key=None, use_keychain=False,
                             ask=None)
    raise NeedsPassphrase(f"The vault is locked: give its passphrase or recovery key "
                          f"(or set {ENV_PASSPHRASE}).")


def pending_account(vault_id: str) -> str:
    """The keychain entry that holds the new key while a rotation is unfinished."""
    return f"{vault_id}:pending"


def find_key(header: Header, **how) -> tuple[bytes, str]:
    """The one raw key (see find_keys)."""
    keys, source = find_keys(header, **how)
    return keys[0], source
