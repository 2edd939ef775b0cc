"""The small header file beside the database: the raw key, wrapped.

Two slots can unwrap it: the passphrase (scrypt, then AES-256-GCM) and the recovery key shown
once at creation (high entropy, so HKDF is enough). Nothing in it is readable without one of
them; `key_check` lets a keychain key be tested without touching the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from services.errors import CorruptVault, InvalidInput

FORMAT = "confidant-vault/1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
RECOVERY_BYTES = 20  # 160 bits, 32 base32 characters


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())


def key_check(key: bytes) -> str:
    return hmac.new(key, b"confidant-key-check", hashlib.sha256).hexdigest()[:32]


def new_recovery_key() -> str:
    raw = base64.b32encode(secrets.token_bytes(RECOVERY_BYTES)).decode()
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def normalise_recovery_key(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _hkdf(recovery_key: str, salt: bytes) -> bytes:
    material = normalise_recovery_key(recovery_key).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                info=b"confidant-recovery").derive(material)


@dataclass
class Header:
    vault_id: str
    check: str
    slots: dict[str, dict] = field(default_factory=dict)
    keychain: bool = False

    # --- wrapping ----------------------------------------------------------------------------
    def _wrap(self, slot: str, wrapping_key: bytes, key: bytes, extra: dict) -> None:
        nonce = os.urandom(12)
        sealed = AESGCM(wrapping_key).encrypt(nonce, key, self._aad(slot))
        self.slots[slot] = {**extra, "nonce": _b64(nonce), "sealed": _b64(sealed)}

    def _unwrap(self, slot: str, wrapping_key: bytes) -> bytes | None:
        data = self.slots[slot]
        try:
            key = AESGCM(wrapping_key).decrypt(_unb64(data["nonce"]), _unb64(data["sealed"]),
                                               self._aad(slot))
        except InvalidTag:
            return None
        return key if key_check(key) == self.check else None

    def _aad(self, slot: str) -> bytes:
        return f"{FORMAT}:{self.vault_id}:{slot}".encode()

    def set_passphrase(self, key: bytes, passphrase: str) -> None:
        if len(passphrase) < 8:
            raise InvalidInput("A passphrase needs at least 8 characters.")
        salt = os.urandom(16)
        wrapping = _scrypt(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        self._wrap("passphrase", wrapping, key,
                   {"kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                    "salt": _b64(salt)})

    def set_recovery_key(self, key: bytes, recovery_key: str) -> None:
        salt = os.urandom(16)
        self._wrap("recovery", _hkdf(recovery_key, salt), key,
                   {"kdf": "hkdf-sha256", "salt": _b64(salt)})

    @property
    def has_passphrase(self) -> bool:
        return "passphrase" in self.slots

    def unwrap_with_passphrase(self, passphrase: str) -> bytes | None:
        slot = self.slots.get("passphrase")
        if not slot:
            return None
        wrapping = _scrypt(passphrase, _unb64(slot["salt"]), slot["n"], slot["r"], slot["p"])
        return self._unwrap("passphrase", wrapping)

    def unwrap_with_recovery_key(self, recovery_key: str) -> bytes | None:
        slot = self.slots.get("recovery")
        if not slot or len(normalise_recovery_key(recovery_key)) != RECOVERY_BYTES * 8 // 5:
            return None
        return self._unwrap("recovery", _hkdf(recovery_key, _unb64(slot["salt"])))

    # --- the file ----------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "vault_id": self.vault_id, "key_check": self.check,
                           "keychain": self.keychain, "slots": self.slots}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Header:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError("unknown format")
            return cls(vault_id=str(data["vault_id"]), check=str(data["key_check"]),
                       slots=dict(data["slots"]), keychain=bool(data.get("keychain")))
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise CorruptVault("The vault header is damaged or not a Confidant header.") from err


def read_header(path: Path) -> Header:
    try:
        return Header.from_json(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise CorruptVault("The vault header is damaged or not a Confidant header.") from err


def write_header(path: Path, header: Header) -> None:
    """Replace the header atomically: a crash leaves the old one or the new one, never half."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(header.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    if os.name == "posix":
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
