"""The sync use cases (issue 24): end-to-end encrypted sync through a folder the user
already syncs (Syncthing, Dropbox, iCloud Drive, a USB stick). No server of ours; only sealed
files, and only in the folder the user chose.

The use cases: `turn_on` (the first device), `join` (another device, on an empty journal),
`sync_now`, `status`, `conflicts` and `resolve`, `leave`. How a round works is in `exchange`;
how rows merge in `ledger`; what each use case records in `capture`.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from services import files
from services.errors import ConfidantError, InvalidInput, SyncError, WrongKey
from services.store import use_case
from services.sync import exchange, ledger, sealed, snapshots
from services.sync.capture import record_all, state_values
from services.sync.device import (
    KEYS_FILE,
    Round,
    Settings,
    device_name,
    settings_of,
)
from services.vault.vault_header import Header, key_check, new_key

MAX_KEYS_BYTES = 64 * 1024


@dataclass
class Device:
    device: str
    name: str
    this: bool = False
    last_seen: str = ""
    applied: int = 0
    waiting_for: int | None = None
    left: bool = False


@dataclass
class Status:
    on: bool
    folder: str = ""
    device: str = ""
    pending: int = 0            # operations not yet sealed into the folder
    conflicts: int = 0
    waiting: int = 0            # rows held back until their parent arrives
    in_trash: int = 0
    blocked: str = ""
    devices: list[Device] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        if not self.on:
            return "Sync is off."
        if self.blocked:
            return self.blocked
        others = sum(1 for d in self.devices if not d.this and not d.left)
        parts = [f"{others} other device(s)"]
        gaps = [d.name or d.device[:8] for d in self.devices if d.waiting_for]
        if gaps:
            parts.append("waiting for a file from " + ", ".join(gaps))
        parts.append(f"{self.pending} change(s) to send" if self.pending else "all sent")
        if self.conflicts:
            parts.append(f"{self.conflicts} conflict(s) to review")
        return "Sync: " + ", ".join(parts) + "."


def _folder(path: Path | str) -> Path:
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise InvalidInput(f"The sync folder {folder} does not exist or is not a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidInput(f"The sync folder {folder} cannot be written.")
    return folder.resolve()


def _save_settings(session, values: dict) -> None:
    conn = session.connection()
    for key, value in values.items():
        conn.exec_driver_sql("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
                             (key, value))


def _require_off(session) -> None:
    if settings_of(session) is not None:
        raise SyncError("Sync is already on for this journal ('confidant sync status'); "
                        "turn it off first ('confidant sync leave').")


def turn_on(vault, folder: Path | str, *, passphrase: str | None = None,
            recovery_key: str | None = None, name: str | None = None) -> Path:
    """The first device: a new sync key, wrapped by what the other device will type; the whole
    journal recorded as operations. Returns the journal's folder inside `folder`."""
    folder = _folder(folder)
    if not passphrase and not recovery_key:
        raise InvalidInput("Say how the other device will unlock sync: the journal's "
                           "passphrase or its recovery key.")
    with use_case(vault) as session:
        _require_off(session)
    if journals_in(folder):
        raise SyncError(f"{folder} already holds a synced journal: join it from a new, empty "
                        "journal, or choose another folder.")
    _check_secret(vault, passphrase, recovery_key)
    journal, device = uuid.uuid4().hex, uuid.uuid4().hex
    key = new_key()
    header = Header(vault_id=journal, check=key_check(key))
    if passphrase:
        header.set_passphrase(key, passphrase)
    if recovery_key:
        header.set_recovery_key(key, recovery_key)
    conf = Settings(device, journal, folder, bytes(key), name or device_name())
    with use_case(vault, write=True) as session:
        _require_off(session)
        _settings_rows(session, conf)
        _save_settings(session, {"keys": header.to_json()})
        record_all(session.connection(), device)
    try:
        files.private_dir(conf.root)
        sealed.write_new(conf.root, KEYS_FILE, header.to_json().encode())
        with use_case(vault) as session:   # the journal so far, for the devices that join
            snapshots.write_snapshot(conf, snapshots.snapshot_payload(session, conf))
        exchange.run(vault)
    except OSError as err:
        with use_case(vault, write=True) as session:
            _forget(session)
        raise files.file_error(err, conf.root) from err
    return conf.root


def _settings_rows(session, conf: Settings) -> None:
    _save_settings(session, {"device": conf.device, "journal": conf.journal,
                             "folder": str(conf.folder), "name": conf.name,
                             "key": base64.b64encode(conf.key).decode(), "next_seq": "1"})


def _check_secret(vault, passphrase: str | None, recovery_key: str | None) -> None:
    """A secret this journal already has must be the right one: the other device will type
    the same. (A journal kept in the keychain alone has no passphrase to check: the one given
    is new, and only wraps the sync key.)"""
    from services import paths
    from services.vault.vault_header import read_header

    header = read_header(paths.header_path(vault.root))
    if passphrase and header.has_passphrase and header.unwrap_with_passphrase(passphrase) is None:
        raise WrongKey("That is not this journal's passphrase.")
    if recovery_key and header.unwrap_with_recovery_key(recovery_key) is None:
        raise WrongKey("That is not this journal's recovery key.")


def journals_in(folder: Path) -> list[Path]:
    base = folder / "Confidant"
    try:
        return sorted(p for p in base.iterdir() if (p / KEYS_FILE).is_file())
    except OSError:
        return []


def join(vault, folder: Path | str, *, passphrase: str | None = None,
         recovery_key: str | None = None, name: str | None = None) -> Round:
    """Another device: its journal must be empty; it takes the journal from the folder."""
    root, key = unlock_folder(folder, passphrase=passphrase, recovery_key=recovery_key)
    folder = root.parent.parent
    with use_case(vault, write=True) as session:
        _require_off(session)
        conn = session.connection()
        if conn.exec_driver_sql("SELECT 1 FROM partner LIMIT 1").first():
            raise SyncError("This journal is not empty: join from a new, empty journal (or "
                            "export this one first); nothing was changed.")
        _settings_rows(session, Settings(uuid.uuid4().hex, root.name, folder, key,
                                         name or device_name()))
        _save_settings(session, {"keys": (root / KEYS_FILE).read_text("utf-8")})
        conf = settings_of(session)
    result = Round()
    try:
        snapshots.bootstrap(vault, conf, result)
        more = exchange.run(vault, announce=True)   # the others learn this device's name
    except (OSError, ConfidantError) as err:
        raise SyncError(f"Joining stopped part way ({err}): what arrived is kept; run "
                        "'confidant sync now' to finish.") from err
    result.applied += more.applied
    result.operations += more.operations
    result.refused += more.refused
    result.waiting = more.waiting
    result.published = more.published
    result.changed = result.changed or more.changed
    return result


def unlock_folder(folder: Path | str, *, passphrase: str | None = None,
                  recovery_key: str | None = None) -> tuple[Path, bytes]:
    """The synced journal in `folder` and its sync key, before any journal is touched: a
    wrong passphrase is refused while there is still nothing to undo."""
    folder = _folder(folder)
    found = journals_in(folder)
    if not found:
        raise SyncError(f"No synced Confidant journal in {folder}: run 'confidant sync init' "
                        "on the first device, and let the folder sync here.")
    if len(found) > 1:
        raise SyncError(f"{len(found)} synced journals in {folder}; keep one.")
    return found[0], _unwrap(found[0] / KEYS_FILE, passphrase, recovery_key)


def _unwrap(path: Path, passphrase: str | None, recovery_key: str | None) -> bytes:
    try:
        if path.stat().st_size > MAX_KEYS_BYTES:
            raise SyncError(f"{path} is too large to be a sync key file.")
        header = Header.from_json(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise SyncError(f"The sync key file {path} cannot be read ({err}).") from err
    except ConfidantError as err:
        raise SyncError(f"The sync key file {path} is damaged ({err}).") from err
    if not passphrase and not recovery_key:
        raise InvalidInput("Type the first device's passphrase or its recovery key.")
    key = None
    if passphrase and header.has_passphrase:
        key = header.unwrap_with_passphrase(passphrase)
    if key is None and recovery_key and "recovery" in header.slots:
        key = header.unwrap_with_recovery_key(recovery_key)
    if key is None:
        raise WrongKey("That passphrase or recovery key does not open this synced journal.")
    return bytes(key)


def sync_now(vault) -> Round:
    with use_case(vault) as session:
        if settings_of(session) is None:
            raise SyncError("Sync is off for this journal: 'confidant sync init FOLDER' "
                            "(or 'join') turns it on.")
    try:
        return exchange.run(vault)
    except OSError as err:
        raise SyncError(f"The sync folder could not be used ({err.strerror or err}); "
                        "nothing was lost, sync again later.") from err


def status(vault) -> Status:
    with use_case(vault) as session:
        conf = settings_of(session)
        if conf is None:
            return Status(on=False)
        conn = session.connection()
        state = state_values(conn, "blocked", "next_seq")
        pending = conn.exec_driver_sql(
            "SELECT count(*) FROM sync_outbox WHERE seq IS NULL AND op != 'null'").scalar()
        waiting = conn.exec_driver_sql("SELECT count(DISTINCT uid) FROM sync_wait").scalar()
        rows = conflicts_in(session)
        trash = conn.exec_driver_sql(
            "SELECT count(*) FROM sync_row WHERE state LIKE '%\"_deleted\":[true%'").scalar()
        devices = [Device(conf.device, conf.name, this=True,
                          applied=int(state.get("next_seq", "1")) - 1)]
        for dev, seq, info in conn.exec_driver_sql("SELECT device, seq, info FROM sync_peer"):
            info = json.loads(info)
            devices.append(Device(dev, info.get("name", ""), last_seen=info.get("written", ""),
                                  applied=seq, left=bool(info.get("left"))))
    for peer in devices[1:]:   # a later segment in the folder, this one missing: a gap
        there = sealed.numbered(conf.root / peer.device, sealed.SEGMENT_NAME)
        if there and max(there) > peer.applied + 1 and peer.applied + 1 not in there:
            peer.waiting_for = peer.applied + 1
    return Status(True, str(conf.folder), conf.device, pending, len(rows), waiting, trash,
                  state.get("blocked", ""), devices)


@dataclass
class ConflictCopy:
    table: str
    uid: str
    field: str
    local_key: str | None
    current: str
    others: dict[str, str]      # clock -> the text that lost
    label: str = ""             # the entry's title, the partner's or person's name


def conflicts_in(session) -> list[ConflictCopy]:
    out = []
    for tbl, uid, local_key, state in session.connection().exec_driver_sql(
            "SELECT tbl, uid, local_key, state FROM sync_row WHERE state LIKE '%\"~l:%'"):
        data = json.loads(state)
        if not ledger.live(data):
            continue
        label = str(next((data[k][0] for k in ("title", "name", "taken_at", "taken_on")
                          if k in data), tbl))
        for name, others in ledger.conflicts(data).items():
            out.append(ConflictCopy(tbl, uid, name, local_key, data[name][0], others, label))
    return out


def conflicts(vault) -> list[ConflictCopy]:
    with use_case(vault) as session:
        return conflicts_in(session)


@contextmanager
def _writing(vault, off: str):
    """A use case of sync's own (resolving, restoring): its Recorder, written at the end."""
    from services.sync.capture import Recorder

    with use_case(vault, write=True) as session:
        conf = settings_of(session)
        if conf is None:
            raise SyncError(f"Sync is off for this journal: {off}.")
        conn = session.connection()
        rec = Recorder(conn, conf.device, state_values(conn, "clock").get("clock", ""))
        yield rec
        rec.write()


def resolve(vault, table: str, uid: str, name: str, text: str) -> None:
    """Keep `text` for a field in conflict: every version in conflict counts as replaced."""
    with _writing(vault, "there is nothing to resolve") as rec:
        state = rec.ledger.state(table, uid)
        if name not in state:
            raise InvalidInput("That conflict is no longer there.")
        replaced = [state[name][1], *ledger.conflicts(state).get(name, {})]
        rec._op(table, uid, name, text, rec.clock.tick(), replaced)
        ledger.project(rec.ledger, [(table, uid)])


@dataclass
class Trashed:
    table: str
    uid: str
    label: str
    deleted_at: str     # when (the deleting device's clock, local time)
    waits_for: str      # "": it can come back; else what must come back first


def trash(vault) -> list[Trashed]:
    """Partners and entries deleted while sync was on (and what was written to them after),
    newest first: a delete is a tombstone, and `restore` brings a row back."""
    from datetime import datetime

    out = []
    with use_case(vault) as session:
        if settings_of(session) is None:
            raise SyncError("Sync is off for this journal: there is no Trash.")
        ledger_ = ledger.Ledger(session.connection())
        for tbl, uid, state in session.connection().exec_driver_sql(
                "SELECT tbl, uid, state FROM sync_row WHERE tbl IN ('partner', 'interaction') "
                "AND state LIKE '%\"_deleted\":[true%'").fetchall():
            data = json.loads(state)
            label = str((data.get("title") or data.get("name") or [tbl])[0])
            parent = (data.get("partner_id") or [None])[0]
            waits = ""
            if parent and not ledger.live(ledger_.state("partner", parent)):
                waits = str((ledger_.state("partner", parent).get("name") or ["its partner"])[0])
            wall = int(data["_deleted"][1].split(".")[0])
            when = datetime.fromtimestamp(wall / 1000).strftime("%Y-%m-%d %H:%M")
            out.append(Trashed(tbl, uid, label, when, waits))
    return sorted(out, key=lambda t: (t.deleted_at, t.uid), reverse=True)


def restore(vault, table: str, uid: str) -> None:
    """Bring a deleted partner or entry back (an operation the other devices get too)."""
    with _writing(vault, "there is no Trash") as rec:
        state = rec.ledger.state(table, uid)
        if not state or ledger.live(state):
            raise InvalidInput("That is not in the Trash.")
        rec._op(table, uid, "_deleted", False, rec.clock.tick(), None)
        ledger.project(rec.ledger, [(table, uid)])
        if rec.ledger.local_key(table, uid) is None:
            raise SyncError("It cannot come back before its partner: restore the partner first.")


def leave(vault) -> None:
    """Stop syncing here; the journal stays as it is, the folder's files stay for the others."""
    with use_case(vault, write=True) as session:
        conf = settings_of(session)
        if conf is None:
            raise SyncError("Sync is already off for this journal.")
    try:   # the last word: the others stop waiting for this device's acknowledgements
        exchange.run(vault, left=True)
    except (OSError, ConfidantError):
        pass   # an unreachable folder does not keep a device from leaving
    with use_case(vault, write=True) as session:
        _forget(session)


def _forget(session) -> None:
    conn = session.connection()
    for table in ("sync_state", "sync_row", "sync_wait", "sync_outbox", "sync_peer"):
        conn.exec_driver_sql(f"DELETE FROM {table}")
