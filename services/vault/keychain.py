"""The OS keychain through keyring. A missing or broken keychain is a normal case."""

from __future__ import annotations

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

from services.errors import KeychainUnavailable

SERVICE = "Confidant"


def _call(fn, *args):
    try:
        return fn(*args)
    except PasswordDeleteError:
        return None
    except (KeyringError, RuntimeError, OSError) as err:  # fail backend, locked, D-Bus down
        raise KeychainUnavailable(f"The system keychain is not available ({err}).") from err


def available() -> bool:
    backend = keyring.get_keyring()
    priority = getattr(backend, "priority", 0)
    return priority > 0 and "fail" not in type(backend).__module__


def load_key(vault_id: str) -> bytearray | None:
    """The raw key (in a buffer the vault can zero; keyring itself deals in strings, whose hex
    copy Python cannot wipe)."""
    if not available():
        return None
    value = _call(keyring.get_password, SERVICE, vault_id)
    try:
        return bytearray.fromhex(value) if value else None
    except ValueError:
        return None


def store_key(vault_id: str, key) -> bool:
    """Keep the raw key in the keychain; False when there is no keychain."""
    if not available():
        return False
    _call(keyring.set_password, SERVICE, vault_id, key.hex())
    return True


def forget_key(vault_id: str) -> None:
    if available():
        _call(keyring.delete_password, SERVICE, vault_id)
