"""The SQLCipher engine: one raw 256-bit key, no KDF per connection, and schema migrations."""

from __future__ import annotations

from pathlib import Path

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool

HEAD_REVISION = "0003"  # the newest file in migrations/versions; a test keeps them in step
MIGRATIONS = Path(__file__).with_name("migrations")
PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA busy_timeout = 5000",
)

DatabaseError = sqlcipher3.DatabaseError


def connect(path: Path, key: bytes) -> sqlcipher3.Connection:
    """A DB-API connection to the encrypted file; raises DatabaseError if the key is wrong."""
    con = sqlcipher3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        con.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        for pragma in PRAGMAS:
            con.execute(pragma)
    except Exception:
        con.close()
        raise
    return con


def make_engine(path: Path, key: bytes) -> Engine:
    """A pooled engine over the encrypted file, with transactions SQLAlchemy controls.

    The driver runs in autocommit mode and SQLAlchemy emits BEGIN itself, so DDL in migrations
    is transactional and every Session is one real transaction.
    """
    key = bytes(key)
    engine = create_engine(
        "sqlite://",
        module=sqlcipher3,
        creator=lambda: connect(path, key),
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
    )

    @event.listens_for(engine, "begin")
    def _begin(conn):  # pragma: no cover - trivial
        conn.exec_driver_sql("BEGIN")

    return engine


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).first()
        if not has_table:
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else None


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (the newest by default); cheap when already there."""
    if revision == "head" and current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command  # only when the schema must change: 0.1 s off every start
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
