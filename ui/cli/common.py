"""What every command shares: finding the data dir, opening the vault (and asking for its
passphrase on a terminal), reading the files and dates a user gives, resolving names, and
`with_session`, the CLI's one transaction boundary.

Exit codes: 0 success; 1 a user error (one line on stderr); 2 the vault cannot be opened.
"""

from __future__ import annotations

import contextlib
import getpass
import io
import os
import sys
from datetime import date, datetime
from pathlib import Path

from services import files, journal, paths
from services import vault as vaults
from services.errors import InvalidInput
from services.store import use_case

ENV_NEW_PASSPHRASE = "CONFIDANT_NEW_PASSPHRASE"


def data_dir_of(args) -> Path:
    root = paths.data_dir(args.data_dir)
    if root.exists() and not root.is_dir():
        raise InvalidInput(f"The data folder {root} is a file, not a folder.")
    return root


def ask() -> str | None:
    if not sys.stdin.isatty():
        return None
    return getpass.getpass("Passphrase or recovery key: ")


def open_vault(args) -> vaults.Vault:
    vault = vaults.open_vault(data_dir_of(args), ask=ask)
    if vault.rotation_unfinished:
        print("confidant: a key rotation was not finished: the previous passphrase and "
              "recovery key still open the journal; rotate the key again to retire them.",
              file=sys.stderr)
    return vault


def new_passphrase(optional: bool, env: str) -> str | None:
    """From the environment variable `env`, or asked twice on a TTY."""
    given = os.environ.get(env)
    if given or not sys.stdin.isatty():
        return given
    hint = " (empty: rely on the system keychain)" if optional else ""
    first = getpass.getpass(f"New passphrase{hint}: ")
    if not first and optional:
        return None
    if getpass.getpass("Repeat it: ") != first:
        raise InvalidInput("The two passphrases differ.")
    return first


def parse_when(text: str | None, what: str = "--date") -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{what}: use YYYY-MM-DD or YYYY-MM-DD HH:MM, not '{text}'.") from None


def parse_day(text: str | None, what: str) -> date | None:
    """A day typed for a journal fact: ISO, within the journal's years (models.tables)."""
    from models.tables import journal_date

    when = parse_when(text, what)
    try:
        return journal_date(when.date(), f"{what}: the date") if when else None
    except ValueError as err:
        raise InvalidInput(f"{err}.") from None


NOTE_LIMIT = 16 * 2**20  # a note file: far beyond any real note, short of a memory hazard


def read_text(path: str | None, text: str | None) -> str:
    if path is None:
        return text or ""
    try:
        return files.read_input(Path(path), limit=NOTE_LIMIT).decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidInput(f"Cannot read {path}: it is not UTF-8 text.") from err


def names(text: str | None) -> list[str]:
    return [n.strip() for n in (text or "").split(",") if n.strip()]


def partner_id_of(session, name: str | None) -> int | None:
    return journal.resolve_partner(session=session, name=name).id if name is not None else None


def stakeholder_id_of(session, partner, name: str | None) -> int | None:
    """The person `name` names at `partner` (the one resolver: any case, a unique prefix of
    any part of the name); None when no name was given at all."""
    if name is None:
        return None
    return journal.resolve_stakeholder(session=session, partner_id=partner.id, name=name).id


def entry_json(interaction, partner_name: str) -> dict:
    return {"id": interaction.id, "partner": partner_name, "title": interaction.title,
            "date": interaction.occurred_at.isoformat(), "kind": interaction.kind.value,
            "difficulty": interaction.difficulty}


# --- the transaction boundary ----------------------------------------------------------------
def with_session(write=False):
    """Run fn(args, session) as one use case inside an open vault, locking it afterwards.

    `write` (a bool, or a function of args) makes it a write: its transaction begins IMMEDIATE,
    and what it prints is held back until the commit succeeded, so a refused or failed command
    prints only its one error line and leaves the journal as it was.
    """
    def decorate(fn):
        def command(args):
            writes = write(args) if callable(write) else write
            vault = open_vault(args)
            out, err = io.StringIO(), io.StringIO()
            try:
                if not writes:
                    with use_case(vault) as session:
                        return fn(args, session)
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    with use_case(vault, write=True) as session:
                        result = fn(args, session)
            finally:
                vault.lock()
            sys.stderr.write(err.getvalue())
            sys.stdout.write(out.getvalue())
            return result
        command.__name__ = fn.__name__
        return command
    return decorate
