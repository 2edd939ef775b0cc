"""The small header file beside the database: the raw key, wrapped.

Two slots can unwrap it: the passphrase (scrypt, then AES-256-GCM) and the recovery key shown
once at creation (high entropy, so HKDF is enough). Nothing in it is readable without one of
them; `key_check` lets a keychain key be tested without touching the database.

The file is untrusted input: its structure is checked completely when it is read, and scrypt's
cost parameters are capped before scrypt runs. A damaged header is a `CorruptVault`; a damaged
slot is noted in `problems`, so the other slot (or the keychain) can still open the vault.

While the encryption key is being rotated, `pending` holds the new key's check and slots beside
the current ones, and `successors` holds each older key's successor sealed under that older key:
every passphrase and recovery key that was ever shown keeps opening the journal (through the
chain) until the user has seen the new recovery key and the rotation is finished. Keys that an
interrupted rotation left behind are `retired` slot sets, still chained forward.

A `checksum` over the rest tells a damaged header (a changed vault id, a changed key check) from
a wrong passphrase; AES-GCM, not the key check, decides whether a slot's key is authentic.
"""

from __future__ import annotations

import base64
import errno
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

from services.errors import CorruptVault, HeaderUncertain, InvalidInput, ReadOnlyJournal
from services.files import file_error, fsync_dir, replace_private_file
from services.vault.header_fields import (  # noqa: F401 - check_scrypt: part of the interface
    KEY_BYTES,
    NONCE_BYTES,
    check_hex,
    check_scrypt,
    checksum,
    lenient_check,
    sealed_key,
    slot_problem,
    slot_set,
    unb64,
)

FORMAT = "confidant-vault/1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
RECOVERY_BYTES = 20  # 160 bits, 32 base32 characters
MAX_HEADER_BYTES = 64 * 1024
MAX_RETIRED = 8  # slot sets an interrupted rotation may leave behind
DAMAGED = "The vault header is damaged or not a Confidant header"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def key_check(key: bytes) -> str:
    return hmac.new(key, b"confidant-key-check", hashlib.sha256).hexdigest()[:32]


def new_key() -> bytearray:
    """A random 256-bit key in a mutable buffer (it can be zeroed; bytes cannot)."""
    key = bytearray(KEY_BYTES)
    if os.name == "posix":
        with open("/dev/urandom", "rb", buffering=0) as fh:
            if fh.readinto(key) == KEY_BYTES:
                return key
    key[:] = secrets.token_bytes(KEY_BYTES)
    return key


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
    # a key rotation in progress: {"key_check": ..., "slots": {...}} for the new key
    pending: dict | None = None
    # slot sets of keys an interrupted rotation left behind: [{"key_check", "slots"}], oldest
    # first; each still opens the journal through `successors`
    retired: list[dict] = field(default_factory=list)
    # key check -> the next key, sealed under the key with that check (AES-GCM)
    successors: dict[str, dict] = field(default_factory=dict)
    tampered: bool = False  # the file's checksum did not match what it holds

    def problem(self, slot: str, pending: bool = False) -> str | None:
        slots = self.pending["slots"] if pending else self.slots
        return slot_problem(slot, slots[slot]) if slot in slots else None

    def damaged_slot(self, slot: str) -> CorruptVault:
        return CorruptVault(f"The vault header's {slot} slot is damaged "
                            f"({self.problem(slot)}): open the journal with "
                            + ("the recovery key" if slot == "passphrase" else "the passphrase")
                            + " or restore a backup.")

    # --- wrapping ----------------------------------------------------------------------------
    def _wrap(self, slot: str, wrapping_key: bytes, key: bytes, extra: dict) -> None:
        nonce = os.urandom(12)
        sealed = AESGCM(wrapping_key).encrypt(nonce, key, self._aad(slot))
        self.slots[slot] = {**extra, "nonce": _b64(nonce), "sealed": _b64(sealed)}

    def _open_sealed(self, data: dict, wrapping_key: bytes, aad: bytes) -> bytearray | None:
        """The key sealed in `data`, or None: the AES-GCM tag, not the key check, decides."""
        key = bytearray(KEY_BYTES)  # decrypted in place: no immutable copy of the key
        try:
            AESGCM(bytes(wrapping_key)).decrypt_into(unb64(data["nonce"]),
                                                     unb64(data["sealed"]), aad, key)
        except InvalidTag:
            return None
        return key

    def _unwrap(self, slot: str, wrapping_key: bytes, pending: bool = False) -> bytes | None:
        data = (self.pending["slots"] if pending else self.slots)[slot]
        return self._open_sealed(data, wrapping_key, self._aad(slot))

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

    def unwrap_with_passphrase(self, passphrase: str, pending: bool = False
                               ) -> bytearray | None:
        """The key, None for a wrong passphrase; CorruptVault if the slot is damaged."""
        slots = self.pending["slots"] if pending else self.slots
        slot = slots.get("passphrase")
        if not slot:
            return None
        if self.problem("passphrase", pending):
            raise self.damaged_slot("passphrase")
        wrapping = _scrypt(passphrase, unb64(slot["salt"]), slot["n"], slot["r"], slot["p"])
        return self._unwrap("passphrase", wrapping, pending)

    def unwrap_with_recovery_key(self, recovery_key: str, pending: bool = False
                                 ) -> bytearray | None:
        slots = self.pending["slots"] if pending else self.slots
        slot = slots.get("recovery")
        if not slot or len(normalise_recovery_key(recovery_key)) != RECOVERY_BYTES * 8 // 5:
            return None
        if self.problem("recovery", pending):
            raise self.damaged_slot("recovery")
        return self._unwrap("recovery", _hkdf(recovery_key, unb64(slot["salt"])), pending)

    # --- generations of keys -----------------------------------------------------------------
    def checks(self) -> list[str]:
        """Every key check the header knows, newest first (pending, current, retired)."""
        newest = [self.pending["key_check"]] if self.pending is not None else []
        return newest + [self.check] + [r["key_check"] for r in reversed(self.retired)]

    def retired_headers(self) -> list[Header]:
        """The retired slot sets, newest first, each as a header of its own to unwrap with."""
        return [Header(self.vault_id, r["key_check"], dict(r["slots"]))
                for r in reversed(self.retired)]

    def successor_of(self, key: bytes) -> bytearray | None:
        """The next key in the chain, opened with `key`, or None (the newest key)."""
        sealed = self.successors.get(key_check(key))
        if sealed is None:
            return None
        return self._open_sealed(sealed, key, self._aad(f"successor:{key_check(key)}"))

    def chain_from(self, key: bytes) -> list[bytearray]:
        """`key` and every later key it leads to, newest first (at most one per generation)."""
        chain = [bytearray(key)]
        for _ in range(len(self.retired) + 2):
            following = self.successor_of(chain[0])
            if following is None:
                break
            chain.insert(0, following)
        return chain

    # --- key rotation ------------------------------------------------------------------------
    def begin_rotation(self, current_key: bytes, new_key: bytes, passphrase: str | None,
                       recovery_key: str) -> None:
        """Keep the new key's slots beside the current ones until the user has seen the new
        recovery key; the current key opens the new one through `successors`.

        An earlier rotation left unfinished is first settled by the key the journal answers
        to (`current_key`): abandoned if its rekey never committed, otherwise its slots become
        current and the older ones are retired (still chained forward)."""
        if self.pending is not None:
            if key_check(current_key) == self.pending["key_check"]:
                self.retired.append({"key_check": self.check, "slots": self.slots})
                self.check, self.slots = self.pending["key_check"], dict(self.pending["slots"])
                self.pending = None
            else:
                self.abandon_rotation()
        staged = Header(self.vault_id, key_check(new_key))
        if passphrase:
            staged.set_passphrase(new_key, passphrase)
        staged.set_recovery_key(new_key, recovery_key)
        self.pending = {"key_check": staged.check, "slots": staged.slots}
        current = key_check(current_key)
        nonce = os.urandom(NONCE_BYTES)
        self.successors[current] = {"nonce": _b64(nonce), "sealed": _b64(AESGCM(
            bytes(current_key)).encrypt(nonce, bytes(new_key),
                                        self._aad(f"successor:{current}")))}

    def finish_rotation(self) -> None:
        """The user has seen the new recovery key: the new key's slots become the only ones,
        and every older key (its passphrase, its recovery key, old header copies) opens
        nothing more."""
        if self.pending is not None:
            self.check, self.slots, self.pending = (self.pending["key_check"],
                                                    dict(self.pending["slots"]), None)
        self.retired, self.successors = [], {}

    def abandon_rotation(self) -> None:
        """The rekey never committed: the new key and its recovery key are worthless."""
        if self.pending is not None:
            self.successors.pop(self.check, None)
        self.pending = None

    # --- the file ----------------------------------------------------------------------------
    def to_json(self) -> str:
        data = {"format": FORMAT, "vault_id": self.vault_id, "key_check": self.check,
                "keychain": self.keychain, "slots": self.slots}
        if self.pending is not None:
            data["pending"] = self.pending
        if self.retired:
            data["retired"] = self.retired
        if self.successors:
            data["successors"] = self.successors
        data["checksum"] = checksum(data)
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Header:
        """The header, its structure checked; CorruptVault (one line) for anything else."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("unknown format")
            vault_id = data.get("vault_id")
            if not isinstance(vault_id, str) or not 1 <= len(vault_id) <= 64 or \
                    not vault_id.isprintable():
                raise ValueError("vault_id")
            keychain = data.get("keychain", False)
            if not isinstance(keychain, bool):
                raise ValueError("keychain")
            pending = data.get("pending")
            if pending is not None:
                if not isinstance(pending, dict):
                    raise ValueError("pending")
                pending = {"key_check": check_hex(pending.get("key_check"), "pending"),
                           "slots": slot_set(pending.get("slots"))}
            retired = data.get("retired", [])
            if not isinstance(retired, list) or len(retired) > MAX_RETIRED or \
                    not all(isinstance(r, dict) for r in retired):
                raise ValueError("retired")
            retired = [{"key_check": check_hex(r.get("key_check"), "retired"),
                        "slots": slot_set(r.get("slots"))} for r in retired]
            successors = data.get("successors", {})
            if not isinstance(successors, dict) or len(successors) > MAX_RETIRED + 1:
                raise ValueError("successors")
            successors = {check_hex(k, "successor"): sealed_key(v) for k, v in successors.items()}
            stored = data.get("checksum")
            return cls(vault_id=vault_id, check=lenient_check(data.get("key_check")),
                       slots=slot_set(data.get("slots")), keychain=keychain, pending=pending,
                       retired=retired, successors=successors,
                       tampered=stored is not None and stored != checksum(data))
        except (ValueError, TypeError, RecursionError) as err:
            raise CorruptVault(f"{DAMAGED}.") from err


def read_header(path: Path) -> Header:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_HEADER_BYTES + 1)
    except FileNotFoundError:
        raise
    except OSError as err:
        raise CorruptVault(f"The vault header {path.name} cannot be read "
                           f"({err.strerror or err}).") from err
    if len(raw) > MAX_HEADER_BYTES:
        raise CorruptVault(f"{DAMAGED} (too large).")
    try:
        return Header.from_json(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise CorruptVault(f"{DAMAGED}.") from err


def write_header(path: Path, header: Header) -> None:
    """Replace the header atomically: a failure at any step (a full disk, an I/O error, even
    after the rename) leaves the old header, and says so; a crash leaves the old or the new."""
    try:
        replace_private_file(path, header.to_json().encode("utf-8"))
    except OSError as err:
        if err.errno == errno.EROFS:
            raise ReadOnlyJournal(f"The journal's folder is read-only: {path.name} was not "
                                  "changed.") from err
        if getattr(err, "applied", False):
            raise HeaderUncertain(f"The disk failed while saving {path.name} "
                                  f"({err.strerror or err}): the change may or may not be in "
                                  "place. Check the disk, then try the old and the new "
                                  "passphrase.") from err
        raise file_error(err, path) from err


__all__ = ["Header", "fsync_dir", "key_check", "new_recovery_key", "read_header",
           "write_header"]
