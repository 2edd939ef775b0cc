"""Snapshots: the merged state of every row, sealed, so a new device starts from it instead
of every segment ever written; and compaction: a device replaces its own old segments by a
snapshot once every other device has said it applied them."""

from __future__ import annotations

import json
from datetime import datetime

from services.store import use_case
from services.sync import sealed
from services.sync.capture import state_values
from services.sync.device import FORMAT, SCHEMA, Round, Settings, acks, peer_folders
from services.sync.ledger import Ledger, merge_state, project
from services.sync.spec import SPECS

COMPACT_AFTER = 200        # own segments kept before a snapshot replaces them


def snapshot_payload(session, conf: Settings) -> dict:
    conn = session.connection()
    rows = [[t, u, json.loads(s)] for t, u, s in conn.exec_driver_sql(
        "SELECT tbl, uid, state FROM sync_row ORDER BY tbl, uid")]
    covers = acks(session)
    covers[conf.device] = int(state_values(conn, "next_seq").get("next_seq", "1")) - 1
    return {"format": FORMAT, "schema": list(SCHEMA), "device_name": conf.name,
            "written": datetime.now().replace(microsecond=0).isoformat(),
            "rows": rows, "covers": covers}


def write_snapshot(conf: Settings, payload: dict) -> None:
    """The merged state, sealed as `snapshot-<n>` (n: this device's last segment it covers)."""
    seq = payload["covers"][conf.device]
    if seq in sealed.numbered(conf.own, sealed.SNAPSHOT_NAME):
        return   # one already covers as much of this device; files are never rewritten
    sealed.write_new(conf.own, sealed.snapshot_name(seq),
                     sealed.seal(conf.key, conf.journal, b"N", conf.device, seq, payload))


def compact(vault, conf: Settings, result: Round, *, threshold: int = COMPACT_AFTER) -> None:
    """Replace this device's old segments by a snapshot once every device has applied them."""
    own = sealed.numbered(conf.own, sealed.SEGMENT_NAME)
    if len(own) < threshold:
        return
    with use_case(vault) as session:
        peers = [(d, json.loads(i)) for d, i in session.connection().exec_driver_sql(
            "SELECT device, info FROM sync_peer")]
        acked = [info.get("acks", {}).get(conf.device, 0) for _, info in peers
                 if not info.get("left")]
        payload = snapshot_payload(session, conf)
    upto = min([payload["covers"][conf.device], *acked])
    if upto <= 0:
        return
    write_snapshot(conf, payload)
    for seq, paths in own.items():
        if seq <= upto:
            for path in paths:
                path.unlink(missing_ok=True)
            result.compacted += 1
    for seq, paths in sealed.numbered(conf.own, sealed.SNAPSHOT_NAME).items():
        if seq < payload["covers"][conf.device]:
            for path in paths:
                path.unlink(missing_ok=True)
    with use_case(vault, write=True) as session:
        session.connection().exec_driver_sql("DELETE FROM sync_outbox WHERE seq <= ?", (upto,))
        session.connection().exec_driver_sql(
            "INSERT OR REPLACE INTO sync_state (key, value) VALUES ('compacted', ?)",
            (str(upto),))


def bootstrap(vault, conf: Settings, result: Round) -> None:
    """A new device: every device's newest snapshot merged, then the segments after them."""
    merged: dict[tuple[str, str], dict] = {}
    covers: dict[str, int] = {}
    infos: dict[str, str] = {}
    for device in peer_folders(conf):
        snaps = sealed.numbered(conf.root / device, sealed.SNAPSHOT_NAME)
        for seq in sorted(snaps, reverse=True):
            payload = _first_open(conf, device, seq, snaps[seq], result)
            if payload is None:
                continue
            result.snapshots += 1
            infos[device] = json.dumps({"name": str(payload.get("device_name", ""))[:60],
                                        "written": str(payload.get("written", ""))[:40]})
            for tbl, uid, state in payload.get("rows") or []:
                if (tbl, uid) in merged:
                    merge_state(tbl, merged[(tbl, uid)], state)
                else:
                    merged[(tbl, uid)] = state
            for dev, n in (payload.get("covers") or {}).items():
                if isinstance(n, int):
                    covers[dev] = max(covers.get(dev, 0), n)
            break
    if not merged:
        return
    with use_case(vault, write=True) as session:
        conn = session.connection()
        ledger = Ledger(conn)
        for key, state in merged.items():
            ledger.rows[key] = state
            ledger.local[key] = None
            ledger.dirty.add(key)
        project(ledger, [k for k in merged if k[0] in SPECS])
        ledger.save()
        for dev, n in covers.items():
            if dev != conf.device:
                conn.exec_driver_sql("INSERT OR REPLACE INTO sync_peer (device, seq, info) "
                                     "VALUES (?,?,?)", (dev, n, infos.get(dev, "{}")))
    result.rows = len(merged)
    result.changed = True


def _first_open(conf, device, seq, paths, result) -> dict | None:
    for path in paths:
        try:
            return sealed.open_file(path, conf.key, conf.journal, b"N", device, seq)
        except sealed.Refused as err:
            result.refused.append(str(err))
    return None
