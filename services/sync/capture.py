"""The outbox: what each use case changed, as operations, written in its own transaction.

`watch(session)` (called by `services.store.use_case` for every write) does nothing until sync
is on. Then each flush turns the rows it inserted, changed and deleted into operations
[table, uid, field, value, clock, replaced]: a new row sends every field, a changed one only
the fields the use case changed, a delete its tombstone. Bulk deletes are read before they run.
The operations are merged into `sync_row` and appended to `sync_outbox`; if the transaction
rolls back, so do they.
"""

from __future__ import annotations

import base64
import json

from sqlalchemy import event, inspect, select
from sqlmodel import Session

from services.errors import ReadOnlyJournal
from services.sync import clock as clocks
from services.sync import spec as specs
from services.sync.ledger import Ledger
from services.sync.spec import DELETED, SPECS, SYNCED_SETTINGS

KEY = "confidant.sync"
NATURAL = "confidant.sync.natural"   # session.info: a prefix that makes new rows' uids derived
# session.info: {(table, local key, field)} free text written over a version the user never saw
# (another device's, arrived while the form was open): it replaces nothing, so both are kept
UNSEEN = "confidant.sync.unseen"


def state_values(conn, *keys: str) -> dict[str, str]:
    marks = ",".join("?" for _ in keys)
    return dict(conn.exec_driver_sql(
        f"SELECT key, value FROM sync_state WHERE key IN ({marks})", tuple(keys)).fetchall())


class Recorder:
    """One transaction's operations: the clock, the ledger, the outbox rows."""

    def __init__(self, conn, device: str, last: str):
        self.conn = conn
        self.ledger = Ledger(conn)
        self.clock = clocks.Clock(device, last)
        self.ops: list[list] = []
        self.counters: dict[str, int] = {}

    def change(self, tbl: str, uid: str, values: dict, unseen=frozenset()) -> None:
        """Fields the use case set; a new row (or one back from the Trash) is live again."""
        state = self.ledger.state(tbl, uid)
        stamp = None
        for name, value in values.items():
            if name in state and state[name][0] == value:
                continue
            stamp = stamp or self.clock.tick()
            replaced = ([state[name][1]] if name in state and name not in unseen else []) \
                if name in SPECS[tbl].text else None
            self._op(tbl, uid, name, value, stamp, replaced)
        if (state.get(DELETED) or [False])[0] or DELETED not in state:
            self._op(tbl, uid, DELETED, False, stamp or self.clock.tick(), None)

    def delete(self, tbl: str, uid: str, children: list) -> None:
        """A tombstone; `children` (found before the delete ran) went with the row (ON DELETE
        CASCADE, or the service's own deletes) and now wait for it to come back."""
        state = self.ledger.state(tbl, uid)
        if state and not (state.get(DELETED) or [False])[0]:
            self._op(tbl, uid, DELETED, True, self.clock.tick(), None)
        for child in children:
            self.ledger.wait(uid, *child)
            self.ledger.set_local(*child, None)
        self.ledger.set_local(tbl, uid, None)

    def doomed(self, tbl: str, local_key: str) -> tuple[str, list] | None:
        """Before a delete runs: the row's uid and the rows that point at it."""
        uid = self.ledger.uid_of(tbl, local_key)
        return None if uid is None else (uid, self.ledger.children(tbl, uid))

    def _op(self, tbl, uid, name, value, stamp, replaced) -> None:
        """Merge it, and note it for the outbox by reference: its value is read from the
        merged state when the segment is sealed (one copy of each text, not two)."""
        self.ledger.apply(tbl, uid, name, value, stamp, replaced)
        self.ops.append([tbl, uid, name, stamp, replaced])

    def new_uid(self, tbl: str, values: dict, natural: str | None) -> str:
        if natural:   # the sample journal: the n-th row of a table is the same on every device
            self.counters[tbl] = self.counters.get(tbl, 0) + 1
            return specs.derived(natural, tbl, str(self.counters[tbl]))
        if tbl == "partner":   # two devices that add the same partner get one partner
            uid = specs.derived("partner", values.get("name", ""))
            if not self.ledger.state("partner", uid):
                return uid
        uid = specs.new_uid()
        self.ledger.fresh(tbl, uid)   # random: no row has it, nothing to look up
        return uid

    def write(self) -> None:
        """Into the transaction, once, before it commits: merged rows, outbox, clock."""
        if not self.ops and not self.ledger.dirty:
            return
        self.ledger.save()
        grouped: dict[tuple, list] = {}   # one outbox row per row and clock: its fields
        for tbl, uid, name, stamp, replaced in self.ops:
            grouped.setdefault((tbl, uid, stamp), []).append([name, replaced])
        cursor = self.conn.connection.driver_connection.cursor()
        try:
            cursor.executemany("INSERT INTO sync_outbox (op) VALUES (?)", [
                (json.dumps([*key, fields], separators=(",", ":"), ensure_ascii=False),)
                for key, fields in grouped.items()])
            cursor.execute("INSERT OR REPLACE INTO sync_state (key, value) "
                           "VALUES ('clock', ?)", (self.clock.last,))
        finally:
            cursor.close()
        self.ops.clear()


_STORE: dict = {}


def stored_row(obj, conn) -> dict | None:
    """The row as SQLite stores it, from the object the session just flushed (no SELECT);
    None when an attribute is not loaded (then `raw_row` reads it)."""
    state = inspect(obj)
    if state.expired_attributes or state.unloaded:
        return None
    out = {}
    for column in obj.__table__.columns:
        key = (column.table.name, column.name)
        if key not in _STORE:
            _STORE[key] = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        value = state.dict.get(column.key)
        out[column.name] = _STORE[key](value) if _STORE[key] and value is not None else value
    return out


def raw_row(conn, spec, local_key: str) -> dict | None:
    where = " AND ".join(f'"{k}"=?' for k in spec.key)
    result = conn.exec_driver_sql(f'SELECT * FROM "{spec.name}" WHERE {where}',
                                  tuple(local_key.split("\x1f")))
    row = result.mappings().first()
    return dict(row) if row is not None else None


def portable(recorder: Recorder, spec, row: dict, names=None) -> dict | None:
    """A row's fields as they travel (parents by uid); None if a parent has no uid yet."""
    out = {}
    for name in names if names is not None else spec.fields:
        value = row.get(name)
        if name in spec.parents and value is not None:
            value = recorder.ledger.uid_of(spec.parents[name], value)
            if value is None:
                return None
        elif name in spec.blobs and value is not None:
            value = base64.b64encode(value).decode()
        out[name] = value
    return out


def record_row(recorder: Recorder, spec, row: dict, *, changed=None,
               natural: str | None = None, unseen=frozenset(), new: bool = False) -> None:
    """Record a row the use case inserted (first seen: every field) or changed (`changed`).
    `new`: inserted by this use case, so no uid is kept for its local key (a deleted row's is
    cleared), and none is looked up."""
    if spec.name == "setting" and row["key"] not in SYNCED_SETTINGS:
        return
    ledger = recorder.ledger
    local_key = spec.local_key(row)
    uid = None if new else ledger.uid_of(spec.name, local_key)
    values = portable(recorder, spec, row, changed if uid else None)
    if values is None:
        return  # a parent outside sync (cannot happen for synced tables)
    if uid is None:
        if not spec.serial:
            uid = spec.natural_uid(values)
        else:
            uid = recorder.new_uid(spec.name, values, natural)
        ledger.set_local(spec.name, uid, local_key)
    recorder.change(spec.name, uid, values,
                    {f for t, k, f in unseen if t == spec.name and k == local_key})


def _local_key_of(obj, spec) -> str:
    return "\x1f".join(str(getattr(obj, k)) for k in spec.key)


def watch(session: Session) -> None:
    """Record what this write use case changes, when sync is on."""
    holder: dict[str, Recorder | None] = {}

    def recorder() -> Recorder | None:
        if "r" not in holder:
            conn = session.connection()
            found = state_values(conn, "device", "blocked", "clock")
            if found.get("blocked"):
                raise ReadOnlyJournal(found["blocked"])
            holder["r"] = Recorder(conn, found["device"], found.get("clock", "")) \
                if "device" in found else None
        return holder["r"]

    doomed: dict[tuple[str, str], tuple[str, list]] = {}

    @event.listens_for(session, "before_flush")
    def before_flush(sess, _context, _instances):
        rows = [o for o in sess.deleted if getattr(o, "__tablename__", None) in SPECS]
        if rows and (rec := recorder()) is not None:
            for obj in rows:
                spec = SPECS[obj.__tablename__]
                found = rec.doomed(spec.name, _local_key_of(obj, spec))
                if found:
                    doomed[(spec.name, _local_key_of(obj, spec))] = found

    @event.listens_for(session, "after_flush")
    def after_flush(sess, _context):
        rows = [(o, "new") for o in sess.new] + [(o, "dirty") for o in sess.dirty] \
            + [(o, "deleted") for o in sess.deleted]
        rows = [(o, how) for o, how in rows if getattr(o, "__tablename__", None) in SPECS]
        if not rows or (rec := recorder()) is None:
            return
        natural = sess.info.get(NATURAL)
        rows.sort(key=lambda r: (specs.RANK[r[0].__tablename__],
                                 str(getattr(r[0], "id", "") or "").zfill(12)))
        for obj, how in rows:
            spec = SPECS[obj.__tablename__]
            if how == "deleted":
                found = doomed.pop((spec.name, _local_key_of(obj, spec)), None)
                if found:
                    rec.delete(spec.name, *found)
                continue
            changed = None
            if how == "dirty":
                state = inspect(obj)
                changed = [a.key for a in state.attrs
                           if a.key in spec.fields and a.history.has_changes()]
                if not changed:
                    continue
            row = stored_row(obj, rec.conn) or raw_row(rec.conn, spec, _local_key_of(obj, spec))
            if row is not None:
                record_row(rec, spec, row, changed=changed, natural=natural,
                           unseen=sess.info.get(UNSEEN, frozenset()), new=how == "new")

    @event.listens_for(session, "before_commit")
    def before_commit(_sess):
        if holder.get("r") is not None:
            holder["r"].write()

    @event.listens_for(session, "do_orm_execute")
    def bulk(state):
        table = getattr(state.statement, "table", None)
        if table is None or table.name not in SPECS or not (state.is_delete or state.is_update):
            return None
        if (rec := recorder()) is None:
            return None
        spec = SPECS[table.name]
        where = state.statement.whereclause
        query = select(*(table.c[k] for k in spec.key))
        hit = ["\x1f".join(str(v) for v in r) for r in rec.conn.execute(
            query if where is None else query.where(where)).fetchall()]
        gone = {k: rec.doomed(spec.name, k) for k in hit} if state.is_delete else {}
        result = state.invoke_statement()
        for local_key in hit:
            if state.is_delete:
                if gone[local_key]:
                    rec.delete(spec.name, *gone[local_key])
            elif (row := raw_row(rec.conn, spec, local_key)) is not None:
                record_row(rec, spec, row, changed=list(spec.fields))
        return result


def record_all(conn, device: str, last: str = "") -> int:
    """Every row of the journal into the merged state, as created now (turning sync on for an
    journal that has rows). No outbox: a snapshot carries them. Returns the rows recorded."""
    rec = Recorder(conn, device, last)
    count = 0
    for tbl in specs.ORDER:
        spec = SPECS[tbl]
        for row in conn.exec_driver_sql(f'SELECT * FROM "{tbl}"').mappings():
            record_row(rec, spec, dict(row))
            count += 1
        rec.ops.clear()
    rec.write()
    return count
