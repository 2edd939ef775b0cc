"""Crash safety: a writer killed with SIGKILL loses nothing whose save had returned."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from services import journal, paths
from services import vault as vaults
from services.store import use_case

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import sys
from pathlib import Path
from services import journal, vault
v = vault.open_with_key(Path(sys.argv[1]), bytes.fromhex(sys.stdin.readline().strip()))
from services.store import use_case
from services.store import use_case
with use_case(v, write=True) as s:
    partner, _ = journal.ensure_partner(session=s, name="Crash test")
n = 0
while True:
    n += 1
    with use_case(v, write=True) as s:  # one entry, one use case: committed when it returns
        item = journal.create_interaction(session=s, interaction_in={
            "partner_id": partner.id, "title": f"entry {n}", "notes": "x" * (n % 7 * 900)})
    print(item.id, flush=True)
"""


def test_sigkill_at_random_moments_loses_no_saved_entry(vault, data_dir):
    key_hex = vault.key.hex()
    vault.lock()
    rng = random.Random(2026)
    saved: set[int] = set()
    for _ in range(15):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(data_dir)], cwd=ROOT,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                 env=os.environ | {"PYTHONPATH": str(ROOT)})
        child.stdin.write(key_hex + "\n")
        child.stdin.flush()
        time.sleep(rng.uniform(0.6, 1.4))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        saved.update(int(line) for line in out.split())
    assert len(saved) > 15  # the children really wrote

    reopened = vaults.open_with_key(data_dir, bytes.fromhex(key_hex))
    with use_case(reopened) as s:
        stored = {i.id for i in journal.list_interactions(session=s)}
        check = s.connection().exec_driver_sql("PRAGMA integrity_check").scalar()
    reopened.lock()
    assert saved <= stored
    assert check == "ok"
    assert paths.db_path(data_dir).exists()
