"""The merged state of every synced row (`sync_row`), the merge rules, and the projection of that
state onto the journal's own tables.

A row's state maps each field to [value, clock]. Merging an operation is a pure function of the
state and the operation, so any order of arrival, and any repeat, ends in the same state:
- a scalar field: last writer wins, by clock;
- free text (spec.TEXT): every version that no later version replaced is a "leaf"; the newest
  leaf is the value in place, the others are conflict copies ("~l:<field>"), kept until someone
  resolves them; "~r:<field>" lists the versions that later ones replaced;
- the tombstone (`_deleted`) is a field like any other: a delete hides the row, a concurrent
  edit still lands in it (the Trash), and only an operation brings it back.

The journal's tables show every live row whose parents are shown; a row whose parent is missing
or deleted waits in `sync_wait` for it. Local integer ids differ between devices; uids do not.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from services.sync import spec as specs
from services.sync.spec import DELETED, RANK, SPECS

LEAVES, REPLACED = "~l:", "~r:"


def merge(state: dict, name: str, value, stamp: str, replaced: list | None, text: bool,
          ghost: bool = False) -> bool:
    """Fold one operation into a row's state; whether anything changed.

    A `ghost` is a version of free text its own device replaced before sending it: it is no
    version of its own, only the news that it and what it replaced are gone (the version that
    replaced it follows in the same or a later segment); its text only holds a new row's
    place until then."""
    current = state.get(name)
    if not text:
        if current is None or stamp > current[1]:
            state[name] = [value, stamp]
            return True
        return False
    leaves = dict(state.get(LEAVES + name, {}))
    gone = list(state.get(REPLACED + name, []))
    seen = (current and current[1] == stamp) or stamp in leaves or stamp in gone
    if seen and not ghost:
        return False
    before = (current, leaves.copy(), len(gone))
    for old in [*(replaced or ()), *([stamp] if ghost else [])]:
        if old not in gone:
            gone.append(old)
    if current and current[1] not in gone:
        leaves[current[1]] = current[0]
    if not ghost and stamp not in gone:
        leaves[stamp] = value
    leaves = {k: v for k, v in leaves.items() if k not in gone}
    if leaves:
        top = max(leaves)
        state[name] = [leaves.pop(top), top]
    elif current is None or (stamp > current[1] and (not ghost or current[1] in gone)):
        state[name] = [value, stamp]   # (a ghost's text holds a new row's place, or a newer
        #                                ghost's takes it over)
    # else: the text in place stays until the version that replaced it arrives
    _put(state, LEAVES + name, leaves)
    _put(state, REPLACED + name, sorted(gone))
    return (state.get(name), leaves, len(gone)) != before


def merge_state(tbl: str, into: dict, other: dict) -> None:
    """Fold another device's whole state of a row (from a snapshot) into `into`."""
    text = SPECS[tbl].text if tbl in SPECS else frozenset()
    for name, value in other.items():
        if name.startswith((LEAVES, REPLACED)):
            continue
        if name not in text:
            merge(into, name, value[0], value[1], None, False)
            continue
        gone = sorted(set(into.get(REPLACED + name, [])) | set(other.get(REPLACED + name, [])))
        _put(into, REPLACED + name, gone)
        _put(into, LEAVES + name, {k: v for k, v in into.get(LEAVES + name, {}).items()
                                   if k not in gone})
        for stamp, text_value in [(value[1], value[0]),
                                  *other.get(LEAVES + name, {}).items()]:
            merge(into, name, text_value, stamp, [], True)


def _put(state: dict, key: str, value) -> None:
    if value:
        state[key] = value
    else:
        state.pop(key, None)


def live(state: dict) -> bool:
    """Shown: its tombstone field says so. A new row sends that field last, so a row whose
    first fields arrived without it (a segment cut inside it) is not shown half-made."""
    return DELETED in state and not state[DELETED][0]


def conflicts(state: dict) -> dict[str, dict[str, str]]:
    """Free-text fields with versions that lost: field -> {clock: text}."""
    return {k[len(LEAVES):]: v for k, v in state.items() if k.startswith(LEAVES) and v}


@dataclass
class Ledger:
    """`sync_row` read and written through one transaction's connection, with a cache."""

    conn: object
    rows: dict[tuple[str, str], dict] = field(default_factory=dict)
    local: dict[tuple[str, str], str | None] = field(default_factory=dict)
    dirty: set[tuple[str, str]] = field(default_factory=set)
    known: set[tuple[str, str]] = field(default_factory=set)   # rows that exist in sync_row
    uids: dict[tuple[str, str], str | None] = field(default_factory=dict)  # local key -> uid
    waited_for: set[str] | None = None    # parents some row waits for (sync_wait), loaded once

    def sql(self, text: str, params: tuple = ()):
        return self.conn.exec_driver_sql(text, params)

    # --- reading ---------------------------------------------------------------------------
    def state(self, tbl: str, uid: str) -> dict:
        key = (tbl, uid)
        if key not in self.rows:
            row = self.sql("SELECT state, local_key FROM sync_row WHERE tbl=? AND uid=?",
                           key).first()
            self.rows[key] = json.loads(row[0]) if row else {}
            self.local[key] = row[1] if row else None
            if row:
                self.known.add(key)
        return self.rows[key]

    def fresh(self, tbl: str, uid: str) -> None:
        """A row with a new random uid: known empty without asking the database."""
        self.rows[(tbl, uid)] = {}
        self.local[(tbl, uid)] = None

    def uid_of(self, tbl: str, local_key) -> str | None:
        key = (tbl, str(local_key))
        if key not in self.uids:
            row = self.sql("SELECT uid FROM sync_row WHERE tbl=? AND local_key=?", key).first()
            self.uids[key] = row[0] if row else None
        return self.uids[key]

    def local_key(self, tbl: str, uid: str) -> str | None:
        self.state(tbl, uid)
        return self.local[(tbl, uid)]

    # --- writing ---------------------------------------------------------------------------
    def apply(self, tbl: str, uid: str, name: str, value, stamp: str, replaced=None,
              ghost: bool = False) -> bool:
        text = name in (SPECS[tbl].text if tbl in SPECS else ())
        changed = merge(self.state(tbl, uid), name, value, stamp, replaced, text, ghost)
        if changed:
            self.dirty.add((tbl, uid))
        return changed

    def set_local(self, tbl: str, uid: str, local_key: str | None) -> None:
        self.state(tbl, uid)
        old = self.local[(tbl, uid)]
        if old != local_key:
            if old is not None:
                self.uids[(tbl, old)] = None
            if local_key is not None:
                self.uids[(tbl, local_key)] = uid
            self.local[(tbl, uid)] = local_key
            self.dirty.add((tbl, uid))

    def save(self) -> None:
        rows = [(k, json.dumps(self.rows[k], separators=(",", ":"), ensure_ascii=False))
                for k in sorted(self.dirty)]
        cursor = self.conn.connection.driver_connection.cursor()
        try:
            cursor.executemany(
                "UPDATE sync_row SET state=?, local_key=? WHERE tbl=? AND uid=?",
                [(state, self.local[k], *k) for k, state in rows if k in self.known])
            cursor.executemany(
                "INSERT INTO sync_row (tbl, uid, local_key, state) VALUES (?,?,?,?)",
                [(*k, self.local[k], state) for k, state in rows if k not in self.known])
        finally:
            cursor.close()
        self.known.update(self.dirty)
        self.dirty.clear()

    def wait(self, parent: str, tbl: str, uid: str) -> None:
        self.sql("INSERT OR IGNORE INTO sync_wait (parent, tbl, uid) VALUES (?,?,?)",
                 (parent, tbl, uid))
        if self.waited_for is not None:
            self.waited_for.add(parent)

    def waiting_on(self, parent: str) -> list[tuple[str, str]]:
        """The rows that waited for `parent`, taken off the waiting list."""
        if self.waited_for is None:
            self.waited_for = {p for (p,) in self.sql("SELECT DISTINCT parent FROM sync_wait")}
        if parent not in self.waited_for:
            return []
        self.waited_for.discard(parent)
        rows = self.sql("SELECT tbl, uid FROM sync_wait WHERE parent=?", (parent,)).fetchall()
        self.sql("DELETE FROM sync_wait WHERE parent=?", (parent,))
        return [tuple(r) for r in rows]

    # --- projection --------------------------------------------------------------------------
    def project(self, tbl: str, uid: str) -> None:
        """Make the journal's table show this row's merged state (or not show it)."""
        spec = SPECS.get(tbl)
        if spec is None:
            return  # a table this version does not know: kept in the state, passed on
        state = self.state(tbl, uid)
        shown = self.local_key(tbl, uid)
        values, waiting_for = self._values(spec, state) if live(state) else (None, None)
        if values is not None:
            self._show(spec, uid, values, shown)
        else:
            if waiting_for:
                self.wait(waiting_for, tbl, uid)
            if shown is not None:
                self.hide(tbl, uid)
        # rows that waited for this one look again: shown now, or (a link the database
        # empties) shown unlinked because it went to the Trash, or waiting still
        for child_tbl, child_uid in self.waiting_on(uid):
            self.project(child_tbl, child_uid)

    def hide(self, tbl: str, uid: str) -> None:
        """Take a row (and first the rows that point at it) out of the journal's tables."""
        spec = SPECS[tbl]
        for child_tbl, child_uid in self.children(tbl, uid):
            if self.local_key(child_tbl, child_uid) is not None:
                self.hide(child_tbl, child_uid)
            self.wait(uid, child_tbl, child_uid)
        shown = self.local_key(tbl, uid)
        if shown is not None:
            where = " AND ".join(f'"{k}"=?' for k in spec.key)
            self.sql(f'DELETE FROM "{tbl}" WHERE {where}', tuple(shown.split("\x1f")))
            self.set_local(tbl, uid, None)

    def children(self, tbl: str, uid: str) -> list[tuple[str, str]]:
        """The shown rows that point at this shown row, found through the journal's own
        (indexed) foreign keys; children first."""
        shown = self.local_key(tbl, uid)
        if shown is None:
            return []
        out = []
        for spec in SPECS.values():
            for column, parent in spec.parents.items():
                if parent != tbl or column in spec.set_null:
                    continue   # a link the database empties keeps its row
                keys = ", ".join(f'"{k}"' for k in spec.key)
                for row in self.sql(f'SELECT {keys} FROM "{spec.name}" WHERE "{column}"=?',
                                    (shown,)).fetchall():
                    child = self.uid_of(spec.name, "\x1f".join(str(v) for v in row))
                    if child is not None and (spec.name, child) not in out:
                        out.append((spec.name, child))
        return sorted(out, key=lambda r: -specs.RANK[r[0]])

    def _values(self, spec, state: dict) -> tuple[dict | None, str | None]:
        values = {}
        for name in spec.fields:
            if name not in state:
                continue
            value = state[name][0]
            if name in spec.parents and value is not None:
                parent = self.local_key(spec.parents[name], value)
                parent_state = self.state(spec.parents[name], value)
                if parent is None or not live(parent_state):
                    if name in spec.set_null and parent_state and not live(parent_state):
                        values[name] = None   # its entry is in the Trash: shown unlinked
                        continue
                    return None, value
                value = int(parent) if SPECS[spec.parents[name]].serial else parent
            elif name in spec.blobs and value is not None:
                value = base64.b64decode(value)
            values[name] = value
        return values, None

    def _show(self, spec, uid: str, values: dict, shown: str | None) -> None:
        tbl = spec.name
        if tbl == "partner":
            values = {**values, "name": self._free_name(uid, values.get("name", ""))}
        if shown is not None:
            sets = ", ".join(f'"{k}"=?' for k in values)
            where = " AND ".join(f'"{k}"=?' for k in spec.key)
            if values:
                self.sql(f'UPDATE "{tbl}" SET {sets} WHERE {where}',
                         (*values.values(), *shown.split("\x1f")))
            if not spec.serial:
                self.set_local(tbl, uid, spec.local_key(values | dict(
                    zip(spec.key, shown.split("\x1f"), strict=True)) | values))
            return
        names = ", ".join(f'"{k}"' for k in values)
        marks = ", ".join("?" for _ in values)
        result = self.sql(f'INSERT INTO "{tbl}" ({names}) VALUES ({marks})',
                          tuple(values.values()))
        self.set_local(tbl, uid, str(result.lastrowid) if spec.serial
                       else spec.local_key(values))

    def _free_name(self, uid: str, name: str) -> str:
        """Two partners that took the same name on two devices: the smaller uid keeps it."""
        taken = self.sql("SELECT id FROM partner WHERE name=?", (name,)).first()
        if taken is None or str(taken[0]) == self.local_key("partner", uid):
            return name
        other = self.uid_of("partner", taken[0])
        if other is not None and other > uid:
            self.sql("UPDATE partner SET name=? WHERE id=?", (f"{name} ({other[:6]})", taken[0]))
            return name
        return f"{name} ({uid[:6]})"


def project(ledger: Ledger, touched) -> None:
    """Show the merged state of `touched` rows in the journal's tables, parents first."""
    for tbl, uid in sorted(touched, key=lambda r: (RANK.get(r[0], len(RANK)), r[1])):
        ledger.project(tbl, uid)
