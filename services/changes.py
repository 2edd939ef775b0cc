"""What a use case changed: the kinds of rows and the partners they belong to.

`use_case` collects them from the session as it flushes (and from bulk statements), so no
service has to say what it wrote; after the commit the UI's task helper announces them once
(`ui.notices`), as Anki's `operation_did_execute(changes, initiator)`. Views decide for
themselves what to redraw. Kinds are table names ("interaction", "commitment", ...), plus a few
that are not rows: "vault" (locked, unlocked, restored) and "theme".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import event
from sqlmodel import Session

KEY = "confidant.changes"


@dataclass(frozen=True)
class Changes:
    kinds: frozenset[str] = frozenset()
    partner_ids: frozenset[int] = frozenset()
    every_partner: bool = False   # a bulk statement or a partner deleted: anyone may be hit
    initiator: object | None = field(default=None, compare=False)

    def touches(self, *kinds: str) -> bool:
        return bool(self.kinds.intersection(kinds))

    def about(self, partner_id: int | None) -> bool:
        """Whether a view showing `partner_id` may be out of date."""
        return self.every_partner or partner_id in self.partner_ids

    def __bool__(self) -> bool:
        return bool(self.kinds)

    @classmethod
    def of(cls, *kinds: str, partner_id: int | None = None, initiator=None) -> Changes:
        return cls(frozenset(kinds), frozenset({partner_id} - {None}),
                   every_partner=partner_id is None, initiator=initiator)


class _Collector:
    def __init__(self):
        self.kinds: set[str] = set()
        self.partners: set[int] = set()
        self.every_partner = False

    def note(self, row) -> None:
        table = getattr(row, "__tablename__", None)
        if table is None:
            return
        self.kinds.add(table)
        partner = row.id if table == "partner" else getattr(row, "partner_id", None)
        if partner is not None:
            self.partners.add(partner)
        elif table == "setting":  # preferences: every view may depend on them
            self.every_partner = True

    def changes(self) -> Changes:
        return Changes(frozenset(self.kinds), frozenset(self.partners), self.every_partner)


def watch(session: Session) -> None:
    """Collect what `session` writes until it ends (see `collected`)."""
    collector = _Collector()
    session.info[KEY] = collector

    @event.listens_for(session, "before_flush")
    def before_flush(sess, _context, _instances):
        for row in (*sess.new, *sess.dirty, *sess.deleted):
            if row in sess.deleted or row in sess.new or sess.is_modified(row):
                collector.note(row)

    @event.listens_for(session, "do_orm_execute")
    def bulk(state):
        if state.is_delete or state.is_update or state.is_insert:
            table = getattr(state.statement, "table", None)
            if table is not None:
                collector.kinds.add(table.name)
                collector.every_partner = True


def collected(session: Session) -> Changes:
    collector = session.info.get(KEY)
    return collector.changes() if collector is not None else Changes()
