"""The boundary of every use case, and the one place that turns database failures into the
typed errors users see.

One use case, one transaction: service functions add and flush, never commit. `use_case(vault)`
opens the session, begins the transaction (IMMEDIATE for writes, so a busy journal waits for the
busy timeout instead of failing when a read turns into a write), commits when the use case
returns and rolls back when it raises. The task helper and the CLI both go through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlmodel import Session, SQLModel

from models import db
from services import changes, files
from services.errors import (
    Conflict,
    CorruptVault,
    InvalidInput,
    JournalBusy,
    NotFound,
    ReadOnlyJournal,
    StorageFull,
)
from services.sync import capture as sync_capture

M = TypeVar("M", bound=SQLModel)
# what SQLite and SQLCipher say of a page that does not decrypt or a broken structure
DAMAGE_SIGNS = ("malformed", "not a database", "corrupt", "hmac")


def translate(err: Exception) -> Exception:
    text = str(getattr(err, "orig", err)).lower()
    if isinstance(err, IntegrityError):
        if "unique" in text:
            return Conflict("That name is already in use.")
        return Conflict("That would break a link between records (" + text + ").")
    if "disk is full" in text or "no space" in text:
        return StorageFull("The disk is full: nothing was saved. Free some space and save again.")
    if "readonly database" in text or "read-only file system" in text:
        return ReadOnlyJournal("The journal's folder is read-only: nothing was saved.")
    if "locked" in text or "busy" in text:
        return JournalBusy("The journal stayed busy in another program (another Confidant "
                           "command or window is writing); nothing was saved. Try again.")
    if any(sign in text for sign in DAMAGE_SIGNS):  # a read as much as a write
        return CorruptVault(f"The journal is damaged ({text}). Run 'confidant check' (File > "
                            "Check the journal) for a report; restore a backup made before it.")
    if isinstance(err, OperationalError | DatabaseError | db.DatabaseError):
        return CorruptVault(f"The journal could not be read or written ({text}).")
    return err


@contextmanager
def use_case(vault, *, write: bool = False) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back when it raises."""
    with vault.session(write=write) as session:
        if write:
            changes.watch(session)  # what it wrote, for the notice after the commit
        sync_capture.watch(session)  # when sync is on, what it wrote, as operations
        try:
            yield session
        except (DatabaseError, OSError) as err:
            session.rollback()
            raise translate(err) from err
        except BaseException:
            session.rollback()
            raise
        commit(session)


def commit(session: Session) -> None:
    """The boundary's commit (use_case); services flush."""
    _write(session, session.commit)


def end_read(session: Session) -> None:
    """End a read-only transaction, so a long job (the model writing) holds no snapshot."""
    session.commit()


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


file_error = files.file_error  # a failed file write as the error a user can act on
