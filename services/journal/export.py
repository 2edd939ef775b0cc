"""Export everything, readable without Confidant (Markdown or JSON). This is plain text:
the user asked for it, and the CLI says where it went."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, select

from models.tables import (
    Advice,
    AdviceCitation,
    Commitment,
    GovernanceCadence,
    HealthCheck,
    Interaction,
    InteractionParticipant,
    InteractionTag,
    Partner,
    Stakeholder,
    TrustReading,
)
from services import files
from services.errors import InvalidInput
from services.files import file_error


def _plain(row) -> dict:
    out = {}
    for key, value in row.model_dump().items():
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif hasattr(value, "value"):
            value = value.value
        out[key] = value
    return out


def journal_data(*, session: Session) -> dict:
    """Everything in the journal as plain JSON-ready data, partner by partner."""
    people = {s.id: s for s in session.exec(select(Stakeholder))}
    links: dict[int, list[str]] = {}
    for link in session.exec(select(InteractionParticipant)):
        links.setdefault(link.interaction_id, []).append(people[link.stakeholder_id].name)
    tags: dict[int, list[str]] = {}
    for tag in session.exec(select(InteractionTag)):
        tags.setdefault(tag.interaction_id, []).append(tag.tag)
    cites: dict[int, list[int]] = {}
    for cite in session.exec(select(AdviceCitation)):
        cites.setdefault(cite.advice_id, []).append(cite.interaction_id)

    def rows(model, partner_id, order):
        return session.exec(select(model).where(model.partner_id == partner_id).order_by(order))

    partners = []
    for partner in session.exec(select(Partner).order_by(Partner.name)):
        entry = _plain(partner)
        entry["stakeholders"] = [_plain(s) for s in rows(Stakeholder, partner.id, Stakeholder.name)]
        entry["interactions"] = [
            _plain(i) | {"participants": sorted(links.get(i.id, [])),
                         "tags": sorted(tags.get(i.id, []))}
            for i in rows(Interaction, partner.id, Interaction.occurred_at)]
        entry["commitments"] = [_plain(c) for c in rows(Commitment, partner.id, Commitment.id)]
        entry["trust_readings"] = [
            _plain(r) | {"trust_index": round(r.trust_index, 3)}
            for r in rows(TrustReading, partner.id, TrustReading.taken_at)]
        entry["advice"] = [_plain(a) | {"cited": sorted(cites.get(a.id, []))}
                           for a in rows(Advice, partner.id, Advice.created_at)]
        entry["health_checks"] = [_plain(h) for h in rows(HealthCheck, partner.id,
                                                          HealthCheck.taken_on)]
        entry["governance"] = [_plain(g) for g in rows(GovernanceCadence, partner.id,
                                                       GovernanceCadence.id)]
        partners.append(entry)
    return {"format": "confidant-export/1", "exported_at": datetime.now().isoformat(),
            "partners": partners}


def to_markdown(data: dict) -> str:
    out = [f"# Confidant journal\n\nExported {data['exported_at'][:16]}.\n"]
    for p in data["partners"]:
        out.append(f"\n## {p['name']}\n\n{p['kind']} · {p['status']}\n")
        if p["summary"]:
            out.append(f"\n{p['summary']}\n")
        if p["stakeholders"]:
            out.append("\n### Stakeholders\n\n| Name | Side | Role | Influence | Stance |\n"
                       "|---|---|---|---|---|\n")
            for s in p["stakeholders"]:
                out.append(f"| {s['name']} | {s['side']} | {s['role']} | {s['influence']} | "
                           f"{s['stance']} |\n")
        if p["commitments"]:
            out.append("\n### Commitments\n\n")
            for c in p["commitments"]:
                due = f", due {c['due']}" if c["due"] else ""
                out.append(f"- [{c['status']}] owed by {c['owed_by']}{due}: {c['text']}\n")
        if p.get("health_checks"):
            out.append("\n### Health checks (mine / theirs as I read it, 1-5)\n\n")
            for h in p["health_checks"]:
                out.append(f"- {h['taken_on']}: " + ", ".join(
                    f"{a} {h[a]}/{h['their_' + a] or '-'}"
                    for a in ("strategic", "operational", "relational"))
                    + (f". {h['note']}" if h["note"] else "") + "\n")
        if p.get("governance"):
            out.append("\n### Governance\n\n")
            for g in p["governance"]:
                out.append(f"- {g['label'] or g['kind']} every {g['every_days']} days, "
                           f"next due {g['next_due']}\n")
        if p["trust_readings"]:
            out.append("\n### Trust readings\n\n")
            for r in p["trust_readings"]:
                out.append(f"- {r['taken_at'][:10]}: index {r['trust_index']} (C {r['credibility']}"
                           f", R {r['reliability']}, I {r['intimacy']}, S {r['self_orientation']})"
                           "\n")
        out.append("\n### Interactions\n")
        for i in p["interactions"]:
            out.append(f"\n#### {i['occurred_at'][:16].replace('T', ' ')} — {i['title']} "
                       f"(#{i['id']})\n\n{i['kind']}, difficulty {i['difficulty']}/5")
            if i["participants"]:
                out.append(f", with {', '.join(i['participants'])}")
            if i["tags"]:
                out.append(f", tags: {', '.join(i['tags'])}")
            out.append("\n")
            if i["notes"]:
                out.append(f"\n{i['notes']}\n")
            if i["reflection"]:
                out.append("\n**Private reflection**\n\n" + i["reflection"] + "\n")
        for a in p["advice"]:
            out.append(f"\n### Advice, {a['created_at'][:10]}: {a['question']}\n\n{a['text']}\n")
    return "".join(out)


def export(*, session: Session, fmt: str, target: Path) -> Path:
    if fmt not in ("markdown", "json"):
        raise InvalidInput("The format is markdown or json.")
    data = journal_data(session=session)
    text = to_markdown(data) if fmt == "markdown" else json.dumps(data, ensure_ascii=False,
                                                                  indent=2)
    target = files.check_target(Path(target))
    partial = target.with_name(target.name + ".partial")
    try:
        files.new_private_file(partial)  # 0600: the export is plain text
        partial.write_text(text, encoding="utf-8")
        files.check_target(target)
        partial.replace(target)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise file_error(err, target) from err
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target
