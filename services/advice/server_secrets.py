"""A model server's API key: where it may come from, and what it may never be.

The key comes from an environment variable the user names, or from the system keychain. Secrets
go only where they were meant to: the variable may not be one of Confidant's own (CONFIDANT_*),
and the key may not be the vault's passphrase or recovery key, whichever way it arrived. The
key is checked when the server is added and again each time it is about to be sent (a variable
can change, and the passphrase in use may never have been in the environment: it is checked
against the vault header itself). Refusals name the variable, never its value.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from services.errors import ConfidantError, InvalidInput, ServerFailed

OURS = "CONFIDANT_"
KEYCHAIN_PREFIX = "model-server:"
NEVER_SENT = "it is never sent to a model server"

_not_vault_keys: set[bytes] = set()   # (header stamp, key) digests known not to open the vault


def ours(variable: str) -> bool:
    return variable.upper().startswith(OURS)


def check_variable(variable: str, error: type[ConfidantError] = InvalidInput) -> None:
    if ours(variable):
        raise error(f"{variable} is one of Confidant's own variables: {NEVER_SENT}; put the "
                    "server's API key in a variable of its own.")


def sendable(key: str, *, source: str,
             error: type[ConfidantError] = InvalidInput) -> str:
    """The key as it is sent: outer spaces and a 'Bearer ' the user typed are dropped (we add
    our own); a key with spaces, tabs or control characters inside is refused, so what is
    checked below is exactly what would be sent."""
    key = key.strip()
    if key[:7].lower() == "bearer ":
        key = key[7:].strip()
    if not key or not key.isprintable() or any(c.isspace() for c in key):
        raise error(f"{source} is not an API key (empty, or with spaces or control "
                    "characters inside).")
    return key


def check_key(key: str, *, source: str, header: Path | None,
              error: type[ConfidantError] = InvalidInput) -> str:
    """The key to send, refused if it equals or holds a CONFIDANT_* variable's value, or opens
    the vault (its passphrase or recovery key). `source` names where the key came from."""
    key = sendable(key, source=source, error=error)
    secret = os.fsencode(key)
    for name, value in os.environ.items():
        if ours(name) and value and (hmac.compare_digest(os.fsencode(value), secret) or (
                len(value) >= 8 and os.fsencode(value) in secret)):
            raise error(f"{source} holds the value of {name}: {NEVER_SENT}.")
    if header is not None and opens_vault(header, key):
        raise error(f"{source} holds the vault's passphrase or recovery key: {NEVER_SENT}.")
    return key


def opens_vault(header_path: Path, key: str) -> bool:
    """Whether `key` unwraps the vault's key (scrypt: about 0.3 s; a key found not to is
    remembered, by digest, until the header changes)."""
    from services.vault.vault_header import read_header

    try:
        stat = header_path.stat()
    except OSError:
        return False
    stamp = f"{header_path.resolve()}\0{stat.st_mtime_ns}\0{stat.st_size}\0".encode()
    digest = hashlib.sha256(stamp + os.fsencode(key)).digest()
    if digest in _not_vault_keys:
        return False
    try:
        header = read_header(header_path)
        found = header.unwrap_with_recovery_key(key) or \
            (header.unwrap_with_passphrase(key) if len(key) >= 8 else None)
    except (ConfidantError, OSError, ValueError):
        found = None     # a header that cannot be read decides nothing; the vault is open
    if found is None:
        _not_vault_keys.add(digest)
        return False
    found[:] = bytes(len(found))   # the vault's key: not kept
    return True


def api_key(settings) -> str | None:
    """The key to send to the server `settings` names (ServerSettings), checked now."""
    header = Path(settings.vault_header) if settings.vault_header else None
    if settings.key_in_keychain:
        from services.vault import keychain

        if not keychain.available():
            raise ServerFailed(f"The API key of {settings.name} is in the system keychain, "
                               "which is not available.")
        import keyring

        key = keychain._call(keyring.get_password, keychain.SERVICE,
                             KEYCHAIN_PREFIX + settings.name)
        if not key:
            raise ServerFailed(f"The API key of {settings.name} is missing from the keychain.")
        return check_key(key, source=f"The API key of {settings.name} in the keychain",
                         header=header, error=ServerFailed)
    if settings.api_key_env:
        check_variable(settings.api_key_env, ServerFailed)
        key = os.environ.get(settings.api_key_env)
        if not key:
            raise ServerFailed(f"The API key variable {settings.api_key_env} is not set.")
        return check_key(key, source=f"The API key variable {settings.api_key_env}",
                         header=header, error=ServerFailed)
    return None


def store_key(name: str, key: str) -> None:
    """Keep a server's API key in the system keychain (never in a plain file)."""
    from services.vault import keychain

    if not keychain.available():
        raise InvalidInput("No system keychain here: give the key with --api-key-env instead.")
    import keyring

    keychain._call(keyring.set_password, keychain.SERVICE, KEYCHAIN_PREFIX + name, key)


def forget_key(name: str) -> None:
    from services.vault import keychain

    if keychain.available():
        import keyring

        keychain._call(keyring.delete_password, keychain.SERVICE, KEYCHAIN_PREFIX + name)
