"""What you said becomes what you track: promises, people and warning signs proposed from an
entry's notes, reflection or transcript, for the user to accept, edit or dismiss. Nothing is
written until `accept`, which applies the chosen ones inside the caller's one write use case.

Rules first (services/journal/suggest_rules.py): names and dates are deterministic. A model, when
one is given, proposes promises and signs where rules miss (services/journal/suggest_model.py);
every item quotes its span word for word from the text, or it is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime

from sqlmodel import Session

from services import journal
from services.errors import InvalidInput
from services.journal import commitments, suggest_model
from services.journal import suggest_rules as rules
from services.journal.suggest_rules import Person, Proposal

MAX_CHARS = 200_000    # of text scanned; a longer note is read to here
MAX_PROPOSALS = 50
RULES_SECONDS = 2.0    # the rules stop looking after this (a hostile note), keeping what they found
GRAMMAR = False        # hold the model to the schema by a grammar (suggest_model._ask: slow)
KINDS = ("promise", "person", "new_person", "sign")
LABELS = {"promise": "Promise", "person": "Participant", "new_person": "New person",
          "sign": "Warning sign"}


def extract(text: str, *, on: date, people: list[Person], partner_name: str = "",
            present: set[int] = frozenset(), model=None) -> list[Proposal]:
    """The proposals for `text` (said on the day `on`), numbered from 1, in text order: rules,
    then what the model adds that the rules did not find. `present`: people already ticked."""
    text = (text or "")[:MAX_CHARS]
    deadline = time.monotonic() + RULES_SECONDS
    tokens = rules._tokens(text)
    names = rules.name_spans(text, tokens, people)
    partner = {rules._fold(w) for w in partner_name.split() if len(w) > 2}
    known = {" ".join(t.low for t in rules._tokens(p.name)) for p in people}
    taken = {k for i, (_, size) in names.items() for k in range(i, i + size)}
    newcomers = rules.new_names(text, tokens, known | partner, taken)[:MAX_PROPOSALS]
    subjects = partner | {rules._fold(name.split()[0]) for _, _, name in newcomers}
    found = rules.promises(text, tokens, names, subjects, on, MAX_PROPOSALS, deadline)
    seen: set[int] = set()
    for i, (person, size) in names.items():
        if person.id not in present and person.id not in seen:
            seen.add(person.id)
            end = tokens[i + size - 1].end
            found.append(Proposal("person", text[tokens[i].start:end], tokens[i].start,
                                  {"stakeholder_id": person.id, "name": person.name}))
    for start, end, name in newcomers:
        if name not in {p.fields.get("name") for p in found if p.kind == "new_person"}:
            found.append(Proposal("new_person", text[start:end], start, {"name": name}))
    found += rules.signs(text, tokens, names, MAX_PROPOSALS)
    if model is not None:
        found += _not_found_yet(suggest_model.propose(
            model, text, on=on, people=people, names=names, tokens=tokens, grammar=GRAMMAR),
            found)
    found.sort(key=lambda p: (p.start, KINDS.index(p.kind)))
    found = found[:MAX_PROPOSALS]
    for number, proposal in enumerate(found, 1):
        proposal.number = number
    return found


def _not_found_yet(extra: list[Proposal], found: list[Proposal]) -> list[Proposal]:
    """The model's items whose span overlaps no rule's item of the same kind."""
    return [p for p in extra if not any(
        q.kind == p.kind and q.start < p.end and p.start < q.end for q in found)]


def _people(session: Session, partner_id: int) -> list[Person]:
    return [Person(p.id, p.name, p.side == "internal", p.stance.value)
            for p in journal.list_stakeholders(session=session, partner_id=partner_id)
            if p.active]


def entry_text(notes: str, reflection: str) -> str:
    """What suggestions read of an entry: its notes, then its private reflection."""
    return "\n\n".join(t for t in (notes or "", reflection or "") if t.strip())


def propose(*, session: Session, interaction_id: int | None = None,
            partner_id: int | None = None, text: str | None = None,
            when: datetime | date | None = None, participant_ids: list[int] | None = None,
            model=None) -> list[Proposal]:
    """Suggestions for a saved entry (its own text, date and people), or for text being
    written (`partner_id`, `text`, `when`, the people ticked so far). Reads only."""
    if interaction_id is not None:
        item = journal.get_interaction(session=session, interaction_id=interaction_id)
        partner_id = item.partner_id
        when = when or item.occurred_at
        text = entry_text(item.notes, item.reflection) if text is None else text
        if participant_ids is None:
            participant_ids = [p.id for p in journal.participants(
                session=session, interaction_id=interaction_id)]
    if partner_id is None:
        raise InvalidInput("Suggestions need an entry or a partner.")
    partner = journal.get_partner(session=session, partner_id=partner_id)
    on = when.date() if isinstance(when, datetime) else when or date.today()
    found = extract(text or "", on=on, people=_people(session, partner_id),
                    partner_name=partner.name, present=set(participant_ids or ()), model=model)
    if interaction_id is not None:   # a promise already recorded from this entry: not again
        kept = {(c.owed_by.value, " ".join(c.text.casefold().split())) for c in
                commitments.list_commitments(session=session, partner_id=partner_id)
                if c.interaction_id == interaction_id}
        found = [p for p in found if p.kind != "promise" or (
            p.fields["owed_by"], " ".join(p.fields["text"].casefold().split())) not in kept]
        for number, proposal in enumerate(found, 1):
            proposal.number = number
    return found


def accept(*, session: Session, interaction_id: int, chosen: list[Proposal]) -> list[str]:
    """Apply the chosen proposals to the entry, in the caller's one use case (a failure leaves
    nothing). A new person is added to the partner's people and to the entry; a warning sign
    moves the person's stance (recorded as a stance change). Returns one line per change."""
    item = journal.get_interaction(session=session, interaction_id=interaction_id)
    present = [p.id for p in journal.participants(session=session, interaction_id=item.id)]
    add: list[int] = []
    done: list[str] = []
    for p in chosen:
        f = p.fields
        if p.kind == "promise":
            due = f.get("due")
            commitments.add_commitment(session=session, commitment_in={
                "partner_id": item.partner_id, "interaction_id": item.id,
                "owed_by": f["owed_by"], "text": f["text"],
                "due": date.fromisoformat(due) if isinstance(due, str) else due})
            done.append(f"Promise ({f['owed_by']}): {f['text']}" + (f", due {due}" if due else ""))
        elif p.kind == "person":
            person = _own_person(session, item.partner_id, f["stakeholder_id"])
            add.append(person.id)
            done.append(f"Participant: {person.name}")
        elif p.kind == "new_person":
            person = journal.find_stakeholder(session=session, partner_id=item.partner_id,
                                              name=f["name"]) or journal.create_stakeholder(
                session=session, stakeholder_in={"partner_id": item.partner_id,
                                                 "name": f["name"]})
            add.append(person.id)
            done.append(f"New person and participant: {person.name}")
        elif p.kind == "sign":
            person = _own_person(session, item.partner_id, f["stakeholder_id"])
            journal.update_stakeholder(session=session, stakeholder_id=person.id,
                                       stakeholder_in={"stance": f["stance"]})
            done.append(f"Stance: {person.name} is now {f['stance']}")
        else:
            raise InvalidInput(f"Unknown kind of suggestion: {p.kind!r}.")
    if add:
        journal.update_interaction(session=session, interaction_id=item.id, interaction_in={
            "participant_ids": list(dict.fromkeys(present + add))})
    return done


def _own_person(session: Session, partner_id: int, stakeholder_id: int):
    person = journal.get_stakeholder(session=session, stakeholder_id=stakeholder_id)
    if person.partner_id != partner_id:
        raise InvalidInput(f"{person.name} is not one of this partner's people.")
    return person


def accepting(save: Callable, chosen: list[Proposal]) -> Callable:
    """`save` (entry.save_entry or the voice memo's wrapper: it returns the interaction), then
    the chosen proposals applied to it: one use case, both or neither."""
    def save_and_accept(*, session: Session, **kwargs):
        item = save(session=session, **kwargs)
        accept(session=session, interaction_id=item.id, chosen=chosen)
        return item
    save_and_accept.__name__ = getattr(save, "__name__", "save")
    return save_and_accept


def pick(proposals: list[Proposal], numbers: str) -> list[Proposal]:
    """The proposals numbered in '1,3' (the CLI's choice); one clear line if one is not there."""
    by_number = {p.number: p for p in proposals}
    chosen = []
    for part in (numbers or "").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) not in by_number:
            raise InvalidInput(f"No suggestion numbered '{part[:20]}' (there are "
                               f"{len(proposals)}).")
        chosen.append(by_number[int(part)])
    if not chosen:
        raise InvalidInput("Give the numbers of the suggestions to accept, e.g. 1,3.")
    return [p for p in proposals if any(p is c for c in chosen)]


def describe(p: Proposal) -> str:
    """One line: what accepting it would do."""
    f = p.fields
    if p.kind == "promise":
        who = "we owe" if f["owed_by"] == "us" else "they owe"
        return f"{who}: {f['text']}" + (f" (due {f['due']})" if f.get("due") else "")
    if p.kind == "person":
        return f"{f['name']} was there or was named"
    if p.kind == "new_person":
        return f"{f['name']}: not among this partner's people (add them?)"
    return f"{f['name']}: '{f['word']}': {f['was']} -> {f['stance']}?"


def as_json(p: Proposal) -> dict:
    fields = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in p.fields.items()}
    return {k: v for k, v in asdict(p).items() if k != "fields"} | {"fields": fields,
                                                                    "label": LABELS[p.kind]}
