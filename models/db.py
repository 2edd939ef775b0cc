"""The SQLCipher engine: one raw 256-bit key, no KDF per connection, and schema migrations.

The key reaches SQLCipher through `sqlite3_key` (`Connection.set_key`) from a mutable buffer that
is zeroed right after, never as a `PRAGMA key` string: a Python str cannot be wiped. SQLCipher's
own log (an "hmac check failed" line per page it tried) is silenced: a wrong key or a damaged
page is reported once, by us.
"""

from __future__ import annotations

from pathlib import Path

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool

HEAD_REVISION = "0009"  # the newest file in migrations/versions; a test keeps them in step
MIGRATIONS = Path(__file__).with_name("migrations")
PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA busy_timeout = 5000",
)

DatabaseError = sqlcipher3.DatabaseError
HEX = b"0123456789abcdef"


def _key_spec(key) -> bytearray:
    """SQLCipher's raw-key form x'<64 hex digits>', built in place in a mutable buffer."""
    spec = bytearray(3 + 2 * len(key))
    spec[0], spec[1], spec[-1] = ord("x"), ord("'"), ord("'")
    for i, byte in enumerate(key):
        spec[2 + 2 * i], spec[3 + 2 * i] = HEX[byte >> 4], HEX[byte & 15]
    return spec


def set_key(con: sqlcipher3.Connection, key, *, rekey: bool = False) -> None:
    """Key (or, with rekey, re-key) a connection without a str copy of the key."""
    spec = _key_spec(key)
    try:
        (con.reset_key if rekey else con.set_key)(spec)
    finally:
        spec[:] = bytes(len(spec))


def connect(path: Path, key, *, read_only: bool = False) -> sqlcipher3.Connection:
    """A DB-API connection to the encrypted file; raises DatabaseError if the key is wrong.
    `read_only`: the folder is read-only, so no -wal/-shm can be made: open it immutable."""
    target = f"{Path(path).resolve().as_uri()}?immutable=1" if read_only else str(path)
    con = sqlcipher3.connect(target, check_same_thread=False, isolation_level=None,
                             uri=read_only)
    try:
        con.execute("PRAGMA cipher_log_level = NONE")
        set_key(con, key)
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        for pragma in PRAGMAS:
            con.execute(pragma)
    except Exception:
        con.close()
        raise
    return con


def make_engine(path: Path, key, *, read_only: bool = False) -> Engine:
    """A pooled engine over the encrypted file, with transactions SQLAlchemy controls.

    The driver runs in autocommit mode and SQLAlchemy emits BEGIN itself, so DDL in migrations
    is transactional and every Session is one real transaction. `key` is the vault's own
    buffer, not a copy: once the vault zeroes it (lock), no new connection can be made.
    """
    engine = create_engine(
        "sqlite://",
        module=sqlcipher3,
        creator=lambda: connect(path, key, read_only=read_only),
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
    )

    @event.listens_for(engine, "begin")
    def _begin(conn):  # a write session asks for IMMEDIATE (Vault.session(write=True))
        conn.exec_driver_sql("BEGIN " + conn.get_execution_options().get("begin", ""))

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
