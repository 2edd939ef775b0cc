"""This device's sync settings (kept in `sync_state`), what a round reports, and the sync
folder's layout: `<folder>/Confidant/<journal>/keys.cfk` and one subfolder per device."""

from __future__ import annotations

import base64
import socket
from dataclasses import dataclass, field
from pathlib import Path

from services.sync.capture import state_values

FORMAT = "confidant-sync/1"
SCHEMA = (1, 0)            # major: a change old devices cannot read; minor: new fields
KEYS_FILE = "keys.cfk"     # the sync key, wrapped, beside the devices' subfolders


@dataclass
class Settings:
    device: str
    journal: str
    folder: Path
    key: bytes
    name: str

    @property
    def root(self) -> Path:
        return self.folder / "Confidant" / self.journal

    @property
    def own(self) -> Path:
        return self.root / self.device


@dataclass
class Round:
    published: int = 0          # segments this device wrote
    applied: int = 0            # segments of other devices applied
    operations: int = 0         # operations they carried
    refused: list[str] = field(default_factory=list)
    waiting: dict[str, int] = field(default_factory=dict)   # device -> the segment missing
    compacted: int = 0
    snapshots: int = 0          # a new device: snapshots it started from, and their rows
    rows: int = 0
    changed: bool = False
    blocked: str = ""           # a newer Confidant writes here: this device stops


def settings_of(session) -> Settings | None:
    found = state_values(session.connection(), "device", "journal", "folder", "key", "name")
    if "device" not in found:
        return None
    return Settings(found["device"], found["journal"], Path(found["folder"]),
                    base64.b64decode(found["key"]), found.get("name", ""))


def device_name() -> str:
    try:
        return socket.gethostname()[:60] or "this computer"
    except OSError:
        return "this computer"


def acks(session) -> dict[str, int]:
    return dict(session.connection().exec_driver_sql("SELECT device, seq FROM sync_peer").fetchall())


def peer_folders(conf: Settings) -> list[str]:
    try:
        names = sorted(p.name for p in conf.root.iterdir() if p.is_dir())
    except OSError:
        return []
    return [n for n in names if n != conf.device and _is_device(n)]


def _is_device(name: str) -> bool:
    return len(name) == 32 and all(c in "0123456789abcdef" for c in name)
