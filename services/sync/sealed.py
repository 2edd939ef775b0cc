"""Sealed files in the sync folder: segments (a device's operations) and snapshots.

A file is: "CFS1", its kind (S segment, N snapshot), the device (16 bytes), the sequence number
(8 bytes), a random 12-byte nonce, then AES-256-GCM over the padded payload. The associated
data binds the journal, the kind, the device and the number, so a file copied to another
device's folder, renamed to another number or changed by one bit does not open. The payload is
zlib-compressed JSON, padded to a multiple of 4 KiB so its size says little about the text.

Every file in the folder is untrusted input: sizes are capped before reading, and a file that
does not open is refused with one line naming it. Nothing in a refused file is ever applied.
"""

from __future__ import annotations

import json
import os
import re
import struct
import uuid
import zlib
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services import files

MAGIC = b"CFS1"
HEAD = struct.Struct(">4sc16sQ12s")   # magic, kind, device, seq, nonce
PAD = 4096
MAX_SEGMENT = 64 * 1024 * 1024
MAX_SNAPSHOT = 2 * 1024 * 1024 * 1024
MAX_INFLATED = 4 * 1024 * 1024 * 1024
SEGMENT_NAME = re.compile(r"^(\d{8})\b.*\.cfs$")        # "00000012.cfs", "00000012 (conflicted copy).cfs"
SNAPSHOT_NAME = re.compile(r"^snapshot-(\d{8})\b.*\.cfs$")


class Refused(ValueError):
    """A file in the sync folder that is not what its name says: one line for the user."""


def segment_name(seq: int) -> str:
    return f"{seq:08d}.cfs"


def snapshot_name(seq: int) -> str:
    return f"snapshot-{seq:08d}.cfs"


def _aad(journal: str, kind: bytes, device: str, seq: int) -> bytes:
    return MAGIC + kind + uuid.UUID(journal).bytes + uuid.UUID(device).bytes + seq.to_bytes(8, "big")


def seal(key: bytes, journal: str, kind: bytes, device: str, seq: int, payload: dict) -> bytes:
    body = zlib.compress(json.dumps(payload, separators=(",", ":"),
                                    ensure_ascii=False).encode(), 6)
    plain = len(body).to_bytes(8, "big") + body
    plain += bytes(-len(plain) % PAD)
    nonce = os.urandom(12)
    head = HEAD.pack(MAGIC, kind, uuid.UUID(device).bytes, seq, nonce)
    return head + AESGCM(key).encrypt(nonce, plain, _aad(journal, kind, device, seq))


def open_file(path: Path, key: bytes, journal: str, kind: bytes, device: str,
              seq: int) -> dict:
    """The payload of the file at `path`, which must be `device`'s `kind` number `seq`."""
    what = f"{path.parent.name[:8]}/{path.name}"
    limit = MAX_SNAPSHOT if kind == b"N" else MAX_SEGMENT
    try:
        size = path.stat().st_size
        if size > limit:
            raise Refused(f"{what} is refused: {size} bytes is larger than a sync file can be.")
        data = path.read_bytes()
    except OSError as err:
        raise Refused(f"{what} could not be read ({err.strerror or err}).") from err
    if len(data) < HEAD.size + 16 or not data.startswith(MAGIC):
        raise Refused(f"{what} is refused: it is not a Confidant sync file, or it was cut short.")
    magic, got_kind, got_device, got_seq, nonce = HEAD.unpack_from(data)
    if got_kind != kind or uuid.UUID(bytes=got_device).hex != device or got_seq != seq:
        raise Refused(f"{what} is refused: it holds another device's or another number's "
                      "changes (a file moved or renamed).")
    try:
        plain = AESGCM(key).decrypt(nonce, data[HEAD.size:], _aad(journal, kind, device, seq))
    except InvalidTag:
        raise Refused(f"{what} is refused: it does not match its seal (changed, cut short, "
                      "or sealed with another journal's key).") from None
    del data   # a snapshot is tens of MB: each copy goes as soon as the next is made
    length = int.from_bytes(plain[:8], "big")
    try:
        inflater = zlib.decompressobj()
        body = inflater.decompress(memoryview(plain)[8:8 + length], MAX_INFLATED)
        del plain
        payload = json.loads(body)
    except (zlib.error, ValueError) as err:
        raise Refused(f"{what} is refused: its contents do not read ({err}).") from err
    if not isinstance(payload, dict):
        raise Refused(f"{what} is refused: its contents are not a sync payload.")
    return payload


def write_new(folder: Path, name: str, data: bytes) -> Path:
    """Write a file the folder never had, under a temporary name, then rename it into place."""
    files.private_dir(folder)
    target = folder / name
    tmp = folder / f".{name}.{os.urandom(4).hex()}.tmp"
    try:
        with open(tmp, "xb", opener=files.private_opener) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        files.fsync_dir(folder)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def remove_stale(folder: Path, age_s: int = 3600) -> None:
    """Temporaries a killed write left in this device's own subfolder (not another run's)."""
    import time

    try:
        for entry in os.scandir(folder):
            if entry.name.startswith(".") and entry.name.endswith(".tmp") \
                    and entry.stat().st_mtime < time.time() - age_s:
                os.unlink(entry.path)
    except OSError:
        pass


def numbered(folder: Path, pattern: re.Pattern) -> dict[int, list[Path]]:
    """Files in `folder` by the number their name starts with (copies included)."""
    out: dict[int, list[Path]] = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return out
    for entry in entries:
        match = pattern.match(entry.name)
        if match and entry.is_file(follow_symlinks=False):
            out.setdefault(int(match.group(1)), []).append(Path(entry.path))
    for paths in out.values():
        paths.sort(key=lambda p: (len(p.name), p.name))
    return out
