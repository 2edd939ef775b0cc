"""The command line's alliance-practice commands (issue 14): health checks, stage and
governance, keeping in touch, since we last spoke, what worked before, the portfolio, and the
calendar import. Listed in ui/cli/__init__.py's PARTS; the same rules as every command: one use
case each, one line on a user error, journal text printed through `shown`."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path

from services import journal
from services import settings as settings_service
from services.advice import precedents
from services.errors import InvalidInput
from services.practice import calendar_import, checkups, dashboard, governance, keep_in_touch, since
from services.terminal import shown
from ui.cli.common import parse_day, stakeholder_id_of, with_session


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, default=str)


# --- stage, e-mail and cadence (branches of 'partner' and 'stakeholder') -----------------------
def partner_set(args, session) -> None:
    partner = journal.resolve_partner(session=session, name=args.name)
    governance.set_stage(session=session, partner_id=partner.id, stage=args.stage)
    print(f"{shown(partner.name)}: stage {args.stage}.")


def stakeholder_set(args, session) -> None:
    partner = journal.resolve_partner(session=session, name=args.partner)
    person_id = stakeholder_id_of(session, partner, args.name)
    if args.email is not None:
        journal.update_stakeholder(session=session, stakeholder_id=person_id,
                                   stakeholder_in={"email": args.email.strip()})
    if args.ideal_days or args.max_days:
        keep_in_touch.set_cadence(session=session, stakeholder_id=person_id,
                                  ideal_days=args.ideal_days, max_days=args.max_days)
    person = journal.get_stakeholder(session=session, stakeholder_id=person_id)
    ideal, most = keep_in_touch.cadence_of(person)
    print(f"{shown(person.name)}: keep in touch every {ideal} days (at most {most})"
          + (f", e-mail {shown(person.email)}" if person.email else "") + ".")


# --- health checks ---------------------------------------------------------------------------
def _check_json(check, before=None) -> dict:
    return {"id": check.id, "date": check.taken_on.isoformat(),
            "ours": dict(zip(checkups.AXES, checkups.ours(check), strict=True)),
            "theirs": dict(zip(checkups.AXES, checkups.theirs(check), strict=True)),
            "evidence": {a: getattr(check, f"{a}_evidence") for a in checkups.AXES},
            "note": check.note,
            "gaps": [{"axis": g.axis, "ours": g.before, "theirs": g.after}
                     for g in checkups.gaps(check)],
            "drops": [{"axis": d.axis, "before": d.before, "after": d.after}
                      for d in (checkups.drops(before, check) if before else [])]}


@with_session(write=lambda args: args.action == "add")
def cmd_checkup(args, session) -> None:
    partner = journal.resolve_partner(session=session, name=args.partner)
    if args.action == "list":
        history = checkups.history(session=session, partner_id=partner.id)
        rows = [_check_json(c, history[n - 1] if n else None) for n, c in enumerate(history)]
        if args.json:
            print(_dumps(rows))
            return
        if not rows:
            print(f"No health check for {shown(partner.name)} yet.", file=sys.stderr)
        for r in rows:
            theirs = " ".join("-" if v is None else str(v) for v in r["theirs"].values())
            flags = [f"gap on {g['axis']}" for g in r["gaps"]] + \
                [f"{d['axis']} fell {d['before']}→{d['after']}" for d in r["drops"]]
            print(f"{r['date']}  ours {' '.join(str(v) for v in r['ours'].values())}  "
                  f"theirs {theirs}" + (f"  ! {', '.join(flags)}" if flags else ""))
        return
    data = {"partner_id": partner.id, "note": args.note}
    for axis in checkups.AXES:
        data[axis] = getattr(args, axis)
        data[f"their_{axis}"] = getattr(args, f"their_{axis}")
        data[f"{axis}_evidence"] = getattr(args, f"{axis}_evidence")
    if args.date:
        data["taken_on"] = parse_day(args.date, "--date")
    check = checkups.add_checkup(session=session, checkup_in=data)
    print(check.id)
    gaps = checkups.gaps(check)
    if gaps:
        print(f"Gap between the views: {checkups.describe(gaps, 'vs')}.", file=sys.stderr)


# --- governance ------------------------------------------------------------------------------
@with_session(write=lambda args: args.action == "add")
def cmd_governance(args, session) -> None:
    if args.action == "add":
        partner = journal.resolve_partner(session=session, name=args.partner)
        due = parse_day(args.next, "--next") or date.today() + timedelta(days=args.every)
        cadence = governance.add_cadence(session=session, cadence_in={
            "partner_id": partner.id, "kind": args.kind, "every_days": args.every,
            "next_due": due, "label": args.label})
        print(cadence.id)
        return
    pid = journal.resolve_partner(session=session, name=args.partner).id \
        if args.partner else None
    names = {p.id: p.name for p in journal.list_partners(session=session)}
    dues = [d for items in governance.due_dates(session=session, partner_id=pid).values()
            for d in items]
    dues.sort(key=lambda d: d.due)
    if args.json:
        print(_dumps([{"partner": names[d.partner_id], "kind": d.kind, "label": d.label,
                       "every_days": d.every_days, "due": d.due, "last_held": d.last_held,
                       "overdue_days": d.overdue_days} for d in dues]))
        return
    if not dues:
        print("No governance cadence set.", file=sys.stderr)
    for d in dues:
        print(f"{d.due}  {shown(names[d.partner_id][:22]):<22}  {shown(d.text)} "
              f"(every {d.every_days} days)")


# --- keeping in touch, since we last spoke -----------------------------------------------------
@with_session()
def cmd_touch(args, session) -> None:
    pid = journal.resolve_partner(session=session, name=args.partner).id \
        if args.partner else None
    names = {p.id: p.name for p in journal.list_partners(session=session)}
    touches = keep_in_touch.touch_list(session=session, partner_id=pid)
    shown_ones = touches if args.all else keep_in_touch.losing_touch(touches)
    if args.json:
        print(_dumps([{"partner": names[t.partner_id], "name": t.name, "days": t.days,
                       "ideal_days": t.ideal_days, "max_days": t.max_days,
                       "last_seen": t.last_seen, "last_entry": t.last_entry_id,
                       "losing_touch": t.losing_touch, "past_max": t.past_max}
                      for t in shown_ones]))
        return
    if not shown_ones:
        print("Everyone is within their cadence.", file=sys.stderr)
    for t in shown_ones:
        days = "never met" if t.days is None else f"{t.days} days"
        mark = "!" if t.past_max else " "
        print(f"{mark} {shown(t.name)} ({shown(names[t.partner_id])}): {days}; ideal "
              f"{t.ideal_days}, at most {t.max_days}")


@with_session()
def cmd_since(args, session) -> None:
    partner = journal.resolve_partner(session=session, name=args.partner)
    found = since.since_last_spoke(session=session,
                                   stakeholder_id=stakeholder_id_of(session, partner,
                                                                  args.stakeholder))
    if args.json:
        print(_dumps(found.as_json()))
        return
    print(f"{shown(found.name)}: {shown(found.line())}")
    for e in found.entries:
        print(f"  entry  #{e['id']} {e['date'][:10]} {e['kind']}: {shown(e['title'])}")
    for c in found.opened:
        print(f"  promise made ({c['owed_by']}): {shown(c['text'])} [{c['status']}]")
    for c in found.settled:
        print(f"  promise {c['status']} ({c['owed_by']}): {shown(c['text'])}")
    for r in found.readings:
        print(f"  trust reading {r['date'][:10]} ({r['about']}): {r['index']:.2f}")
    for s in found.stance_changes:
        print(f"  {shown(s['name'])}: {s['old']} → {s['new']} ({s['date'][:10]})")


# --- what worked before ----------------------------------------------------------------------
@with_session()
def cmd_precedents(args, session) -> None:
    found = precedents.episodes(session=session)
    if args.partner:
        pid = journal.resolve_partner(session=session, name=args.partner).id
        found = [e for e in found if e.partner_id == pid]
    if args.kind:
        found = [e for e in found if e.kind == args.kind]
    for e in found:
        precedents.what_next(session=session, episode=e)
    if args.json:
        print(_dumps([e.as_json() for e in found]))
        return
    if not found:
        print("No past episode (trust drop, broken promise, blocker) in the journal.",
              file=sys.stderr)
    for e in found:
        if e.recovered:
            print(f"{shown(precedents.sentence(e))}. "
                  + " ".join(f"[#{i}]" for i in e.cites))
        else:
            print(f"{e.when:%Y-%m} {shown(e.partner)}: {shown(e.what)}; trust has not "
                  "recovered" + (f" (baseline {e.baseline:.2f})" if e.baseline else "") + ".")


# --- the portfolio ---------------------------------------------------------------------------
def _reliability(r: dashboard.Reliability) -> dict:
    return {"rate": r.rate, "kept": r.kept, "broken": r.broken, "open": r.open,
            "overdue": r.overdue}


def portfolio_json(rows: list[dashboard.PortfolioRow]) -> list[dict]:
    return [{
        "partner": r.name, "kind": r.kind, "stage": r.stage, "trust_index": r.trust_index,
        "trust_change": r.trust_change, "ours": _reliability(r.ours),
        "theirs": _reliability(r.theirs), "last_contact": r.last_contact,
        "next_governance": None if r.next_governance is None else {
            "label": r.next_governance.label, "due": r.next_governance.due,
            "overdue_days": r.next_governance.overdue_days},
        "health": None if r.health is None else {
            "date": r.health.taken_on,
            "ours": dict(zip(checkups.AXES, checkups.ours(r.health), strict=True)),
            "theirs": dict(zip(checkups.AXES, checkups.theirs(r.health), strict=True))},
        "losing_touch": [{"name": t.name, "days": t.days, "ideal_days": t.ideal_days}
                         for t in r.losing_touch],
        "alerts": [{"kind": a.kind, "text": a.text, "date": a.when, "entries": a.cites}
                   for a in r.alerts]} for r in rows]


@with_session()
def cmd_portfolio(args, session) -> None:
    values = settings_service.get_settings(session=session)
    rows = dashboard.portfolio(session=session, no_contact_days=values.no_contact_days,
                               trust_drop=values.trust_drop_alert)
    if args.json:
        print(_dumps(portfolio_json(rows)))
        return
    for r in rows:
        trust = "—" if r.trust_index is None else f"{r.trust_index:.2f}"
        kept = "—" if r.ours.rate is None else f"{r.ours.rate:.0%}"
        nxt = f"; {r.next_governance.text}" if r.next_governance else ""
        last = f"{r.last_contact:%Y-%m-%d}" if r.last_contact else "never"
        print(f"{shown(r.name)} [{r.stage or 'no stage'}]: trust {trust}, our promises kept "
              f"{kept}, last contact {last}{shown(nxt)}")
        for a in r.alerts:
            cites = " ".join(f"[#{i}]" for i in a.cites)
            print(f"  ! {a.when} {shown(a.text)}" + (f" {cites}" if cites else ""))


# --- calendar import -------------------------------------------------------------------------
@with_session(write=True)
def cmd_import(args, session) -> None:
    if args.source != "ics":
        raise InvalidInput(f"Unknown import source '{args.source}'.")
    partner = journal.resolve_partner(session=session, name=args.partner)
    report = calendar_import.import_ics(session=session, path=Path(args.file),
                                        partner_id=partner.id)
    if args.json:
        print(_dumps(report.as_json()))
        return
    for line in report.lines():
        print(shown(line))

