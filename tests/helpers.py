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
