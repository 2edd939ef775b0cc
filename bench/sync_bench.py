"""Sync benchmark (issue 24): applying operations, bootstrapping a device from a large journal,
and what sync adds to a save. Real SQLCipher vaults (services.vault.create_vault, unlocked by
CONFIDANT_PASSPHRASE, no system keychain), a temporary folder as the synced folder.

Run by hand: `.venv/bin/python bench/sync_bench.py` (full size, about 3 minutes on 2 cores),
or `--quick` for a small run. Writes bench/results/sync_bench.txt. Other options: `--every N`
(A syncs every N use cases while writing; by default once, after writing), `--keep` (keep the
vaults and folders in /tmp). SYNC_BENCH_ENGINE names the engine measured
when the bench runs from an exported tree (`git archive HEAD`), away from local edits.

1. Apply: device A turns sync on into the folder, writes entries (a partner each 100 entries,
   create_interaction with one tag, one use case each) until about 10,000 operations wait in
   its outbox, and syncs. Device B joins (empty journal): the time of its join, and of the
   segments' apply inside it (ops/s). Then A writes another 10,000 operations (new entries and
   edits of old ones, half and half) and syncs; a plain sync_now on B is timed.
2. Bootstrap: a journal of 100,000 interactions (50 partners, notes of 40-120 words) inserted
   by SQL, then turn_on (it records every row as operations and publishes them); A writes a
   snapshot (snapshots.compact with threshold 0, as the round does after 200 segments), then
   1,000 more operations after it. A new device C joins in a fresh process: wall time, the
   snapshot's share, peak RSS (VmHWM), the snapshot file's size.
3. Save cost: two journals of 1,000 entries, one with sync on; 200 saves on each, alternating
   between them: create_interaction (2 KB note) in one use case, update_interaction (another
   2 KB note) in the next. p95 with sync on / p95 with sync off; target <= 1.2x.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from common import ROOT, env_note, p95, vocabulary

sys.path.insert(0, str(ROOT))
PASSPHRASE = "sync bench passphrase"
os.environ["CONFIDANT_PASSPHRASE"] = PASSPHRASE

import keyring  # noqa: E402
from keyring.backends import fail  # noqa: E402

keyring.set_keyring(fail.Keyring())   # no system keychain: the passphrase unlocks

from services import journal  # noqa: E402
from services import vault as vaults  # noqa: E402
from services.store import use_case  # noqa: E402
from services.sync import device as this_device  # noqa: E402
from services.sync import exchange, sealed, service, snapshots  # noqa: E402

RESULTS = ROOT / "bench" / "results"
QUICK = "--quick" in sys.argv
# A round that seals more than exchange.OPS_PER_SEGMENT operations cuts some row's operations
# across two segments; a row is shown only once its tombstone field (sent last) arrived, so
# one round after all the writing is the default (it once failed every join: NOT NULL).
SYNC_EVERY = int(sys.argv[sys.argv.index("--every") + 1]) if "--every" in sys.argv else None
ONE_ROUND = SYNC_EVERY is None
KEEP = "--keep" in sys.argv
APPLY_OPS = 1_000 if QUICK else 10_000
BIG = 5_000 if QUICK else 100_000
AFTER_SNAPSHOT_OPS = 1_000
SAVE_JOURNAL = 200 if QUICK else 1_000
SAVES = 50 if QUICK else 200
TARGET_RATIO = 1.2
KINDS = ("meeting", "call", "email", "workshop", "informal", "internal")
WORDS = vocabulary()


def vm(field: str) -> float:
    """VmRSS / VmHWM of this process in MB (VmHWM is per process image: a child's starts
    afresh, unlike ru_maxrss which inherits the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def new_vault(base: Path, name: str):
    return vaults.create_vault(base / name).vault


def text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


def note_2k(rng: random.Random) -> str:
    out = text(rng, 300, 340)
    while len(out) < 2048:
        out += " " + rng.choice(WORDS)
    return out[:2048]


def outbox(vault) -> int:
    """Operations (one per field written) waiting in the outbox; an outbox row holds a row
    change: its fields under one clock."""
    with use_case(vault) as s:
        return s.connection().exec_driver_sql(
            "SELECT coalesce(sum(json_array_length(json_extract(op, '$[3]'))), 0) "
            "FROM sync_outbox WHERE seq IS NULL AND op != 'null'").scalar()


class Timers:
    """Seconds spent in some engine functions, by wrapping them (the bench's own process)."""

    def __init__(self):
        self.spent: dict[str, float] = {}
        self.undo = []

    def wrap(self, module, name: str, label: str) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - t

        setattr(module, name, timed)
        self.undo.append((module, name, original))

    def restore(self) -> None:
        for module, name, original in reversed(self.undo):
            setattr(module, name, original)
        self.undo.clear()


# --- writing entries -------------------------------------------------------------------------
def add_partner(vault, n: int) -> int:
    with use_case(vault, write=True) as s:
        return journal.create_partner(session=s, partner_in={
            "name": f"Bench partner {n:04d}", "summary": "A partner for the sync bench."}).id


def add_entry(vault, rng: random.Random, partner_id: int, notes: str | None = None) -> int:
    with use_case(vault, write=True) as s:
        return journal.create_interaction(session=s, interaction_in={
            "partner_id": partner_id, "kind": rng.choice(KINDS),
            "occurred_at": datetime(2024, 1, 1) + timedelta(minutes=rng.randint(0, 500_000)),
            "title": text(rng, 3, 7).capitalize(),
            "notes": notes if notes is not None else text(rng, 40, 120),
            "reflection": text(rng, 0, 30), "difficulty": rng.randint(0, 5),
            "tags": [rng.choice(WORDS)[:20]]}).id


def edit_entry(vault, rng: random.Random, entry_id: int, notes: str | None = None) -> None:
    with use_case(vault, write=True) as s:
        journal.update_interaction(session=s, interaction_id=entry_id, interaction_in={
            "title": text(rng, 3, 7).capitalize(),
            "notes": notes if notes is not None else text(rng, 40, 120)})


def write_ops(vault, rng: random.Random, target: int, partners: list[int], entries: list[int],
              edits: bool, sync_every: int | None = None) -> tuple[int, float]:
    """Entries (and, with `edits`, edits of older ones, alternating) until `target` operations
    were recorded; with `sync_every`, a sync_now after that many use cases (not timed).
    Returns (operations, seconds writing)."""
    recorded, spent, n = 0, 0.0, 0
    while recorded < target:
        start = outbox(vault)
        t = time.perf_counter()
        for _ in range(50):
            if n % 100 == 0:
                partners.append(add_partner(vault, len(partners) + 1))
            if edits and n % 2 and entries:
                edit_entry(vault, rng, rng.choice(entries))
            else:
                entries.append(add_entry(vault, rng, rng.choice(partners)))
            n += 1
        spent += time.perf_counter() - t
        recorded += outbox(vault) - start
        if sync_every and n % sync_every == 0:
            service.sync_now(vault)
    return recorded, spent


# --- 1. applying 10,000 operations -----------------------------------------------------------
def bench_apply(base: Path) -> dict:
    rng = random.Random(24)
    folder = base / "folder-apply"
    folder.mkdir()
    a, b = new_vault(base, "apply-a"), new_vault(base, "apply-b")
    service.turn_on(a, folder, passphrase=PASSPHRASE, name="A")
    partners: list[int] = []
    entries: list[int] = []
    ops, write_a = write_ops(a, rng, APPLY_OPS, partners, entries, edits=False,
                             sync_every=SYNC_EVERY)
    t = time.perf_counter()
    service.sync_now(a)
    publish = time.perf_counter() - t
    with use_case(a) as s:
        published = len(sealed.numbered(this_device.settings_of(s).own, sealed.SEGMENT_NAME))

    t = time.perf_counter()
    service.unlock_folder(folder, passphrase=PASSPHRASE)
    unlock = time.perf_counter() - t
    timers = Timers()
    timers.wrap(exchange, "_apply_segment", "apply")
    timers.wrap(sealed, "open_file", "open")
    t = time.perf_counter()
    joined = service.join(b, folder, passphrase=PASSPHRASE, name="B")
    join = time.perf_counter() - t
    timers.restore()
    join_spent = dict(timers.spent)

    ops2, write_more = write_ops(a, rng, APPLY_OPS, partners, entries, edits=True,
                                 sync_every=SYNC_EVERY)
    service.sync_now(a)
    timers = Timers()
    timers.wrap(exchange, "_apply_segment", "apply")
    timers.wrap(sealed, "open_file", "open")
    t = time.perf_counter()
    again = service.sync_now(b)
    sync_b = time.perf_counter() - t
    timers.restore()
    for line in joined.refused + again.refused:   # a bench that hides a refusal measures nothing
        print("refused:", line, file=sys.stderr)
    with use_case(b) as s:
        shown = s.connection().exec_driver_sql("SELECT count(*) FROM interaction").scalar()
    with use_case(a) as s:
        expected = s.connection().exec_driver_sql("SELECT count(*) FROM interaction").scalar()
    a.lock()
    b.lock()
    return {"ops": ops, "entries": len(entries), "write_a": write_a, "publish": publish,
            "segments": published, "unlock": unlock, "join": join,
            "join_ops": joined.operations, "join_segments": joined.applied,
            "join_apply": join_spent.get("apply", 0.0), "join_open": join_spent.get("open", 0.0),
            "ops2": ops2, "write_more": write_more, "sync_b": sync_b,
            "sync_ops": again.operations, "sync_segments": again.applied,
            "sync_apply": timers.spent.get("apply", 0.0),
            "sync_open": timers.spent.get("open", 0.0),
            "b_entries": shown, "a_entries": expected}


# --- 2. bootstrapping from a 100k-entry journal ----------------------------------------------
def insert_journal(vault, n: int, partners: int, seed: int) -> None:
    rng = random.Random(seed)
    start = datetime(2019, 1, 1)
    with use_case(vault, write=True) as s:
        conn = s.connection()
        conn.exec_driver_sql(
            "INSERT INTO partner (name, kind, status, summary, created_at) "
            "VALUES (?, 'strategic', 'active', '', '2024-01-01 00:00:00')",
            [(f"Partner {i:03d}",) for i in range(1, partners + 1)])
        first = conn.exec_driver_sql("SELECT min(id) FROM partner").scalar()
        rows = []
        for i in range(n):
            when = (start + timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 5))).isoformat(" ")
            rows.append((first + i % partners, when, rng.choice(KINDS),
                         text(rng, 3, 7).capitalize(), text(rng, 40, 120), text(rng, 0, 30),
                         rng.randint(0, 5), when, when))
        conn.exec_driver_sql(
            "INSERT INTO interaction (partner_id, occurred_at, kind, title, notes, reflection, "
            "difficulty, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def bench_bootstrap(base: Path) -> dict:
    rng = random.Random(100)
    folder = base / "folder-big"
    folder.mkdir()
    a = new_vault(base, "big-a")
    t = time.perf_counter()
    insert_journal(a, BIG, 50, seed=7)
    build = time.perf_counter() - t
    db_before = _db_bytes(a)
    timers = Timers()
    timers.wrap(service, "record_all", "record")
    timers.wrap(exchange, "_publish", "publish")
    timers.wrap(snapshots, "compact", "compact")
    t = time.perf_counter()
    root = service.turn_on(a, folder, passphrase=PASSPHRASE, name="A")
    turn_on = time.perf_counter() - t
    timers.restore()
    with use_case(a) as s:
        conf = this_device.settings_of(s)
        recorded = s.connection().exec_driver_sql("SELECT count(*) FROM sync_row").scalar()
        ops = int(s.connection().exec_driver_sql(
            "SELECT value FROM sync_state WHERE key='next_seq'").scalar()) - 1
    snap_made_by_turn_on = bool(sealed.numbered(conf.own, sealed.SNAPSHOT_NAME))
    t = time.perf_counter()
    if not snap_made_by_turn_on:
        snapshots.compact(a, conf, this_device.Round(), threshold=0)
    compact = time.perf_counter() - t
    snaps = sealed.numbered(conf.own, sealed.SNAPSHOT_NAME)
    snapshot = snaps[max(snaps)][0]
    partners = [p for (p,) in _ids(a, "partner")]
    entries: list[int] = []
    write_ops(a, rng, AFTER_SNAPSHOT_OPS, partners, entries, edits=False)
    after = service.sync_now(a)
    segments_left = len(sealed.numbered(conf.own, sealed.SEGMENT_NAME))
    db_after = _db_bytes(a)
    a.lock()
    child = subprocess.run([sys.executable, __file__, "--child-join", str(folder),
                            str(base / "big-c")], capture_output=True, text=True)
    if child.returncode:
        sys.stderr.write(child.stderr)
        raise SystemExit("the joining device failed")
    c = json.loads(child.stdout.strip().splitlines()[-1])
    return {"entries": BIG, "build": build, "turn_on": turn_on, "recorded_rows": recorded,
            "turn_on_segments": ops, "record": timers.spent.get("record", 0.0),
            "publish": timers.spent.get("publish", 0.0),
            "compact_in_turn_on": timers.spent.get("compact", 0.0),
            "snapshot_by_turn_on": snap_made_by_turn_on, "compact": compact,
            "snapshot_bytes": snapshot.stat().st_size, "after_segments": after.published,
            "segments_left": segments_left, "folder_bytes": _size(root),
            "a_db_before": db_before, "a_db_after": db_after, **c}


def _ids(vault, table: str) -> list[tuple]:
    with use_case(vault) as s:
        return s.connection().exec_driver_sql(f"SELECT id FROM {table}").fetchall()


def _db_bytes(vault) -> int:
    """The journal file and its write-ahead log."""
    return sum(p.stat().st_size for p in (Path(vault.db_path), Path(f"{vault.db_path}-wal"))
               if p.exists())


def engine_version() -> str:
    """The engine measured: HEAD, or SYNC_BENCH_ENGINE (a run from an exported tree)."""
    if os.environ.get("SYNC_BENCH_ENGINE"):
        return "engine: " + os.environ["SYNC_BENCH_ENGINE"]
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                                "services/sync", "services/store.py"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "engine: not a git checkout"
    return f"engine: commit {head}" + (", services/sync changed locally" if dirty else "")


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def child_join(folder: str, data_dir: str) -> None:
    """Device C, alone in this process: create its vault, join, report."""
    c = vaults.create_vault(Path(data_dir)).vault
    baseline = vm("VmRSS")
    timers = Timers()
    timers.wrap(snapshots, "bootstrap", "bootstrap")
    timers.wrap(exchange, "_apply_segment", "apply")
    timers.wrap(sealed, "open_file", "open")
    timers.wrap(snapshots, "project", "project")
    t = time.perf_counter()
    joined = service.join(c, folder, passphrase=PASSPHRASE, name="C")
    wall = time.perf_counter() - t
    cpu = time.process_time()
    with use_case(c) as s:
        shown = s.connection().exec_driver_sql("SELECT count(*) FROM interaction").scalar()
    c.lock()
    print(json.dumps({"join": wall, "join_cpu": cpu, "baseline_rss": baseline,
                      "peak_rss": vm("VmHWM"), "c_entries": shown,
                      "join_segments": joined.applied, "join_ops": joined.operations,
                      "c_bootstrap": timers.spent.get("bootstrap", 0.0),
                      "c_apply": timers.spent.get("apply", 0.0),
                      "c_open": timers.spent.get("open", 0.0),
                      "c_project": timers.spent.get("project", 0.0),
                      "db_bytes": Path(c.db_path).stat().st_size}))


# --- 3. what sync adds to a save -------------------------------------------------------------
def bench_save(base: Path) -> dict:
    rng = random.Random(3)
    off, on = new_vault(base, "save-off"), new_vault(base, "save-on")
    for vault in (off, on):
        insert_journal(vault, SAVE_JOURNAL, 20, seed=11)
    folder = base / "folder-save"
    folder.mkdir()
    service.turn_on(on, folder, passphrase=PASSPHRASE, name="on")
    partners = {name: [p for (p,) in _ids(v, "partner")] for v, name in ((off, "off"), (on, "on"))}
    times = {(v, what): [] for v in ("off", "on") for what in ("create", "update")}
    for v, name in ((off, "off"), (on, "on")):   # warm up each journal's engine and caches
        edit_entry(v, rng, add_entry(v, rng, partners[name][0], note_2k(rng)), note_2k(rng))
    for _ in range(SAVES):
        notes = note_2k(rng), note_2k(rng)
        for v, name in ((off, "off"), (on, "on")):
            r = random.Random(rng.random())
            t = time.perf_counter()
            entry = add_entry(v, r, r.choice(partners[name]), notes[0])
            times[(name, "create")].append(time.perf_counter() - t)
            t = time.perf_counter()
            edit_entry(v, r, entry, notes[1])
            times[(name, "update")].append(time.perf_counter() - t)
    off.lock()
    on.lock()
    out = {"journal": SAVE_JOURNAL, "saves": SAVES}
    for (name, what), samples in times.items():
        out[f"{what}_{name}_p50"] = statistics.median(samples)
        out[f"{what}_{name}_p95"] = p95(samples)
    for what in ("create", "update"):
        out[f"{what}_ratio"] = out[f"{what}_on_p95"] / out[f"{what}_off_p95"]
    both = {name: [c + u for c, u in zip(times[(name, "create")], times[(name, "update")],
                                         strict=True)] for name in ("off", "on")}
    out["both_off_p95"], out["both_on_p95"] = p95(both["off"]), p95(both["on"])
    out["both_ratio"] = out["both_on_p95"] / out["both_off_p95"]
    return out


# --- report ----------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "holds" if ok else "FAILS"


def report(r1: dict, r2: dict, r3: dict, total: float) -> list[str]:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    apply_rate = r1["join_ops"] / r1["join_apply"] if r1["join_apply"] else float("nan")
    sync_rate = r1["sync_ops"] / r1["sync_b"] if r1["sync_b"] else float("nan")
    lines = [f"Sync benchmark (issue 24){' --quick' if QUICK else ''}: {env_note()}; load "
             f"average {load} at the end; {datetime.now():%Y-%m-%d %H:%M}; {total:.0f} s in all",
             engine_version(),
             "",
             f"1. Apply {r1['ops']:,} operations ({r1['entries']:,} entries, one use case each, "
             "with a tag; a partner each 100)",
             f"  A: writing them                     {r1['write_a']:8.2f} s  "
             f"({r1['ops'] / r1['write_a']:,.0f} ops/s recorded)",
             f"  A: last sync_now (seal, publish)    {r1['publish']:8.2f} s  "
             f"({r1['segments']} segments in its folder"
             + (", one round)" if ONE_ROUND else f"; A synced every {SYNC_EVERY} use cases)"),
             f"  B: join, all                        {r1['join']:8.2f} s  "
             f"({r1['join_ops']:,} ops, {r1['join_segments']} segments: "
             f"{r1['join_ops'] / r1['join']:,.0f} ops/s)",
             f"     of which unlock (passphrase KDF) {r1['unlock']:8.2f} s  (timed apart)",
             f"     of which applying segments       {r1['join_apply']:8.2f} s  "
             f"({apply_rate:,.0f} ops/s; open+decrypt {r1['join_open']:.2f} s)",
             f"  A: another {r1['ops2']:,} ops (new entries and edits) in {r1['write_more']:.1f} s",
             f"  B: sync_now                         {r1['sync_b']:8.2f} s  "
             f"({r1['sync_ops']:,} ops, {r1['sync_segments']} segments: {sync_rate:,.0f} ops/s; "
             f"applying {r1['sync_apply']:.2f} s, open+decrypt {r1['sync_open']:.2f} s)",
             f"  check: B shows {r1['b_entries']:,} entries, A has {r1['a_entries']:,}",
             "",
             f"2. Bootstrap a third device from a {r2['entries']:,}-entry journal",
             f"  A: {r2['entries']:,} entries inserted by SQL  {r2['build']:8.2f} s",
             f"  A: turn_on (record all, snapshot)  {r2['turn_on']:7.2f} s  "
             f"({r2['recorded_rows']:,} rows recorded: {r2['record']:.1f} s; "
             f"{r2['turn_on_segments']} segments published: {r2['publish']:.1f} s; "
             f"compaction in the round {r2['compact_in_turn_on']:.1f} s)",
             f"  A: journal file (and WAL)          {r2['a_db_before'] / 2**20:8.0f} MB before "
             f"turn_on, {r2['a_db_after'] / 2**20:.0f} MB after (sync_row, outbox)",
             f"  A: snapshot                        {r2['compact']:8.2f} s  "
             + ("(written by turn_on)" if r2["snapshot_by_turn_on"]
                else "(snapshots.compact, threshold 0)"),
             f"  snapshot file                      {r2['snapshot_bytes'] / 2**20:8.1f} MB  "
             f"(whole journal folder {r2['folder_bytes'] / 2**20:.1f} MB; "
             f"{r2['segments_left']} segment(s) after it)",
             f"  C: join (new process)              {r2['join']:8.2f} s wall  "
             f"({r2['join_cpu']:.1f} s CPU in the process)",
             f"     bootstrap (snapshot)             {r2['c_bootstrap']:8.2f} s  "
             f"(of which projecting rows {r2['c_project']:.1f} s, open+decrypt "
             f"{r2['c_open']:.1f} s)",
             f"     segments after it                {r2['c_apply']:8.2f} s  "
             f"({r2['join_ops']:,} ops, {r2['join_segments']} segments)",
             f"     peak RSS (VmHWM)                 {r2['peak_rss']:8.0f} MB  "
             f"({r2['baseline_rss']:.0f} MB before joining; the join added "
             f"{r2['peak_rss'] - r2['baseline_rss']:.0f} MB)",
             f"  check: C shows {r2['c_entries']:,} entries; its journal file "
             f"{r2['db_bytes'] / 2**20:.0f} MB",
             "",
             f"3. Save cost, {r3['saves']} saves on a {r3['journal']:,}-entry journal "
             "(2 KB note; sync off vs on, alternating)",
             "  use case             off p50   off p95    on p50    on p95   p95 ratio",
             ]
    for what in ("create", "update"):
        lines.append(f"  {what + '_interaction':18} {r3[f'{what}_off_p50'] * 1000:7.1f} ms"
                     f"{r3[f'{what}_off_p95'] * 1000:7.1f} ms{r3[f'{what}_on_p50'] * 1000:7.1f} ms"
                     f"{r3[f'{what}_on_p95'] * 1000:7.1f} ms   {r3[f'{what}_ratio']:5.2f}x")
    lines.append(f"  {'create + update':18} {'':>10}{r3['both_off_p95'] * 1000:7.1f} ms{'':>10}"
                 f"{r3['both_on_p95'] * 1000:7.1f} ms   {r3['both_ratio']:5.2f}x")
    worst = max(r3["create_ratio"], r3["update_ratio"])
    lines += ["", "Targets",
              f"  save p95 with sync on <= {TARGET_RATIO}x off: worst {worst:.2f}x "
              f"-> {verdict(worst <= TARGET_RATIO)}",
              f"  apply: {apply_rate:,.0f} ops/s in join, {sync_rate:,.0f} ops/s in a plain "
              f"sync_now (10,000 ops in {r1['sync_b']:.1f} s)" if not QUICK else
              f"  apply: {apply_rate:,.0f} ops/s in join, {sync_rate:,.0f} ops/s in sync_now",
              f"  bootstrap from {r2['entries']:,} entries: {r2['join']:.1f} s, peak RSS "
              f"{r2['peak_rss']:.0f} MB, snapshot {r2['snapshot_bytes'] / 2**20:.1f} MB"]
    return lines


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    started = time.perf_counter()
    parts = {}
    for name, fn in (("save", bench_save), ("apply", bench_apply),
                     ("bootstrap", bench_bootstrap)):
        t = time.perf_counter()
        try:
            parts[name] = fn(base)
        except BaseException:
            print(f"[{name} failed; its vaults and folder are kept in {base}]", flush=True)
            raise
        print(f"[{name}: {time.perf_counter() - t:.0f} s] {parts[name]}", flush=True)
    lines = report(parts["apply"], parts["bootstrap"], parts["save"],
                   time.perf_counter() - started)
    print("\n".join(lines))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sync_bench.txt").write_text("\n".join(lines) + "\n")
    if not KEEP:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child-join"]:
        child_join(sys.argv[2], sys.argv[3])
    else:
        main()
