"""Devices for the sync tests: a real SQLCipher journal each, and each its own copy of the sync
folder, so a test decides which sealed files reach which device, when, twice or never."""

from __future__ import annotations

import base64
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from services import journal
from services import vault as vault_service
from services.journal.export import journal_data
from services.store import use_case
from services.sync import clock, service

LOCAL_IDS = {"id", "partner_id", "interaction_id", "stakeholder_id", "advice_id",
             "cadence_id", "cited"}


@dataclass
class Device:
    name: str
    root: Path
    vault: object
    recovery_key: str
    folder: Path
    skew_ms: int = 0
    sent: set[str] = field(default_factory=set)

    @classmethod
    def new(cls, base: Path, name: str) -> Device:
        created = vault_service.create_vault(base / name / "data")
        folder = base / name / "folder"
        folder.mkdir(parents=True)
        return cls(name, base / name / "data", created.vault, created.recovery_key, folder)

    def with_clock(self, fn):
        """Run fn with this device's (skewed) wall clock."""
        real = clock.wall_ms
        clock.NOW = lambda: real() + self.skew_ms
        try:
            return fn()
        finally:
            clock.NOW = real

    def sync(self):
        return self.with_clock(lambda: service.sync_now(self.vault))

    def files(self) -> dict[str, bytes]:
        """Every sealed file in this device's copy of the folder, by its path in it."""
        return {str(p.relative_to(self.folder)): p.read_bytes()
                for p in sorted(self.folder.rglob("*")) if p.is_file()}

    def export(self) -> dict:
        with use_case(self.vault) as session:
            data = journal_data(session=session)
            found = service.conflicts_in(session)
        data.pop("exported_at")
        return {"journal": portable(data),
                "conflicts": sorted((c.table, c.uid, c.field, c.current,
                                     tuple(sorted(c.others.values()))) for c in found)}


def portable(data):
    """An export without the integer ids each device hands out on its own."""
    if isinstance(data, dict):
        return {k: portable(v) for k, v in data.items() if k not in LOCAL_IDS}
    if isinstance(data, list):
        items = [portable(v) for v in data]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    return data


class Cloud:
    """The sync tool: every file any device wrote, delivered to each device when told."""

    def __init__(self):
        self.files: dict[str, bytes] = {}

    def collect(self, device: Device) -> None:
        for path, data in device.files().items():
            if not Path(path).name.startswith("."):
                self.files.setdefault(path, data)

    def deliver(self, device: Device, paths=None, *, copy_as: str | None = None) -> int:
        """Put files (all by default) in the device's folder; `copy_as` names the copy the way a
        sync tool names a conflicted copy."""
        count = 0
        for path in self.files if paths is None else paths:
            target = device.folder / path
            if copy_as:
                target = target.with_name(target.stem + copy_as + target.suffix)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self.files[path])
                count += 1
        return count


def three_devices(base: Path) -> tuple[list[Device], Cloud]:
    """A turns sync on; B and C join from what the folder delivered to them."""
    a, b, c = (Device.new(base, n) for n in "abc")
    service.turn_on(a.vault, a.folder, recovery_key=a.recovery_key, name="A")
    cloud = Cloud()
    cloud.collect(a)
    for other in (b, c):
        cloud.deliver(other)
        service.join(other.vault, other.folder, recovery_key=a.recovery_key, name=other.name)
        cloud.collect(other)
    return [a, b, c], cloud


def settle(devices: list[Device], cloud: Cloud, rounds: int = 4) -> None:
    """Full delivery: every file to every device, syncing until nothing new is written."""
    for _ in range(rounds):
        before = len(cloud.files)
        for device in devices:
            cloud.deliver(device)
            device.sync()
            cloud.collect(device)
        if len(cloud.files) == before:
            return


def lock_all(devices: list[Device]) -> None:
    for device in devices:
        device.vault.lock()


def wipe(folder: Path) -> None:
    for child in folder.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()


# --- what the sync tests do on a device ---------------------------------------------------
def write_entry(device: Device, title: str, notes: str = "", partner: str = "Northwind") -> int:
    with use_case(device.vault, write=True) as s:
        found = [p for p in journal.list_partners(session=s) if p.name == partner]
        p = found[0] if found else journal.create_partner(session=s, partner_in={"name": partner})
        return journal.create_interaction(session=s, interaction_in={
            "partner_id": p.id, "title": title, "notes": notes}).id


def entries_of(device: Device) -> dict[str, str]:
    with use_case(device.vault) as s:
        return {i.title: i.notes for i in journal.list_interactions(session=s)}


def id_of(device: Device, title: str) -> int:
    with use_case(device.vault) as s:
        return next(i.id for i in journal.list_interactions(session=s) if i.title == title)


def edit_entry(device: Device, which: str, **changes) -> None:
    with use_case(device.vault, write=True) as s:
        journal.update_interaction(session=s, interaction_id=id_of(device, which),
                                   interaction_in=changes)


def device_id(device: Device) -> str:
    with use_case(device.vault) as s:
        return s.connection().exec_driver_sql(
            "SELECT value FROM sync_state WHERE key='device'").scalar()


def sync_key(device: Device) -> tuple[bytes, str]:
    with use_case(device.vault) as s:
        rows = dict(s.connection().exec_driver_sql(
            "SELECT key, value FROM sync_state WHERE key IN ('key','journal')").fetchall())
    return base64.b64decode(rows["key"]), rows["journal"]
