"""One round of sync: seal this device's new operations into its own subfolder, apply the other
devices' segments in order, and compact what every device has seen (`snapshots`).

A device writes only its own subfolder (`00000001.cfs`, ... and `snapshot-<n>.cfs`) and never
changes a file it wrote.

Missing files are never deletions: a segment that is not there yet holds back the ones after it
(a gap), an emptied folder is refilled from the outbox, and a device whose subfolder vanished is
still known. Every segment is applied in its own transaction, idempotently.
"""

from __future__ import annotations

import json
from datetime import datetime

from services.errors import ConfidantError
from services.store import use_case
from services.sync import clock as clocks
from services.sync import sealed, snapshots
from services.sync.capture import state_values
from services.sync.device import (
    FORMAT,
    KEYS_FILE,
    SCHEMA,
    Round,
    Settings,
    acks,
    peer_folders,
    settings_of,
)
from services.sync.ledger import LEAVES, Ledger, project

OPS_PER_SEGMENT = 2000     # row changes (a row's fields under one clock) per segment
SEGMENT_BYTES = 8 * 1024 * 1024
GHOST = 1                  # an operation's 7th element: a replaced text sent without its text
TOO_NEW = ("This journal is synced by a newer Confidant (sync format {major}): update "
           "Confidant. Nothing more is written here until then; your journal is unchanged.")


def run(vault, *, left: bool = False, announce: bool = False) -> Round:
    """One round: the others' segments applied, then this device's changes sealed with what it
    has applied (its acknowledgements), then compaction. Each step commits on its own, so an
    interruption loses nothing."""
    result = Round()
    with use_case(vault) as session:
        conf = settings_of(session)
        blocked = state_values(session.connection(), "blocked").get("blocked", "")
    if conf is None:
        return result
    if blocked:
        result.blocked = blocked
        result.refused.append(blocked)
        return result
    if not _folder_ready(vault, conf, result):
        return result
    for device in peer_folders(conf):
        try:
            _apply_device(vault, conf, device, result)
        except ConfidantError as err:   # that device waits; the others still sync
            result.refused.append(f"A segment from device {device[:8]} could not be applied "
                                  f"({err}); nothing of it was, and it is tried again.")
    if result.blocked:
        return result
    _publish(vault, conf, result, acks_only=bool(result.operations) or left or announce,
             left=left)
    snapshots.compact(vault, conf, result)
    return result


def _folder_ready(vault, conf: Settings, result: Round) -> bool:
    """The folder must be there (a drive unplugged, a share not mounted: nothing is written
    in its place). A folder that lost this journal's files gets them written again."""
    if not conf.folder.is_dir():
        result.refused.append(f"The sync folder {conf.folder} is not there (a drive not "
                              "connected?): nothing was sent or read; your journal is unchanged.")
        return False
    if not (conf.root / KEYS_FILE).is_file():
        with use_case(vault) as session:
            keys = state_values(session.connection(), "keys").get("keys")
        if keys:
            sealed.write_new(conf.root, KEYS_FILE, keys.encode())
            result.refused.append(f"The sync folder had lost this journal's files: they are "
                                  f"written again from this device ({conf.name}).")
    return True


# --- writing this device's segments ----------------------------------------------------------
def _publish(vault, conf: Settings, result: Round, acks_only: bool = False,
             left: bool = False) -> None:
    """Give unsealed operations segment numbers (committed first), then write every numbered
    segment that is not in the folder yet: after a crash, or a folder emptied by a sync tool."""
    with use_case(vault, write=True) as session:
        conn = session.connection()
        pending = conn.exec_driver_sql(
            "SELECT n, op FROM sync_outbox WHERE seq IS NULL ORDER BY n").fetchall()
        next_seq = int(state_values(conn, "next_seq").get("next_seq", "1"))
        if acks_only and not pending:
            conn.exec_driver_sql("INSERT INTO sync_outbox (seq, op) VALUES (?, 'null')",
                                 (next_seq,))
            next_seq += 1
        for chunk in _segments(conn, pending):
            conn.exec_driver_sql(
                f"UPDATE sync_outbox SET seq=? WHERE n IN ({','.join('?' * len(chunk))})",
                (next_seq, *chunk))
            next_seq += 1
        conn.exec_driver_sql("INSERT OR REPLACE INTO sync_state (key, value) "
                             "VALUES ('next_seq', ?)", (str(next_seq),))
        numbers = [s for (s,) in conn.exec_driver_sql(
            "SELECT DISTINCT seq FROM sync_outbox WHERE seq IS NOT NULL ORDER BY seq")]
        known = acks(session)
    sealed.remove_stale(conf.own)
    on_disk = sealed.numbered(conf.own, sealed.SEGMENT_NAME)
    for seq in numbers:
        if seq in on_disk:
            continue
        with use_case(vault) as session:
            ops = _resolved(session, seq)
        payload = {"format": FORMAT, "schema": list(SCHEMA), "device_name": conf.name,
                   "written": datetime.now().replace(microsecond=0).isoformat(),
                   "ops": ops, "acks": known, "left": left and seq == numbers[-1]}
        data = sealed.seal(conf.key, conf.journal, b"S", conf.device, seq, payload)
        sealed.write_new(conf.own, sealed.segment_name(seq), data)
        result.published += 1


def _segments(conn, pending: list) -> list[list[int]]:
    """Outbox rows cut into segments of at most OPS_PER_SEGMENT row changes and about
    SEGMENT_BYTES (a row's merged state counted once per segment: a long note edited ten times
    goes once), so no segment outgrows what a device will read."""
    out: list[list[int]] = []
    chunk: list[int] = []
    seen: set[tuple[str, str]] = set()
    size = 0
    for n, text in pending:
        tbl, uid = json.loads(text)[:2]
        if (tbl, uid) not in seen:
            seen.add((tbl, uid))
            size += conn.exec_driver_sql("SELECT length(state) FROM sync_row WHERE tbl=? AND "
                                         "uid=?", (tbl, uid)).scalar() or 0
        chunk.append(n)
        if len(chunk) >= OPS_PER_SEGMENT or size >= SEGMENT_BYTES:
            out.append(chunk)
            chunk, seen, size = [], set(), 0
    return out + ([chunk] if chunk else [])


def _resolved(session, seq: int) -> list[list]:
    """Segment `seq`'s operations with their values, read from the merged state. A value a
    later write replaced before it was sent goes with the value in place (the later write
    follows, and wins; a new row arrives whole); free text replaced so goes as a ghost, so the
    others still learn what it replaced."""
    ledger = Ledger(session.connection())
    out = []
    for (text,) in session.connection().exec_driver_sql(
            "SELECT op FROM sync_outbox WHERE seq=? ORDER BY n", (seq,)):
        row = json.loads(text)
        if row is None:
            continue
        tbl, uid, stamp, fields = row
        state = ledger.state(tbl, uid)
        for name, replaced in fields:
            if name in state:
                out.append(_sent(tbl, uid, state, name, stamp, replaced))
    last = {tuple(op[:3]): i for i, op in enumerate(out)}
    for i, op in enumerate(out):   # a field sent again later in this segment: its value once
        if last[tuple(op[:3])] != i and (op[5] is None or op[6:]):   # scalars and ghosts
            op[3] = None
    return out


def _sent(tbl: str, uid: str, state: dict, name: str, stamp: str, replaced) -> list:
    """One field's operation as it goes out (see `_resolved`)."""
    if state[name][1] == stamp:
        return [tbl, uid, name, state[name][0], stamp, replaced]
    if stamp in state.get(LEAVES + name, {}):
        return [tbl, uid, name, state[LEAVES + name][stamp], stamp, replaced]
    if replaced is not None:   # free text this device replaced before sending it
        return [tbl, uid, name, state[name][0], stamp, replaced, GHOST]
    return [tbl, uid, name, state[name][0], stamp, None]   # replaced too: a new row is whole


# --- reading the other devices ---------------------------------------------------------------
def _apply_device(vault, conf: Settings, device: str, result: Round) -> None:
    folder = conf.root / device
    files = sealed.numbered(folder, sealed.SEGMENT_NAME)
    with use_case(vault) as session:
        row = session.connection().exec_driver_sql(
            "SELECT seq FROM sync_peer WHERE device=?", (device,)).first()
    done = row[0] if row else 0
    seq = done + 1
    while seq in files:
        payloads = []
        for path in files[seq]:
            try:
                payloads.append(sealed.open_file(path, conf.key, conf.journal, b"S", device, seq))
            except sealed.Refused as err:
                result.refused.append(str(err))
        if not payloads:
            break
        if not _apply_segment(vault, conf, device, seq, payloads, result):
            return
        seq += 1
    if files and max(files) >= seq:
        result.waiting[device] = seq


def _apply_segment(vault, conf, device: str, seq: int, payloads: list[dict],
                   result: Round) -> bool:
    """Apply one segment (every readable copy of it) in one transaction."""
    with use_case(vault, write=True) as session:
        conn = session.connection()
        major = max(int((p.get("schema") or [1])[0]) for p in payloads)
        if major > SCHEMA[0]:
            conn.exec_driver_sql("INSERT OR REPLACE INTO sync_state (key, value) "
                                 "VALUES ('blocked', ?)", (TOO_NEW.format(major=major),))
            result.refused.append(TOO_NEW.format(major=major))
            result.blocked = TOO_NEW.format(major=major)
            return False
        ledger = Ledger(conn)
        clock = clocks.Clock(conf.device, state_values(conn, "clock").get("clock", ""))
        touched: set[tuple[str, str]] = set()
        count = 0
        for payload in payloads:
            for op in payload.get("ops") or []:
                if not _well_formed(op):
                    continue
                tbl, uid, name, value, stamp, replaced = op[:6]
                clock.observe(stamp)
                if ledger.apply(tbl, uid, name, value, stamp, replaced,
                                ghost=op[6:] == [GHOST]):
                    touched.add((tbl, uid))
                count += 1
        project(ledger, touched)
        ledger.save()
        first = payloads[0]
        info = {"name": str(first.get("device_name", ""))[:60],
                "written": str(first.get("written", ""))[:40],
                "acks": {k: v for k, v in (first.get("acks") or {}).items()
                         if isinstance(k, str) and isinstance(v, int)},
                "left": bool(first.get("left")),
                "schema": first.get("schema")}
        conn.exec_driver_sql("INSERT OR REPLACE INTO sync_peer (device, seq, info) "
                             "VALUES (?,?,?)", (device, seq, json.dumps(info)))
        conn.exec_driver_sql("INSERT OR REPLACE INTO sync_state (key, value) "
                             "VALUES ('clock', ?)", (clock.last,))
    result.applied += 1
    result.operations += count
    result.changed = result.changed or bool(touched)
    return True


def _well_formed(op) -> bool:
    return (isinstance(op, list) and len(op) in (6, 7) and all(isinstance(x, str) for x in op[:3])
            and isinstance(op[4], str) and op[4].count(".") >= 2
            and (op[5] is None or isinstance(op[5], list)))


