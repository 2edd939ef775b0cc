"""Small helpers shared by tests."""

from __future__ import annotations

import hashlib
import time
import tracemalloc
from pathlib import Path


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under folder with its SHA-256: to prove a failure changed nothing."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def measured(call, refused: type[BaseException]):
    """call() under tracemalloc: (its result or the `refused` error it raised, seconds, peak
    bytes), for the hostile-input tests' budgets."""
    tracemalloc.start()
    start = time.monotonic()
    try:
        outcome = call()
    except refused as err:
        outcome = err
    finally:
        took = time.monotonic() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return outcome, took, peak


def add_entries(vault, n: int = 3, notes: str = "") -> None:
    """`n` entries of the partner Helix, in one use case."""
    from services import journal
    from services.store import use_case

    with use_case(vault, write=True) as s:
        partner, _ = journal.ensure_partner(session=s, name="Helix")
        for i in range(n):
            journal.create_interaction(session=s, interaction_in={
                "partner_id": partner.id, "title": f"entry {i}", "notes": notes})
