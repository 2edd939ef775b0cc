"""Partners, stakeholders and interactions: create, read, update, delete.

Every function is keyword-only and takes the session it works in; writes flush, and the
boundary that opened the session commits the use case (services.store.use_case).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, delete, select

from models.tables import (
    Advice,
    Commitment,
    Interaction,
    InteractionCreate,
    InteractionKind,
    InteractionParticipant,
    InteractionTag,
    InteractionUpdate,
    Partner,
    PartnerCreate,
    PartnerUpdate,
    Stakeholder,
    StakeholderCreate,
    StakeholderUpdate,
    Stance,
    StanceChange,
    TrustReading,
)
from services.errors import Conflict, InvalidInput, NotFound
from services.store import flush, get_or_404, validated


# --- partners --------------------------------------------------------------------------------
def create_partner(*, session: Session, partner_in: PartnerCreate | dict) -> Partner:
    data = validated(PartnerCreate, partner_in)
    if find_partner(session=session, name=data.name):
        raise Conflict(f"A partner named '{data.name}' already exists.")
    partner = Partner.model_validate(data)
    session.add(partner)
    flush(session)
    return partner


def get_partner(*, session: Session, partner_id: int) -> Partner:
    return get_or_404(session, Partner, partner_id, "partner")


def find_partner(*, session: Session, name: str) -> Partner | None:
    """By name, ignoring case and surrounding spaces."""
    wanted = name.strip().casefold()
    for partner in session.exec(select(Partner)):
        if partner.name.casefold() == wanted:
            return partner
    return None


def _partner_matches(session: Session, name: str) -> list[Partner]:
    """The exact name (any case) alone, else every partner whose name starts with it."""
    exact = find_partner(session=session, name=name)
    if exact is not None:
        return [exact]
    wanted = name.strip().casefold()
    return [p for p in list_partners(session=session) if p.name.casefold().startswith(wanted)]


def resolve_partner(*, session: Session, name: str) -> Partner:
    """The one partner resolver of every command and dialog: the exact name (any case), else
    a unique prefix, else NotFound naming the candidates."""
    if not name or not name.strip():
        raise InvalidInput("Give a partner's name.")
    return _one_of(_partner_matches(session, name), name, "partner",
                   [p.name for p in list_partners(session=session)])


def _one_of(matches: list, name: str, what: str, known: list[str]):
    """The one match, or NotFound naming the candidates or the near misses."""
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise NotFound(f"'{name}' matches several {what}s: "
                       + ", ".join(m.name for m in matches) + ". Give more of the name.")
    close = difflib.get_close_matches(name.strip(), known, n=3, cutoff=0.6)
    raise NotFound(f"No {what} named '{name}'."
                   + (f" Did you mean {', '.join(close)}?" if close else ""))


def ensure_partner(*, session: Session, name: str,
                   kind: str | None = None) -> tuple[Partner, bool]:
    """The partner `name` resolves to; a new one only when no partner matches at all.
    Returns (partner, created)."""
    matches = _partner_matches(session, name) if name and name.strip() else []
    if matches:
        return resolve_partner(session=session, name=name), False
    data = {"name": name} | ({"kind": kind} if kind else {})
    return create_partner(session=session, partner_in=data), True


def list_partners(*, session: Session) -> list[Partner]:
    return list(session.exec(select(Partner).order_by(func.lower(Partner.name))))


def update_partner(*, session: Session, partner_id: int,
                   partner_in: PartnerUpdate | dict) -> Partner:
    partner = get_partner(session=session, partner_id=partner_id)
    changes = validated(PartnerUpdate, partner_in).model_dump(exclude_unset=True)
    if "name" in changes:
        changes["name"] = validated(PartnerCreate, {"name": changes["name"]}).name
        other = find_partner(session=session, name=changes["name"])
        if other and other.id != partner_id:
            raise Conflict(f"A partner named '{changes['name']}' already exists.")
    partner.sqlmodel_update(changes)
    session.add(partner)
    flush(session)
    return partner


def delete_partner(*, session: Session, partner_id: int, with_interactions: bool = False) -> None:
    """Refuses while the partner has interactions, unless told to delete them too."""
    partner = get_partner(session=session, partner_id=partner_id)
    count = session.exec(select(func.count()).select_from(Interaction)
                         .where(Interaction.partner_id == partner_id)).one()
    if count and not with_interactions:
        raise Conflict(f"'{partner.name}' has {count} interaction(s); delete them too, "
                       "or keep the partner.")
    for table in (Advice, Commitment, TrustReading, StanceChange, Interaction, Stakeholder):
        session.exec(delete(table).where(table.partner_id == partner_id))
    session.delete(partner)
    flush(session)


# --- stakeholders ----------------------------------------------------------------------------
def create_stakeholder(*, session: Session,
                       stakeholder_in: StakeholderCreate | dict) -> Stakeholder:
    data = validated(StakeholderCreate, stakeholder_in)
    get_partner(session=session, partner_id=data.partner_id)
    stakeholder = Stakeholder.model_validate(data)
    session.add(stakeholder)
    flush(session)
    return stakeholder


def get_stakeholder(*, session: Session, stakeholder_id: int) -> Stakeholder:
    return get_or_404(session, Stakeholder, stakeholder_id, "stakeholder")


def list_stakeholders(*, session: Session, partner_id: int | None = None) -> list[Stakeholder]:
    query = select(Stakeholder).order_by(col(Stakeholder.influence).desc(), Stakeholder.name)
    if partner_id is not None:
        query = query.where(Stakeholder.partner_id == partner_id)
    return list(session.exec(query))


def find_stakeholder(*, session: Session, partner_id: int, name: str) -> Stakeholder | None:
    wanted = name.strip().casefold()
    for person in list_stakeholders(session=session, partner_id=partner_id):
        if person.name.casefold() == wanted:
            return person
    return None


def _folded(name: str) -> str:
    """A name as typed on any keyboard: any case, spacing or accent ('sofia marin')."""
    plain = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in plain if not unicodedata.combining(c)).split())


def resolve_stakeholder(*, session: Session, partner_id: int, name: str) -> Stakeholder:
    """The person resolver, as the partner one: the full name (any case), else a unique
    prefix of the full name or of any part of it ('Dana', 'whit'), else NotFound."""
    if not name or not name.strip():
        raise InvalidInput("Give the person's name.")
    people = list_stakeholders(session=session, partner_id=partner_id)
    wanted = _folded(name)
    exact = [p for p in people if _folded(p.name) == wanted]
    matches = exact[:1] or [p for p in people if _folded(p.name).startswith(wanted)
                            or any(part.startswith(wanted) for part in _folded(p.name).split())]
    return _one_of(matches, name, "stakeholder", [p.name for p in people])


def update_stakeholder(*, session: Session, stakeholder_id: int,
                       stakeholder_in: StakeholderUpdate | dict) -> Stakeholder:
    person = get_stakeholder(session=session, stakeholder_id=stakeholder_id)
    changes = validated(StakeholderUpdate, stakeholder_in).model_dump(exclude_unset=True)
    if changes.get("stance") is not None and changes["stance"] != person.stance:
        session.add(StanceChange(stakeholder_id=person.id, partner_id=person.partner_id,
                                 old=person.stance, new=changes["stance"]))
    person.sqlmodel_update(changes)
    session.add(person)
    flush(session)
    return person


def undo_stance_change(*, session: Session, stakeholder_id: int, old: str, new: str) -> Stakeholder:
    """Take back the newest recorded move of this person from `old` to `new` (a map drag undone):
    the stance goes back to `old` and that StanceChange is deleted, so undo records no change of
    its own (no alert, no 'blocker -> skeptic; skeptic -> blocker' in the brief). Raises Conflict
    when the person no longer stands at `new` (changed since by someone else)."""
    person = get_stakeholder(session=session, stakeholder_id=stakeholder_id)
    old, new = Stance(old), Stance(new)
    if person.stance != new:
        raise Conflict(f"{person.name} is no longer {new}; the move was not undone.")
    change = session.exec(select(StanceChange)
                          .where(StanceChange.stakeholder_id == stakeholder_id,
                                 StanceChange.old == old, StanceChange.new == new)
                          .order_by(col(StanceChange.changed_at).desc(),
                                    col(StanceChange.id).desc())).first()
    if change is not None:
        session.delete(change)
    person.stance = old
    session.add(person)
    flush(session)
    return person


def delete_stakeholder(*, session: Session, stakeholder_id: int) -> None:
    person = get_stakeholder(session=session, stakeholder_id=stakeholder_id)
    session.delete(person)
    flush(session)


# --- interactions ----------------------------------------------------------------------------
def _set_links(session: Session, interaction: Interaction, participant_ids: list[int] | None,
               tags: list[str] | None) -> None:
    """Only what changed is removed or added: a tag kept is not deleted and written again (to
    sync, that would undo a tag another device removed meanwhile)."""
    if participant_ids is not None:
        wanted = list(dict.fromkeys(participant_ids))
        for sid in wanted:
            person = get_stakeholder(session=session, stakeholder_id=sid)
            if person.partner_id != interaction.partner_id:
                raise Conflict(f"{person.name} is not a stakeholder of this partner.")
        _replace_links(session, InteractionParticipant, interaction.id, "stakeholder_id", wanted)
    if tags is not None:
        wanted = list(dict.fromkeys(t.strip().lower()[:80] for t in tags if t.strip()))
        _replace_links(session, InteractionTag, interaction.id, "tag", wanted)


def _replace_links(session: Session, model, interaction_id: int, column: str,
                   wanted: list) -> None:
    have = {getattr(link, column): link for link in session.exec(
        select(model).where(model.interaction_id == interaction_id))}
    for value, link in have.items():
        if value not in wanted:
            session.delete(link)
    for value in wanted:
        if value not in have:
            session.add(model(interaction_id=interaction_id, **{column: value}))


def create_interaction(*, session: Session,
                       interaction_in: InteractionCreate | dict) -> Interaction:
    data = validated(InteractionCreate, interaction_in)
    get_partner(session=session, partner_id=data.partner_id)
    interaction = Interaction.model_validate(data.model_dump(exclude={"participant_ids", "tags"}))
    session.add(interaction)
    flush(session)
    _set_links(session, interaction, data.participant_ids, data.tags)
    flush(session)
    return interaction


def get_interaction(*, session: Session, interaction_id: int) -> Interaction:
    return get_or_404(session, Interaction, interaction_id, "interaction")


def check_same_partner(*, session: Session, partner_id: int,
                       interaction_id: int | None) -> None:
    """A reading, promise or advice linked to an entry must be about that entry's partner."""
    if interaction_id is None:
        return
    entry = get_interaction(session=session, interaction_id=interaction_id)
    if entry.partner_id != partner_id:
        raise Conflict(f"Entry #{entry.id} is about another partner.")


def update_interaction(*, session: Session, interaction_id: int,
                       interaction_in: InteractionUpdate | dict) -> Interaction:
    interaction = get_interaction(session=session, interaction_id=interaction_id)
    changes = validated(InteractionUpdate, interaction_in).model_dump(exclude_unset=True)
    links = changes.pop("participant_ids", None), changes.pop("tags", None)
    merged = validated(InteractionCreate, interaction.model_dump() | changes)
    interaction.sqlmodel_update(merged.model_dump(include=set(changes)))
    # to the microsecond: two edits within a second are two versions (the meaning index
    # tells a changed entry by it)
    interaction.updated_at = max(datetime.now(), interaction.updated_at + timedelta(
        microseconds=1)) if interaction.updated_at else datetime.now()
    session.add(interaction)
    _set_links(session, interaction, *links)
    flush(session)
    return interaction


def delete_interaction(*, session: Session, interaction_id: int) -> None:
    session.delete(get_interaction(session=session, interaction_id=interaction_id))
    flush(session)


def list_interactions(*, session: Session, partner_id: int | None = None,
                      kind: InteractionKind | str | None = None, tag: str | None = None,
                      since: datetime | None = None, until: datetime | None = None,
                      limit: int | None = None, offset: int = 0) -> list[Interaction]:
    """Newest first."""
    query = select(Interaction)
    if partner_id is not None:
        query = query.where(Interaction.partner_id == partner_id)
    if kind:
        query = query.where(Interaction.kind == InteractionKind(kind))
    if tag:
        query = query.join(InteractionTag).where(InteractionTag.tag == tag.strip().lower())
    if since:
        query = query.where(Interaction.occurred_at >= since)
    if until:
        query = query.where(Interaction.occurred_at <= until)
    query = query.order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())
    return list(session.exec(query.offset(offset).limit(limit)))


def participants(*, session: Session, interaction_id: int) -> list[Stakeholder]:
    return list(session.exec(
        select(Stakeholder).join(InteractionParticipant)
        .where(InteractionParticipant.interaction_id == interaction_id)
        .order_by(Stakeholder.name)))


def tags(*, session: Session, interaction_id: int) -> list[str]:
    return list(session.exec(select(InteractionTag.tag)
                             .where(InteractionTag.interaction_id == interaction_id)
                             .order_by(InteractionTag.tag)))


# --- the timeline ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TimelineRow:
    """What one timeline line needs, without the notes (100,000 rows stay small)."""

    id: int
    occurred_at: datetime
    kind: str
    title: str
    difficulty: int


def timeline_page(*, session: Session, partner_id: int | None = None,
                  kind: InteractionKind | str | None = None, tag: str | None = None,
                  after: tuple[datetime, int] | None = None, limit: int = 200) -> list[TimelineRow]:
    """Newest first, a page at a time: `after` is the last row's (occurred_at, id)."""
    query = select(Interaction.id, Interaction.occurred_at, Interaction.kind, Interaction.title,
                   Interaction.difficulty)
    if partner_id is not None:
        query = query.where(Interaction.partner_id == partner_id)
    if kind:
        query = query.where(Interaction.kind == InteractionKind(kind))
    if tag:
        query = query.join(InteractionTag).where(InteractionTag.tag == tag.strip().lower())
    if after is not None:
        stamp, ident = after
        query = query.where(or_(Interaction.occurred_at < stamp,
                                and_(Interaction.occurred_at == stamp, Interaction.id < ident)))
    query = query.order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())
    return [TimelineRow(r[0], r[1], InteractionKind(r[2]).value, r[3], r[4])
            for r in session.exec(query.limit(limit))]


_MARKDOWN = [
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),          # links and images: their text
    (re.compile(r"(?m)^[ \t]{0,3}(#{1,6}|>+|[-*+]|\d+[.)])[ \t]+"), ""),  # headings, quotes, lists
    (re.compile(r"(\*\*|__|~~|`+)"), ""),                          # bold, strike, code
    (re.compile(r"(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)"), ""),     # *emphasis*, _emphasis_
    (re.compile(r"(?m)^[ \t]*([-*_][ \t]*){3,}$"), ""),                  # rules
]


def plain_text(markdown: str) -> str:
    """A note's words without Markdown's marks (for snippets, excerpts and the brief)."""
    for pattern, replacement in _MARKDOWN:
        markdown = pattern.sub(replacement, markdown)
    return markdown


def excerpt(text: str, chars: int = 320) -> str:
    """The first words of a note on one line, without Markdown's marks, cut at a word."""
    flat = " ".join(plain_text(text).replace("#", " ").split())
    return flat if len(flat) <= chars else flat[:chars].rsplit(" ", 1)[0] + "…"
