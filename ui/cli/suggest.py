"""Suggestions from an entry's notes (issue 23): `suggest ENTRY_ID [--json]` prints them with
their quoted spans; `suggest --accept ENTRY_ID N,M` applies the chosen ones in one use case;
`log ... --suggest` prints them after the entry is saved."""

from __future__ import annotations

import json
import sys

from services.errors import InvalidInput, ModelUnavailable
from services.journal import suggest
from services.store import use_case
from services.terminal import shown
from ui.cli.common import data_dir_of, open_vault, with_session


def print_proposals(proposals: list, entry_id: int, as_json: bool = False) -> None:
    if as_json:
        print(json.dumps({"entry": entry_id, "suggestions": [suggest.as_json(p)
                                                             for p in proposals]},
                         ensure_ascii=False, indent=1))
        return
    if not proposals:
        print(f"No suggestions from entry #{entry_id}'s notes.")
        return
    for p in proposals:
        quote = p.quote if len(p.quote) <= 160 else p.quote[:157] + "..."
        print(f"{p.number:>3}. {suggest.LABELS[p.kind]}: {shown(suggest.describe(p))}")
        print(f"       \"{shown(quote)}\"" + ("" if p.source == "rules"
                                              else f"  [{shown(p.source)}]"))
    print(f"Accept with: confidant suggest --accept {entry_id} 1,2,...")


def _model(args, session):
    """The model in use, when asked for (--model): where rules miss, it may add some."""
    if not getattr(args, "model", False):
        return None
    from services import settings as settings_service
    from services.advice import model_holder

    values = settings_service.get_settings(session=session)
    try:
        return model_holder.ModelHolder().for_settings(values, data_dir_of(args))
    except ModelUnavailable as err:
        print(f"confidant: rules only ({shown(str(err))})", file=sys.stderr)
        return None


def cmd_suggest(args) -> None:
    if args.accept and not args.numbers:
        raise InvalidInput("Say which to accept: confidant suggest --accept ENTRY_ID 1,3")
    if args.numbers and not args.accept:
        raise InvalidInput(f"To accept {shown(args.numbers[:40])}, add --accept.")
    vault = open_vault(args)
    try:
        with use_case(vault) as session:
            found = suggest.propose(session=session, interaction_id=args.entry,
                                    model=_model(args, session))
    finally:
        vault.lock()
    if not args.accept:
        print_proposals(found, args.entry, args.json)
        return None
    chosen = suggest.pick(found, args.numbers)

    def apply(args, session) -> None:
        done = suggest.accept(session=session, interaction_id=args.entry, chosen=chosen)
        if args.json:
            print(json.dumps({"entry": args.entry, "applied": done}, ensure_ascii=False,
                             indent=1))
        else:
            for line in done:
                print(shown(line))
    return with_session(write=True)(apply)(args)


def after_log(args, session, item) -> None:
    """`log --suggest`: the new entry's suggestions, printed after its id (read in the same
    session, before the commit; nothing of them is written)."""
    if getattr(args, "suggest", False):
        print_proposals(suggest.propose(session=session, interaction_id=item.id), item.id)
