"""The journal's commands: partner, log, stakeholder, commitment, trust, list, search,
export, advise, brief."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from services import journal
from services.errors import ConfidantError, InvalidInput
from services.journal import commitments, export, trust
from services.store import use_case
from services.terminal import shown
from ui.cli.common import (
    data_dir_of,
    entry_json,
    names,
    open_vault,
    parse_day,
    parse_when,
    partner_id_of,
    read_text,
    stakeholder_id_of,
    with_session,
)


@with_session(write=lambda args: args.action in ("add", "set"))
def cmd_partner(args, session) -> None:
    if args.action == "set":
        from ui.cli.practice import partner_set

        return partner_set(args, session)
    if args.action == "add":
        print(journal.create_partner(session=session, partner_in={
            "name": args.name, **({"kind": args.kind} if args.kind else {})}).id)
    else:
        for p in journal.list_partners(session=session):
            print(f"{p.id:>5}  {shown(p.name)}  ({shown(p.kind)}, {p.status.value})")


def cmd_log(args) -> None:
    if not getattr(args, "audio", None) and (getattr(args, "into", None) or
                                             getattr(args, "language", None)):
        raise InvalidInput("--into and --language go with --audio FILE.")
    if getattr(args, "audio", None):  # issue 15: transcribed first, then the same write
        from ui.cli.voice import log_audio

        return log_audio(args, _log_entry)
    return with_session(write=True)(_log_entry)(args)


def _log_entry(args, session) -> None:
    partner, created = journal.ensure_partner(session=session, name=args.partner)
    if created:
        print(f"Added partner {shown(partner.name)} (no partner's name starts with it).",
              file=sys.stderr)
    people = []
    for name in names(args.with_):
        person = journal.find_stakeholder(session=session, partner_id=partner.id, name=name)
        if person is None:
            person = journal.create_stakeholder(session=session, stakeholder_in={
                "partner_id": partner.id, "name": name})
            print(f"Added stakeholder {shown(person.name)} to {shown(partner.name)}.",
                  file=sys.stderr)
        people.append(person.id)
    data = {"partner_id": partner.id, "title": args.title, "kind": args.kind,
            "notes": read_text(args.notes_file, args.notes),
            "reflection": read_text(args.reflection_file, args.reflection),
            "difficulty": args.difficulty, "participant_ids": people, "tags": names(args.tags)}
    if args.date:
        data["occurred_at"] = parse_when(args.date)
    item = journal.create_interaction(session=session, interaction_in=data)
    print(item.id)
    if getattr(args, "suggest", False):  # issue 23: what the notes propose, nothing written
        from ui.cli.suggest import after_log

        after_log(args, session, item)


@with_session(write=True)
def cmd_stakeholder(args, session) -> None:
    if args.action == "set":
        from ui.cli.practice import stakeholder_set

        return stakeholder_set(args, session)
    partner = journal.resolve_partner(session=session, name=args.partner)
    print(journal.create_stakeholder(session=session, stakeholder_in={
        "partner_id": partner.id, "name": args.name, "role": args.role, "email": args.email,
        "influence": args.influence, "stance": args.stance,
        "side": "internal" if args.internal else "partner"}).id)


@with_session(write=True)
def cmd_commitment(args, session) -> None:
    if args.action == "set":
        commitments.set_status(session=session, commitment_id=args.id, status=args.status)
        print(args.id)
        return
    partner = journal.resolve_partner(session=session, name=args.partner)
    print(commitments.add_commitment(session=session, commitment_in={
        "partner_id": partner.id, "owed_by": args.owed_by, "text": args.text,
        "due": parse_day(args.due, "--due"), "status": args.status,
        "interaction_id": args.interaction}).id)


@with_session(write=True)
def cmd_trust(args, session) -> None:
    partner = journal.resolve_partner(session=session, name=args.partner)
    data = {"partner_id": partner.id,
            "stakeholder_id": stakeholder_id_of(session, partner, args.stakeholder),
            "credibility": args.credibility, "reliability": args.reliability,
            "intimacy": args.intimacy, "self_orientation": args.self_orientation,
            "interaction_id": args.interaction}
    if args.date:
        data["taken_at"] = parse_when(args.date)
    reading = trust.add_reading(session=session, reading_in=data)
    print(reading.id)


@with_session()
def cmd_list(args, session) -> None:
    names = {p.id: p.name for p in journal.list_partners(session=session)}
    rows = journal.list_interactions(session=session, partner_id=partner_id_of(session, args.partner),
                                     limit=args.limit)
    if args.json:
        print(json.dumps([entry_json(i, names[i.partner_id]) for i in rows],
                         ensure_ascii=False, indent=1))
        return
    for i in rows:
        print(f"{i.id:>6}  {i.occurred_at:%Y-%m-%d}  {shown(names[i.partner_id][:22]):<22}  "
              f"{i.kind.value:<8}  {shown(i.title)}")


def cmd_search(args) -> None:
    """Words and meaning blended (or --words, --meaning); the meaning index is brought up to
    date first, in use cases of its own, never inside a save."""
    from services.memory import recall

    mode = "words" if args.words else "meaning" if args.meaning else "blend"
    vault = open_vault(args)
    try:
        embedder, why = (None, "") if mode == "words" else meaning_model(args, vault)
        if mode == "meaning" and embedder is None:
            raise InvalidInput(why)
        with use_case(vault) as session:
            found = recall.find(session=session, query=args.query, embedder=embedder, mode=mode,
                                partner_id=partner_id_of(session, args.partner),
                                kind=args.kind, since=parse_when(args.since, "--since"),
                                until=parse_when(args.until, "--until"), limit=args.limit,
                                unavailable=why)
    finally:
        vault.lock()
    if args.json:
        print(json.dumps([{"id": h.id, "partner": h.partner, "title": h.title,
                           "date": h.occurred_at.isoformat(), "kind": h.kind,
                           "snippet": h.snippet, "found_by": h.how,
                           "score": round(h.score, 4)} for h in found.hits],
                         ensure_ascii=False, indent=1))
        return
    if found.note:
        print(found.note, file=sys.stderr)
    if not found.hits:
        print("No entries match.", file=sys.stderr)
    for h in found.hits:
        by = "" if h.how == "words" else f"  (by meaning, {h.score:.2f})"
        print(f"{h.id:>6}  {h.occurred_at:%Y-%m-%d}  {shown(h.partner)}: {shown(h.title)}{by}\n"
              f"        {shown(h.snippet)}")


def meaning_model(args, vault):
    """The meaning model, with the index caught up (progress on stderr when it takes a while);
    or None and the one line saying why search is words only."""
    from services.memory import embedder as embedding
    from services.memory import index

    model = embedding.HOLDER.available(data_dir_of(args))
    if model is None:
        return None, f"{embedding.HOLDER.error} Words only."
    shown_progress = [False]

    def progress(done: int, total: int, left: float) -> None:
        if sys.stderr.isatty() and total >= 50 and (done == total
                                                     or done % 160 < index.BATCH):
            shown_progress[0] = True
            print(f"\rIndexing by meaning: {done}/{total}, about {left:.0f} s left",
                  end="", file=sys.stderr, flush=True)
    index.catch_up(vault, model, on_progress=progress)
    if shown_progress[0]:
        print(file=sys.stderr)
    return model, ""


def cmd_advise(args) -> None:
    from services.advice import advisor

    by_rule: dict = {}  # the angles, as soon as they are known
    try:
        return _advise_and_save(args, by_rule)
    except ConfidantError as err:   # a --json reader gets the angles with the error
        err.json_extra = {"angles": [advisor.angle_json(a) for a in by_rule.values()]}
        raise


def _advise_and_save(args, by_rule: dict) -> None:
    """Two use cases: the advice is written in a read session (the model may take minutes and
    holds no lock), then saved in a short write of its own."""
    from services.advice import advisor

    vault = open_vault(args)
    try:
        with use_case(vault) as session:
            request, result = _advise(args, session, by_rule)
        if result.text:
            with use_case(vault, write=True) as session:
                advisor.save_advice(session=session, request=request, result=result)
    finally:
        vault.lock()
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=1))
        return
    if result.text:
        draft = (f"a draft {advisor.DRAFT_LABEL}, left out of the brief until kept; "
                 if result.draft else "")
        print(f"\n\n({result.model}; {draft}{'stopped, ' if result.stopped else ''}saved as "
              f"advice #{result.advice_id} with its checked sentences only)")
    elif result.parts:
        print(f"\n\nThe model's text was withheld: none of its {len(result.parts)} sentence(s) "
              "passed the check; the angles' first steps stand. Nothing was saved.")
    elif not args.no_model:
        print(result.no_model_reason or "The model wrote no text; the angles' first steps "
              "stand. Nothing was saved.")


def _advise(args, session, by_rule: dict):
    from services import settings as settings_service
    from services.advice import advisor, model_holder
    from services.memory import embedder as embedding

    partner = journal.resolve_partner(session=session, name=args.partner)
    person_id = stakeholder_id_of(session, partner, args.stakeholder)
    if args.interaction is not None:
        item = journal.get_interaction(session=session, interaction_id=args.interaction)
        if item.partner_id != partner.id:
            raise InvalidInput(f"Entry #{item.id} is not about {shown(partner.name)}.")
    kind = args.about or ("free" if args.question else
                          "trust" if args.interaction is not None else "prepare")
    values = settings_service.get_settings(session=session)
    request = advisor.AdviceRequest(partner_id=partner.id, kind=kind, question=args.question,
                                    interaction_id=args.interaction, stakeholder_id=person_id,
                                    no_contact_days=values.no_contact_days,
                                    max_tokens=args.max_tokens, temperature=args.temperature,
                                    meeting_date=parse_day(args.meeting_date, "--meeting-date"))
    holder = model_holder.ModelHolder()

    def model_source():
        return holder.for_settings(values, data_dir_of(args))

    def show_angles(angles) -> None:
        by_rule.update((a.rule, a) for a in angles)
        if args.json:
            return
        shown_now = angles if args.all else [a for a in angles if a.leads]
        print(f"Angles for {shown(partner.name)}"
              + ("" if angles else ": none, the signals are calm") + ("" if not angles else ":"))
        for n, a in enumerate(shown_now, 1):
            cites = " ".join(f"[#{i}]" for i in a.cites)
            print(f"\n{n}. {shown(a.title)}  ({a.category}, urgency {a.urgency:.1f})\n"
                  f"   Why: {shown(a.why)}{' ' + cites if cites else ''}")
            for q in a.quotes:   # the journal's own words (issue 22)
                private = " (private reflection)" if q["private"] else ""
                print(f"   “{shown(q['text'])}” [#{q['interaction_id']}]{private}")
            print(f"   First step: {shown(a.first_step)}")
        if len(shown_now) < len(angles):
            more = len(angles) - len(shown_now)
            print(f"\n({more} more angle{'s' if more > 1 else ''}: --all)")
        print("\nAdvice:\n" if not args.no_model else "", end="", flush=True)

    def stream(piece: str) -> None:
        if not args.json:
            print(shown(piece, lines=True), end="", flush=True)

    def withheld(part) -> None:
        """A sentence that failed the grounding check: why, and the angle's own first step."""
        if args.json or part.kept:
            return
        angle = by_rule.get(part.rule)
        step = f" First step: {shown(angle.first_step)}" if angle and angle.first_step else ""
        print(f"\n  (withheld: {shown(part.reason)}.{step})", flush=True)

    try:
        result = advisor.advise(
            session=session, request=request,
            model_source=None if args.no_model else model_source,
            listener=advisor.AdviceListener(angles=show_angles, token=stream, part=withheld),
            meaning=embedding.HOLDER.available(data_dir_of(args)))  # quotes, context
    finally:
        holder.close()
    return request, result


@with_session()
def cmd_brief(args, session) -> None:
    from services import settings as settings_service
    from services.practice import brief

    partner = journal.resolve_partner(session=session, name=args.partner)
    if args.recent < 0:
        raise InvalidInput("--recent must be 0 or more.")
    values = settings_service.get_settings(session=session)
    options = brief.BriefOptions(
        partner_id=partner.id, meeting_date=parse_day(args.meeting_date, "--meeting-date"),
        purpose=args.purpose, prepared_by=args.prepared_by,
        include_reflections=args.include_reflections, with_advice=args.with_advice,
        recent=args.recent, page_size=args.page_size or values.page_size)
    data = brief.build_brief(session=session, options=options,
                             no_contact_days=values.no_contact_days,
                             trust_drop=values.trust_drop_alert)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # drawing needs QtGui, not a screen
    from PySide6.QtGui import QGuiApplication

    from ui.render.brief_pdf import write_pdf

    app = QGuiApplication.instance() or QGuiApplication(["confidant"])  # noqa: F841
    target = write_pdf(data, Path(args.output))
    private = "with private reflections" if args.include_reflections else \
        "private reflections left out"
    print(f"Brief for {shown(partner.name)} written to {target} ({private}).")


@with_session()
def cmd_export(args, session) -> None:
    target = export.export(session=session, fmt=args.format, target=Path(args.output))
    print(f"Exported to {target} (plain text: keep it somewhere safe).")
