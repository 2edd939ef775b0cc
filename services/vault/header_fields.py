"""The vault header's fields, checked one by one before anything is derived from them: sizes of
the base64 fields, scrypt's cost parameters (capped before scrypt runs), key checks, slot sets,
sealed successor keys, and the checksum that tells a changed header from a wrong passphrase.
Every failure is a ValueError naming the field; services.vault.vault_header turns it into one
CorruptVault line."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

# What a header may ask of scrypt: n a power of two in [2**14, 2**20], r 1..16, p 1..4, and at
# most 256 MiB (128 * r * n bytes); ours is 2**17, 8, 1 (128 MiB, 0.3 s).
SCRYPT_N_RANGE, SCRYPT_R_MAX, SCRYPT_P_MAX = (2**14, 2**20), 16, 4
SCRYPT_MAX_MEMORY = 256 * 2**20
KEY_BYTES, NONCE_BYTES, TAG_BYTES = 32, 12, 16


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)


def field_bytes(slot: dict, name: str, sizes: range) -> bytes:
    value = slot.get(name)
    if not isinstance(value, str):
        raise ValueError(f"its {name} is missing")
    try:
        raw = unb64(value)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ValueError(f"its {name} is not base64") from None
    if len(raw) not in sizes:
        raise ValueError(f"its {name} has the wrong length")
    return raw


def whole_number(slot: dict, name: str) -> int:
    value = slot.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"its {name} is not a number")
    return value


def check_scrypt(n: int, r: int, p: int) -> None:
    """Refuse cost parameters that would fail, hang or exhaust memory, before running them."""
    low, high = SCRYPT_N_RANGE
    if not (low <= n <= high and n & (n - 1) == 0):
        raise ValueError(f"scrypt n={n} is outside 2**14..2**20 or not a power of two")
    if not (1 <= r <= SCRYPT_R_MAX and 1 <= p <= SCRYPT_P_MAX):
        raise ValueError(f"scrypt r={r}, p={p} are out of range")
    if 128 * r * n > SCRYPT_MAX_MEMORY:
        raise ValueError("scrypt would need more than 256 MiB")


def slot_problem(name: str, slot) -> str | None:
    """Why a slot cannot be used, or None if it is well formed."""
    if not isinstance(slot, dict):
        return "it is not an object"
    try:
        if name == "passphrase":
            if slot.get("kdf") != "scrypt":
                raise ValueError("its kdf is not scrypt")
            check_scrypt(whole_number(slot, "n"), whole_number(slot, "r"), whole_number(slot, "p"))
        elif slot.get("kdf") != "hkdf-sha256":
            raise ValueError("its kdf is not hkdf-sha256")
        field_bytes(slot, "salt", range(16, 65))
        field_bytes(slot, "nonce", range(NONCE_BYTES, NONCE_BYTES + 1))
        field_bytes(slot, "sealed", range(KEY_BYTES + TAG_BYTES, KEY_BYTES + TAG_BYTES + 1))
    except ValueError as err:
        return str(err)
    return None


def check_hex(value, what: str) -> str:
    if not isinstance(value, str) or len(value) != 32 or \
            any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"{what} is not 32 hex digits")
    return value


def lenient_check(value) -> str:
    """A key check as stored; a damaged one (not 32 hex digits) is kept as '' (unknown): the
    slots' AES-GCM tags still say whether their key is authentic."""
    if not isinstance(value, str):
        raise ValueError("key_check is not text")
    try:
        return check_hex(value, "key_check")
    except ValueError:
        return ""


def checksum(data: dict) -> str:
    body = {k: v for k, v in data.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()[:32]


def sealed_key(value) -> dict:
    if not isinstance(value, dict):
        raise ValueError("successor is not an object")
    field_bytes(value, "nonce", range(NONCE_BYTES, NONCE_BYTES + 1))
    field_bytes(value, "sealed", range(KEY_BYTES + TAG_BYTES, KEY_BYTES + TAG_BYTES + 1))
    return {"nonce": value["nonce"], "sealed": value["sealed"]}


def slot_set(value) -> dict[str, dict]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError("slots is not an object")
    return dict(value)
