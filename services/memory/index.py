"""The indexer: keeps every entry's chunk vectors current, never inside a save.

An entry is stale when it has no chunk, was changed since its chunks were written (its
`updated_at` is not the one they were made from), or its chunks came from another model. Indexing is two steps so no write lock is held while the model
works: `read_stale` (a read use case: the entries' text) and `embed` (no session), then
`store` (a short write use case: the old chunks replaced). A deleted entry's chunks go with it
(ON DELETE CASCADE). `catch_up` runs the three in a loop for the command line; the app runs the
same steps on its background worker with progress and time left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from services.memory.vectors import Chunk, chunks, entry_texts, pack

BATCH = 16


def model_id(embedder) -> str:
    """Which model wrote a chunk's vector: vectors of another model are stale."""
    return getattr(embedder, "model_id", None) or embedder.path.stem


@dataclass
class Pending:
    interaction_id: int
    chunks: list[Chunk]
    version: str                 # the entry's updated_at as read: the chunks' indexed_at
    vectors: list = None


def stale_count(session: Session, model: str) -> int:
    return session.connection().execute(text(_STALE.format(what="count(*)", limit="")),
                                        {"model": model}).scalar_one()


_STALE = ("SELECT {what} FROM interaction i LEFT JOIN (SELECT interaction_id, min(indexed_at) "
          "AS t, min(model) AS lo, max(model) AS hi FROM entry_chunk GROUP BY interaction_id) c "
          "ON c.interaction_id = i.id WHERE c.t IS NULL OR c.t != i.updated_at "
          "OR c.lo != :model OR c.hi != :model {limit}")


def read_stale(session: Session, model: str, count_tokens, limit: int = BATCH
               ) -> list[Pending]:
    rows = session.connection().execute(text(_STALE.format(
        what="i.id, i.title, i.notes, i.reflection, i.updated_at",
        limit="ORDER BY i.id LIMIT :n")), {"model": model, "n": limit}).all()
    return [Pending(r[0], chunks(entry_texts(r[1], r[2], r[3]), count_tokens), str(r[4]))
            for r in rows]


def embed(pending: list[Pending], embedder) -> list[Pending]:
    for p in pending:
        p.vectors = list(embedder.embed([c.text for c in p.chunks])) if p.chunks else []
    return pending


def store(session: Session, pending: list[Pending], model: str) -> int:
    """Replace the chunks of these entries (entries deleted meanwhile are skipped)."""
    conn = session.connection()
    written = 0
    for p in pending:
        conn.execute(text("DELETE FROM entry_chunk WHERE interaction_id = :i"),
                     {"i": p.interaction_id})
        exists = conn.execute(text("SELECT 1 FROM interaction WHERE id = :i"),
                              {"i": p.interaction_id}).first()
        if not exists:
            continue
        for c, v in zip(p.chunks, p.vectors, strict=True):
            conn.execute(text(
                "INSERT INTO entry_chunk (interaction_id, field, start, \"end\", vector, model, "
                "indexed_at) VALUES (:i, :f, :s, :e, :v, :m, :t)"),
                {"i": p.interaction_id, "f": c.field, "s": c.start, "e": c.end, "v": pack(v),
                 "m": model, "t": p.version})
            written += 1
    return written


def catch_up(vault, embedder, *, on_progress: Callable[[int, int, float], None] | None = None
             ) -> int:
    """Index every stale entry, a batch at a time: each batch read, embedded outside any
    transaction, then written in a short use case of its own. Returns the entries indexed."""
    from services.store import use_case

    model = model_id(embedder)
    with use_case(vault) as s:
        total = stale_count(s, model)
    done, started = 0, time.perf_counter()
    while done < total:
        with use_case(vault) as s:
            batch = read_stale(s, model, embedder.count_tokens)
        if not batch:
            break
        embed(batch, embedder)
        with use_case(vault, write=True) as s:
            store(s, batch, model)
        done += len(batch)
        if on_progress is not None:
            rate = done / max(time.perf_counter() - started, 1e-6)
            on_progress(done, total, (total - done) / rate)
    return done
