"""Finding the raw key: a passphrase given (or CONFIDANT_PASSPHRASE), a recovery key given, the
OS keychain, then `ask()`.

Every key a secret unwraps counts, in any generation the header holds (a rotation's pending key,
the current one, keys an interrupted rotation retired), and so does every later key each leads to
through the header's chain of successors: the passphrase and every recovery key shown to the
user keep opening the journal until a rotation has finished. The database decides which key is
the one (services.vault tries them newest first)."""

from __future__ import annotations

import os
from collections.abc import Callable

from services.errors import CorruptVault, KeychainUnavailable, NeedsPassphrase, WrongKey
from services.vault import keychain
from services.vault.vault_header import Header, key_check

ENV_PASSPHRASE = "CONFIDANT_PASSPHRASE"


def _with_successors(header: Header, keys: list[bytearray]) -> list[bytearray]:
    """The keys and every later key they lead to, newest generation first, each once."""
    order = {check: n for n, check in enumerate(header.checks())}
    found: dict[str, bytearray] = {}
    for key in keys:
        for link in header.chain_from(key):
            found.setdefault(key_check(link), link)
    return sorted(found.values(), key=lambda k: order.get(key_check(k), len(order)))


def _unwrap_all(header: Header, secret: str, *, as_passphrase: bool) -> list[bytearray]:
    """Every key `secret` unwraps in any generation; a damaged slot is skipped, and reported
    only if nothing else opened."""
    keys: list[bytearray] = []
    damage: CorruptVault | None = None
    sets = [(header, True)] if header.pending is not None else []
    sets += [(header, False)] + [(old, False) for old in header.retired_headers()]
    for holder, pending in sets:
        unwrappers = ((holder.unwrap_with_passphrase,) if as_passphrase else ()) + (
            holder.unwrap_with_recovery_key,)
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
    return _with_successors(header, keys)


def _refused(header: Header, message: str) -> WrongKey | CorruptVault:
    if header.tampered:  # a changed vault id or key check makes every secret look wrong
        return CorruptVault("The vault header was changed or damaged (its checksum does not "
                            "match), so the passphrase cannot be checked: restore "
                            "vault.header from a backup.")
    return WrongKey(message)


def _keychain_keys(header: Header) -> list[bytearray]:
    """The keychain's entries (the main one, and a rotation's new key) that the header knows;
    any entry when the header's key check is damaged: the database decides then."""
    keys, known = [], header.checks()
    for account in (header.vault_id, pending_account(header.vault_id)):
        try:
            key = keychain.load_key(account)
        except KeychainUnavailable:
            key = None
        if key is not None and (key_check(key) in known or not header.check):
            keys.append(bytearray(key))
    return _with_successors(header, keys)


def find_keys(header: Header, *, passphrase: str | None, recovery_key: str | None,
              use_keychain: bool, ask: Callable[[], str | None] | None
              ) -> tuple[list[bytearray], str]:
    """The candidate raw keys, newest first, and what gave them, in the documented order."""
    passphrase = passphrase if passphrase is not None else os.environ.get(ENV_PASSPHRASE)
    if passphrase:
        keys = _unwrap_all(header, passphrase, as_passphrase=True)
        if not keys:
            raise _refused(header, "Wrong passphrase." if header.has_passphrase else
                           "This vault has no passphrase; that is not its recovery key either.")
        return keys, "passphrase"
    if recovery_key:
        keys = _unwrap_all(header, recovery_key, as_passphrase=False)
        if not keys:
            raise _refused(header, "Wrong recovery key.")
        return keys, "recovery"
    if use_keychain and header.keychain:  # 'always ask' vaults keep nothing in the keychain
        keys = _keychain_keys(header)
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
