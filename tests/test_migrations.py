"""Schema migrations: the newest revision is known, and an old file is carried forward."""

from __future__ import annotations

import secrets
import uuid

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import SQLModel

from models import db
from services import journal, paths
from services import vault as vaults
from services.journal import search
from services.store import use_case
from services.vault import keychain
from services.vault.vault_header import Header, key_check, write_header


def script_head() -> str:
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_head_revision_constant_matches_the_scripts():
    assert db.HEAD_REVISION == script_head()


def test_tables_match_the_migrated_schema(vault):
    with vault.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    # FTS5's own tables are created by the migration and are not SQLModel tables
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name.startswith(
        "interaction_fts"))]
    assert diff == []


def test_file_made_at_first_revision_opens_with_current_code(data_dir):
    key = secrets.token_bytes(32)
    header = Header(vault_id=str(uuid.uuid4()), check=key_check(key), keychain=True)
    header.set_recovery_key(key, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    write_header(paths.header_path(data_dir), header)
    keychain.store_key(header.vault_id, key)
    engine = db.make_engine(paths.db_path(data_dir), key)
    db.migrate(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO partner (name, kind, status, summary, created_at) "
                          "VALUES ('Old Partner', 'reseller', 'active', '', '2024-01-01')"))
        conn.execute(text(
            "INSERT INTO interaction (partner_id, occurred_at, kind, title, notes, reflection, "
            "difficulty, created_at, updated_at) VALUES (1, '2024-02-01 10:00:00', 'meeting', "
            "'Written before search existed', 'the old escalation', '', 3, '2024-02-01', "
            "'2024-02-01')"))
    assert db.current_revision(engine) == "0001"
    engine.dispose()

    vault = vaults.open_vault(data_dir)
    assert db.current_revision(vault.engine) == db.HEAD_REVISION
    with use_case(vault) as s:
        assert [i.title for i in journal.list_interactions(session=s)] \
            == ["Written before search existed"]
        assert [h.title for h in search.search(session=s, query="escalation")] \
            == ["Written before search existed"]
    vault.lock()
