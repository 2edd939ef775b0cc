"""One place that turns database failures into the typed errors users see."""

from __future__ import annotations

from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlmodel import Session, SQLModel

from services.errors import (
    Conflict,
    CorruptVault,
    InvalidInput,
    NotFound,
    StorageFull,
    VaultInUse,
)

M = TypeVar("M", bound=SQLModel)


def translate(err: Exception) -> Exception:
    text = str(getattr(err, "orig", err)).lower()
    if isinstance(err, IntegrityError):
        if "unique" in text:
            return Conflict("That name is already in use.")
        return Conflict("That would break a link between records (" + text + ").")
    if "disk is full" in text or "no space" in text:
        return StorageFull("The disk is full: nothing was saved. Free some space and save again.")
    if "locked" in text or "busy" in text:
        return VaultInUse("The journal is busy in another program; try again in a moment.")
    if isinstance(err, OperationalError | DatabaseError):
        return CorruptVault(f"The journal could not be written ({text}).")
    return err


def commit(session: Session) -> None:
    _write(session, session.commit)


def flush(session: Session) -> None:
    """Send pending writes now (to learn new ids); a failure rolls the unit of work back."""
    _write(session, session.flush)


def _write(session: Session, step) -> None:
    try:
        step()
    except (DatabaseError, OSError) as err:
        session.rollback()
        raise translate(err) from err


def validated(model: type[M], data) -> M:
    """Validate input into a Create/Update model, as one readable line on failure."""
    if isinstance(data, model):
        data = data.model_dump(exclude_unset=True)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        raise InvalidInput(f"{where}: {message}" if where else message) from err


def get_or_404(session: Session, model: type[M], ident, what: str) -> M:
    row = session.get(model, ident)
    if row is None:
        raise NotFound(f"No {what} with id {ident}.")
    return row


def file_error(err: OSError, where) -> Exception:
    """A failed file write as the error a user can act on."""
    if err.errno == 28:
        return StorageFull(f"The disk is full: {where} was not written.")
    return InvalidInput(f"Cannot write {where}: {err.strerror or err}.")
