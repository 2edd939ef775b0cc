"""The vectors inside the encrypted journal, and the search by meaning over them.

Each entry is cut into chunks: spans of its text (the title and notes as one text, the private
reflection as another) of whole sentences, up to CHUNK_TOKENS (the model was trained on 256).
A chunk row keeps only its offsets and its float16 vector: the text stays the entry's own.

Search: numpy over a matrix of every chunk vector (float32, L2-normalised), cached in memory per
journal file and brought up to date by the rows added since (a change elsewhere rebuilds it).
Chosen by measurement (bench/memory_bench.py): a brute-force product over 100k x 384 float32 is
tens of milliseconds with no index to keep; sqlite-vec inside SQLCipher decrypts every page it
reads and was 0.9 s per query with the default page cache. Filters (partner, kind, dates) are
masks over arrays kept beside the matrix.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from sqlalchemy import text
from sqlmodel import Session

from models.tables import InteractionKind

CHUNK_TOKENS = 200              # under the model's 256, with room for the tokenizer's marks
SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
KINDS = {kind.name: n for n, kind in enumerate(InteractionKind)}


@dataclass(frozen=True)
class Chunk:
    field: str          # 'notes' (title and notes) or 'reflection'
    start: int
    end: int
    text: str


def entry_texts(title: str, notes: str, reflection: str) -> dict[str, str]:
    return {"notes": f"{title}.\n{notes or ''}".strip(), "reflection": (reflection or "").strip()}


def sentences(text_: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end), blanks left out."""
    return [(m.start(), m.end()) for m in SENTENCE.finditer(text_) if m.group().strip()]


def chunks(texts: dict[str, str], count_tokens) -> list[Chunk]:
    """Whole sentences packed into chunks of up to CHUNK_TOKENS; a longer sentence is cut."""
    found = []
    for field, body in texts.items():
        start = end = None
        used = 0
        for s, e in sentences(body):
            cost = count_tokens(body[s:e])
            if start is not None and used + cost > CHUNK_TOKENS:
                found.append(Chunk(field, start, end, body[start:end]))
                start, used = None, 0
            if start is None:
                start = s
            end, used = e, used + cost
        if start is not None:
            found.append(Chunk(field, start, end, body[start:end]))
    return found


def pack(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float16).tobytes()


# --- the matrix, cached per journal ------------------------------------------------------------
@dataclass
class Matrix:
    ids: np.ndarray            # chunk id per row
    entries: np.ndarray        # interaction id per row
    partners: np.ndarray
    kinds: np.ndarray
    days: np.ndarray           # the entry's date, as a day number
    fields: np.ndarray         # 0 notes, 1 reflection
    vectors: np.ndarray        # float32 (rows, dims), L2-normalised
    last_id: int = 0
    count: int = 0


_CACHE: dict[str, Matrix] = {}
_LOCK = threading.Lock()


def _rows(session: Session, after: int = 0):
    return session.connection().execute(text(
        "SELECT c.id, c.interaction_id, i.partner_id, i.kind, i.occurred_at, c.field, c.vector "
        "FROM entry_chunk c JOIN interaction i ON i.id = c.interaction_id "
        "WHERE c.id > :after ORDER BY c.id"), {"after": after}).all()


def _day(value) -> int:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return (value.date() if isinstance(value, datetime) else value).toordinal()


def _build(rows, dims: int) -> Matrix:
    n = len(rows)
    vectors = np.frombuffer(b"".join(r[6] for r in rows), dtype=np.float16).reshape(
        n, dims).astype(np.float32) if n else np.zeros((0, dims), np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors /= np.where(norms == 0, 1, norms)
    return Matrix(ids=np.array([r[0] for r in rows], np.int64),
                  entries=np.array([r[1] for r in rows], np.int64),
                  partners=np.array([r[2] for r in rows], np.int64),
                  kinds=np.array([KINDS.get(r[3], -1) for r in rows], np.int16),
                  days=np.array([_day(r[4]) for r in rows], np.int32),
                  fields=np.array([r[5] == "reflection" for r in rows], np.int8),
                  vectors=vectors, last_id=int(rows[-1][0]) if n else 0, count=n)


def matrix(session: Session, dims: int) -> Matrix:
    """The cached matrix for this journal (known by its file), up to date: rows added since
    are appended; a deletion or a rewrite (fewer rows than expected) rebuilds it."""
    key = str(session.get_bind().url)
    last, count = session.connection().execute(text(
        "SELECT coalesce(max(id), 0), count(*) FROM entry_chunk")).one()
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None and cached.last_id == last and cached.count == count:
            return cached
        if cached is not None and last > cached.last_id:
            added = _rows(session, cached.last_id)
            if cached.count + len(added) == count:
                new = _build(added, dims)
                cached = Matrix(*(np.concatenate([getattr(cached, f), getattr(new, f)])
                                  for f in ("ids", "entries", "partners", "kinds", "days",
                                            "fields", "vectors")), last_id=last, count=count)
                _CACHE[key] = cached
                return cached
        cached = _CACHE[key] = _build(_rows(session), dims)
        return cached


def forget() -> None:
    """Drop every cached matrix (the journal locked: what it held leaves memory with it)."""
    with _LOCK:
        _CACHE.clear()


@dataclass(frozen=True)
class MeaningHit:
    interaction_id: int
    chunk_id: int
    score: float          # cosine similarity, -1..1


def nearest(m: Matrix, query: np.ndarray, *, limit: int = 20, partner_id: int | None = None,
            kind: str | None = None, since: date | datetime | None = None,
            until: date | datetime | None = None, private: bool = True,
            min_score: float = 0.0) -> list[MeaningHit]:
    """The entries nearest in meaning, each by its best chunk, filters applied first."""
    if not m.count:
        return []
    mask = np.ones(m.count, bool)
    if partner_id is not None:
        mask &= m.partners == partner_id
    if kind:
        mask &= m.kinds == KINDS.get(InteractionKind(kind).name, -2)
    if since is not None:
        mask &= m.days >= _day(since)
    if until is not None:
        mask &= m.days <= _day(until)
    if not private:
        mask &= m.fields == 0
    rows = np.flatnonzero(mask)
    if not len(rows):
        return []
    scores = m.vectors[rows] @ np.asarray(query, np.float32).reshape(-1) if len(rows) < m.count \
        else m.vectors @ np.asarray(query, np.float32).reshape(-1)
    take = min(len(rows), limit * 4)
    top = np.argpartition(-scores, take - 1)[:take]
    top = top[np.argsort(-scores[top])]
    seen, hits = set(), []
    for n in top:
        row = rows[n]
        entry = int(m.entries[row])
        if entry in seen or scores[n] < min_score:
            continue
        seen.add(entry)
        hits.append(MeaningHit(entry, int(m.ids[row]), float(scores[n])))
        if len(hits) == limit:
            break
    return hits
