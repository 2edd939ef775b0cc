"""Full-text search over interactions (FTS5, inside the encrypted file).

Whatever the user types is searched as plain words: each word becomes a quoted FTS5 string,
so quotes, AND/OR/NEAR, '*', parentheses and SQL fragments have no meaning; the last word
matches as a prefix, for search-as-you-type. Ranked by bm25, then by recency. Entries a person
attended are found by that person's name too ('marin' finds Sofia Marín's meetings), after the
entries whose text matches. Snippets are plain text: Markdown's marks are taken out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from models.tables import InteractionKind
from services.journal import plain_text

HIGHLIGHT_START, HIGHLIGHT_END = "\x02", "\x03"  # replaced by the caller's own markers
_WORD = re.compile(r"\S+")


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


def match_expression(query: str, *, prefix: bool = True, any_word: bool = False) -> str | None:
    """The FTS5 expression for a user's text, or None when it has nothing to search.

    All words must match, unless any_word (the advisor's 'entries about any of this')."""
    words = [w for w in _WORD.findall(query.replace("\x00", " ")) if _has_token(w)]
    if not words:
        return None
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if prefix and not words[-1].endswith('"'):
        quoted[-1] += "*"
    return (" OR " if any_word else " ").join(quoted)


def _has_token(word: str) -> bool:
    # unicode61 here keeps letters, numbers, private use and symbols (emoji); the rest separates
    return any(unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) in ("Co", "So")
               for ch in word)


def search(*, session: Session, query: str, partner_id: int | None = None,
           kind: InteractionKind | str | None = None, since: datetime | None = None,
           until: datetime | None = None, limit: int = 50, prefix: bool = True,
           mark: tuple[str, str] = ("[", "]"), snippet_words: int = 12,
           any_word: bool = False) -> list[SearchHit]:
    expression = match_expression(query, prefix=prefix, any_word=any_word)
    if expression is None or limit <= 0:
        return []
    hits = _text_hits(session, expression, partner_id, kind, since, until, limit, mark,
                      snippet_words)
    if len(hits) < limit and not any_word:
        hits += _attended_hits(session, query, {h.id for h in hits}, partner_id, kind, since,
                               until, limit - len(hits), mark)
    return hits


def _filters(partner_id, kind, since, until) -> tuple[list[str], dict]:
    where, params = [], {}
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
    return where, params


def _text_hits(session, expression, partner_id, kind, since, until, limit, mark,
               snippet_words) -> list[SearchHit]:
    where, params = _filters(partner_id, kind, since, until)
    where.insert(0, "interaction_fts MATCH :q")
    params |= {"q": expression, "fetch": int(limit) * 2}
    conn = session.connection()
    # FTS5 hands rows over in rank order, so LIMIT stops early; sorting by date in SQL too would
    # rank every match first (7x slower on 100,000 entries). Ties are broken by recency among
    # the best 2 x limit, which is where ties that matter sit.
    rows = conn.execute(text(
        "SELECT interaction_fts.rowid, interaction_fts.rank, i.partner_id, p.name, i.title, "
        "i.occurred_at, i.kind FROM interaction_fts "
        "JOIN interaction i ON i.id = interaction_fts.rowid JOIN partner p ON p.id = i.partner_id "
        f"WHERE {' AND '.join(where)} ORDER BY interaction_fts.rank LIMIT :fetch"),
        params).all()
    rows = sorted(rows, key=lambda r: (r[1], _descending(r[5])))[:limit]
    if not rows:
        return []
    # Snippets only for the rows shown, in a second, cheap query.
    ids = ",".join(str(int(r[0])) for r in rows)
    snippets = dict(conn.execute(text(
        f"SELECT rowid, snippet(interaction_fts, -1, :a, :b, '…', {int(snippet_words)}) "
        f"FROM interaction_fts WHERE interaction_fts MATCH :q AND rowid IN ({ids})"),
        {"q": expression, "a": HIGHLIGHT_START, "b": HIGHLIGHT_END}).all())
    return [SearchHit(id=r[0], partner_id=r[2], partner=r[3], title=r[4],
                      occurred_at=_as_datetime(r[5]), kind=r[6], score=r[1],
                      snippet=_plain_snippet(snippets[r[0]]).replace(HIGHLIGHT_START, mark[0])
                      .replace(HIGHLIGHT_END, mark[1]))
                 for r in rows]


def _plain_snippet(snippet: str) -> str:
    return " ".join(plain_text(snippet).split())


def folded(text: str) -> str:
    """Lower case without accents: 'Marín' and 'marin' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _attended_hits(session, query, seen, partner_id, kind, since, until, limit,
                   mark) -> list[SearchHit]:
    """Entries attended by the people whose name every word of the query begins a part of."""
    words = [folded(w) for w in _WORD.findall(query) if _has_token(w)]
    conn = session.connection()
    people = {}
    for ident, name in conn.execute(text("SELECT id, name FROM stakeholder")).all():
        parts = folded(name).split()
        if words and all(any(part.startswith(w) for part in parts) for w in words):
            people[ident] = name
    if not people or limit <= 0:
        return []
    where, params = _filters(partner_id, kind, since, until)
    ids = ",".join(str(int(i)) for i in people)
    where.append(f"ip.stakeholder_id IN ({ids})")
    rows = conn.execute(text(
        "SELECT i.id, i.partner_id, p.name, i.title, i.occurred_at, i.kind, ip.stakeholder_id "
        "FROM interaction_participant ip JOIN interaction i ON i.id = ip.interaction_id "
        f"JOIN partner p ON p.id = i.partner_id WHERE {' AND '.join(where)} "
        "ORDER BY i.occurred_at DESC, i.id DESC LIMIT :fetch"),
        params | {"fetch": int(limit) + len(seen)}).all()
    hits, found = [], set(seen)
    for r in rows:
        if r[0] in found:
            continue
        found.add(r[0])
        hits.append(SearchHit(id=r[0], partner_id=r[1], partner=r[2], title=r[3],
                              occurred_at=_as_datetime(r[4]), kind=r[5], score=0.0,
                              snippet=f"with {mark[0]}{people[r[6]]}{mark[1]}"))
    return hits[:limit]


def _descending(stamp) -> tuple:
    """A sort key that puts later datetimes first (stored as ISO text or datetime)."""
    value = _as_datetime(stamp)
    return (-value.toordinal(), -(value.hour * 3600 + value.minute * 60 + value.second))


def _as_datetime(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
