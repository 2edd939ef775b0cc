"""Full-text search over interactions (FTS5, inside the encrypted file).

Whatever the user types is searched as plain words: each word becomes a quoted FTS5 string,
so quotes, AND/OR/NEAR, '*', parentheses and SQL fragments have no meaning; the last word
matches as a prefix, for search-as-you-type. Ranked by bm25, then by recency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from models.tables import InteractionKind

HIGHLIGHT_START, HIGHLIGHT_END = "\x02", "\x03"  # replaced by the caller's own markers
_WORD = re.compile(r"\S+")
# bm25 weights: a hit in the title counts most, the private reflection least
_RANK = "bm25(interaction_fts, 5.0, 1.0, 1.0)"


@dataclass(frozen=True)
class SearchHit:
    id: int
    partner_id: int
    partner: str
    title: str
    occurred_at: datetime
    kind: str
    snippet: str
    score: float


def match_expression(query: str, *, prefix: bool = True) -> str | None:
    """The FTS5 expression for a user's text, or None when it has nothing to search."""
    words = [w for w in _WORD.findall(query.replace("\x00", " ")) if _has_token(w)]
    if not words:
        return None
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if prefix and not words[-1].endswith('"'):
        quoted[-1] += "*"
    return " ".join(quoted)


def _has_token(word: str) -> bool:
    # unicode61 here keeps letters, numbers, private use and symbols (emoji); the rest separates
    import unicodedata

    return any(unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) in ("Co", "So")
               for ch in word)


def search(*, session: Session, query: str, partner_id: int | None = None,
           kind: InteractionKind | str | None = None, since: datetime | None = None,
           until: datetime | None = None, limit: int = 50, prefix: bool = True,
           mark: tuple[str, str] = ("[", "]"), snippet_words: int = 12) -> list[SearchHit]:
    expression = match_expression(query, prefix=prefix)
    if expression is None:
        return []
    where, params = ["interaction_fts MATCH :q"], {"q": expression, "limit": int(limit)}
    if partner_id is not None:
        where.append("i.partner_id = :partner")
        params["partner"] = partner_id
    if kind:
        where.append("i.kind = :kind")
        params["kind"] = InteractionKind(kind).name
    if since:
        where.append("i.occurred_at >= :since")
        params["since"] = since.isoformat(" ")
    if until:
        where.append("i.occurred_at <= :until")
        params["until"] = until.isoformat(" ")
    ranked = session.connection().execute(text(
        f"SELECT interaction_fts.rowid, {_RANK} AS score FROM interaction_fts "
        f"JOIN interaction i ON i.id = interaction_fts.rowid WHERE {' AND '.join(where)} "
        "ORDER BY score, i.occurred_at DESC LIMIT :limit"), params).all()
    if not ranked:
        return []
    # Snippets only for the rows shown: computing them inside the ranking query would build one
    # for every match before the sort.
    ids = {row[0]: row[1] for row in ranked}
    placeholders = ",".join(str(int(i)) for i in ids)
    rows = session.connection().execute(text(
        "SELECT interaction_fts.rowid, i.partner_id, p.name, i.title, i.occurred_at, i.kind, "
        f"snippet(interaction_fts, -1, :a, :b, '…', {int(snippet_words)}) "
        "FROM interaction_fts JOIN interaction i ON i.id = interaction_fts.rowid "
        "JOIN partner p ON p.id = i.partner_id "
        f"WHERE interaction_fts MATCH :q AND interaction_fts.rowid IN ({placeholders})"),
        {"q": expression, "a": HIGHLIGHT_START, "b": HIGHLIGHT_END}).all()
    by_id = {row[0]: row for row in rows}
    hits = []
    for ident, score in ids.items():
        row = by_id[ident]
        snippet = row[6].replace(HIGHLIGHT_START, mark[0]).replace(HIGHLIGHT_END, mark[1])
        hits.append(SearchHit(id=ident, partner_id=row[1], partner=row[2], title=row[3],
                              occurred_at=_as_datetime(row[4]), kind=row[5], snippet=snippet,
                              score=score))
    return hits


def _as_datetime(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
