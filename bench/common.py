"""Shared by the benchmarks: a journal of N interactions, built once and cached in bench/out/."""

from __future__ import annotations

import os
import random
import resource
import secrets
import statistics
import sys
import time
import tomllib
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models import db  # noqa: E402
from services import paths  # noqa: E402
from services.vault.vault_header import Header, key_check, read_header, write_header  # noqa: E402

OUT = ROOT / "bench" / "out"


def vocabulary() -> list[str]:
    data = tomllib.loads((ROOT / "resources" / "sample_journal.toml").read_text("utf-8"))
    text = " ".join(e["notes"] + " " + e.get("reflection", "")
                    for p in data["partner"] for e in p["interaction"])
    words = sorted({w.strip(".,:;'()\"").lower() for w in text.split() if len(w) > 3})
    return words


def build_journal(n_interactions: int, n_partners: int = 50, seed: int = 1) -> tuple[Path, bytes]:
    """A vault under bench/out/ with the given size; its raw key is kept beside it (bench only)."""
    root = OUT / f"journal-{n_interactions}-{n_partners}"
    key_file = root / "bench.key"
    if key_file.exists():
        header = read_header(paths.header_path(root))
        if not header.keychain:  # journals built before the header said where the key is
            header.keychain = True
            write_header(paths.header_path(root), header)
        return root, bytes.fromhex(key_file.read_text())
    root.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    header = Header(vault_id=str(uuid.uuid4()), check=key_check(key), keychain=True)
    write_header(paths.header_path(root), header)
    engine = db.make_engine(paths.db_path(root), key)
    db.migrate(engine)
    engine.dispose()
    rng = random.Random(seed)
    words = vocabulary()
    con = db.connect(paths.db_path(root), key)
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO partner (id, name, kind, status, summary, created_at) "
        "VALUES (?, ?, 'strategic', 'active', '', '2024-01-01')",
        [(i, f"Partner {i:03d}") for i in range(1, n_partners + 1)])
    con.executemany(
        "INSERT INTO stakeholder (partner_id, name, side, role, influence, stance, notes, active)"
        " VALUES (?, ?, 'partner', 'Director', ?, ?, '', 1)",
        [(1 + i % n_partners, f"Person {i}", 1 + i % 5,
          ("champion", "supporter", "neutral", "skeptic", "blocker")[i % 5]) for i in range(500)])
    start = datetime(2021, 1, 1)
    kinds = ("meeting", "call", "email", "workshop", "informal", "internal")
    rows = []
    for i in range(n_interactions):
        when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 5))
        title = " ".join(rng.choices(words, k=rng.randint(3, 7))).capitalize()
        notes = " ".join(rng.choices(words, k=rng.randint(40, 120)))
        reflection = " ".join(rng.choices(words, k=rng.randint(0, 30)))
        rows.append((1 + i % n_partners, when.isoformat(" "), rng.choice(kinds), title, notes,
                     reflection, rng.randint(0, 5), when.isoformat(" "), when.isoformat(" ")))
    con.executemany(
        "INSERT INTO interaction (partner_id, occurred_at, kind, title, notes, reflection, "
        "difficulty, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    key_file.write_text(key.hex())
    return root, key


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def timed(fn, *args, **kwargs) -> float:
    t = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def env_note() -> str:
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"


try:
    from keyring.backend import KeyringBackend

    class BenchKeyring(KeyringBackend):
        """The bench's stand-in for the OS keychain: the key comes from BENCH_KEY_HEX."""

        priority = 10

        def get_password(self, service, username):
            return os.environ.get("BENCH_KEY_HEX")

        def set_password(self, service, username, password):
            pass

        def delete_password(self, service, username):
            pass
except ImportError:  # pragma: no cover
    pass
