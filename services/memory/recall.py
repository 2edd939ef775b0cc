"""Search by words and by meaning, blended: exact names and terms first (FTS5, as before), then
the entries nearest in meaning that the words missed, each with the sentence that matched.

`mode` is 'blend' (the default), 'words' (FTS5 only) or 'meaning' (vectors only). Without the
meaning model, or before the index has caught up, the blend is words only and says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import text
from sqlmodel import Session

from services.journal import plain_text, search
from services.memory.vectors import entry_texts, matrix, nearest, sentences

MIN_MEANING = 0.20          # cosine below this is not "related" (measured in bench/memory_bench)
SENTENCES_CHECKED = 3       # sentences embedded to find the one that matched, per search:
                            # ~6 ms each (bench/memory_bench: 24 cost 150 ms a query)
MAX_RELATED = 8             # in a blend, the related entries after the words' own


@dataclass
class Found:
    id: int
    partner_id: int
    partner: str
    title: str
    occurred_at: datetime
    kind: str
    snippet: str                 # the words' snippet, or the sentence that matched
    how: str                     # 'words' or 'meaning'
    score: float


@dataclass
class Recall:
    hits: list[Found] = field(default_factory=list)
    note: str = ""               # why the search was words only, when it was


def _entries(session: Session, ids: list[int]) -> dict[int, tuple]:
    if not ids:
        return {}
    rows = session.connection().execute(text(
        "SELECT i.id, i.partner_id, p.name, i.title, i.occurred_at, i.kind, i.notes, "
        f"i.reflection FROM interaction i JOIN partner p ON p.id = i.partner_id "
        f"WHERE i.id IN ({','.join(str(int(i)) for i in ids)})")).all()
    return {r[0]: r for r in rows}


def _chunk_text(session: Session, chunk_id: int, row) -> str:
    field_, start, end = session.connection().execute(text(
        'SELECT field, start, "end" FROM entry_chunk WHERE id = :c'), {"c": chunk_id}).one()
    return entry_texts(row[3], row[6], row[7])[field_][start:end]


def _stems(text_: str) -> frozenset[str]:
    """Words of five letters or more (not they, them, when), by their first five."""
    return frozenset(w[:5] for w in re.findall(r"[^\W\d_]{5,}", text_.casefold()))


def matched_sentence(chunk: str, query: np.ndarray, embedder, budget: list[int],
                     query_stems: frozenset[str] = frozenset()) -> str:
    """The chunk's sentence nearest the query: the one sharing the most of the query's words
    when one shares any, else the nearest in meaning while the budget of embedded sentences
    lasts, else the chunk's first sentence."""
    spans = [chunk[s:e].strip() for s, e in sentences(chunk)][:3] or [chunk.strip()]
    pick = spans[0]
    if len(spans) > 1:
        shared = [len(query_stems & _stems(x)) for x in spans]
        if max(shared) > 0:
            pick = spans[shared.index(max(shared))]
        elif budget[0] >= len(spans):
            budget[0] -= len(spans)
            scores = embedder.embed(spans) @ np.asarray(query, np.float32).reshape(-1)
            pick = spans[int(np.argmax(scores))]
    return " ".join(plain_text(pick).split())


def find(*, session: Session, query: str, embedder=None, mode: str = "blend",
         partner_id: int | None = None, kind: str | None = None, since=None, until=None,
         limit: int = 20, private: bool = True, mark: tuple[str, str] = ("[", "]"),
         unavailable: str = "") -> Recall:
    """The entries for a query: words first, then meaning (or one of them, by `mode`)."""
    out = Recall()
    filters = {"partner_id": partner_id, "kind": kind, "since": since, "until": until}
    if mode in ("blend", "words"):
        for h in search.search(session=session, query=query, limit=limit, mark=mark,
                               **filters):
            out.hits.append(Found(h.id, h.partner_id, h.partner, h.title, h.occurred_at,
                                  h.kind, h.snippet, "words", h.score))
    if mode == "words" or len(out.hits) >= limit or not query.strip():
        return out
    if embedder is None:
        out.note = unavailable or "Search by meaning is off: words only."
        return out
    vector = embedder.embed([query.strip()[:2000]])[0]
    m = matrix(session, len(vector))
    if not m.count:
        out.note = "The journal is not indexed by meaning yet: words only."
        return out
    seen = {h.id for h in out.hits}
    room = min(limit - len(out.hits), MAX_RELATED if mode == "blend" else limit)
    near = [h for h in nearest(m, vector, limit=room + len(seen), private=private,
                               min_score=MIN_MEANING if mode == "blend" else -1.0, **filters)
            if h.interaction_id not in seen][:room]
    rows = _entries(session, [h.interaction_id for h in near])
    budget, stems = [SENTENCES_CHECKED], _stems(query)
    for h in near:
        row = rows.get(h.interaction_id)
        if row is None:          # deleted since the matrix was read
            continue
        sentence = matched_sentence(_chunk_text(session, h.chunk_id, row), vector, embedder,
                                    budget, stems)
        occurred = row[4] if isinstance(row[4], datetime) else datetime.fromisoformat(row[4])
        out.hits.append(Found(row[0], row[1], row[2], row[3], occurred, row[5].lower(),
                              sentence, "meaning", h.score))
    return out
