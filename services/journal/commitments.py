"""Promises, ours and theirs."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from models.tables import (
    Commitment,
    CommitmentCreate,
    CommitmentStatus,
    CommitmentUpdate,
    OwedBy,
    now,
)
from services.journal import check_same_partner, get_partner
from services.store import flush, get_or_404, validated


def add_commitment(*, session: Session, commitment_in: CommitmentCreate | dict) -> Commitment:
    data = validated(CommitmentCreate, commitment_in)
    get_partner(session=session, partner_id=data.partner_id)
    check_same_partner(session=session, partner_id=data.partner_id,
                       interaction_id=data.interaction_id)
    commitment = Commitment.model_validate(data)
    if commitment.status != CommitmentStatus.open:
        commitment.resolved_at = now()
    session.add(commitment)
    flush(session)
    return commitment


def get_commitment(*, session: Session, commitment_id: int) -> Commitment:
    return get_or_404(session, Commitment, commitment_id, "commitment")


def update_commitment(*, session: Session, commitment_id: int,
                      commitment_in: CommitmentUpdate | dict) -> Commitment:
    commitment = get_commitment(session=session, commitment_id=commitment_id)
    changes = validated(CommitmentUpdate, commitment_in).model_dump(exclude_unset=True)
    if "status" in changes and changes["status"] != commitment.status:
        changes["resolved_at"] = None if changes["status"] == CommitmentStatus.open else now()
    commitment.sqlmodel_update(changes)
    session.add(commitment)
    flush(session)
    return commitment


def set_status(*, session: Session, commitment_id: int,
               status: CommitmentStatus | str) -> Commitment:
    return update_commitment(session=session, commitment_id=commitment_id,
                             commitment_in={"status": status})


def delete_commitment(*, session: Session, commitment_id: int) -> None:
    session.delete(get_commitment(session=session, commitment_id=commitment_id))
    flush(session)


def list_commitments(*, session: Session, partner_id: int | None = None,
                     owed_by: OwedBy | str | None = None,
                     status: CommitmentStatus | str | None = None) -> list[Commitment]:
    """Open ones first, by due date (undated last)."""
    query = select(Commitment)
    if partner_id is not None:
        query = query.where(Commitment.partner_id == partner_id)
    if owed_by:
        query = query.where(Commitment.owed_by == OwedBy(owed_by))
    if status:
        query = query.where(Commitment.status == CommitmentStatus(status))
    rows = list(session.exec(query.order_by(col(Commitment.due).is_(None), Commitment.due)))
    return sorted(rows, key=lambda c: c.status != CommitmentStatus.open)


def is_overdue(commitment: Commitment, today: date | None = None) -> bool:
    today = today or date.today()
    return (commitment.status == CommitmentStatus.open and commitment.due is not None
            and commitment.due < today)
