"""Full-text search over interactions (FTS5), kept in step by triggers.

Emoji and other symbols (Unicode category So) count as word characters, so they can be found.
The rank function weighs a hit in the title five times a hit in the notes or reflection.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATEMENTS = [
    """CREATE VIRTUAL TABLE interaction_fts USING fts5(
        title, notes, reflection,
        content='interaction', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2 categories 'L* N* Co So'")""",
    """CREATE TRIGGER interaction_fts_ai AFTER INSERT ON interaction BEGIN
        INSERT INTO interaction_fts(rowid, title, notes, reflection)
        VALUES (new.id, new.title, new.notes, new.reflection);
    END""",
    """CREATE TRIGGER interaction_fts_ad AFTER DELETE ON interaction BEGIN
        INSERT INTO interaction_fts(interaction_fts, rowid, title, notes, reflection)
        VALUES ('delete', old.id, old.title, old.notes, old.reflection);
    END""",
    """CREATE TRIGGER interaction_fts_au AFTER UPDATE OF title, notes, reflection
        ON interaction BEGIN
        INSERT INTO interaction_fts(interaction_fts, rowid, title, notes, reflection)
        VALUES ('delete', old.id, old.title, old.notes, old.reflection);
        INSERT INTO interaction_fts(rowid, title, notes, reflection)
        VALUES (new.id, new.title, new.notes, new.reflection);
    END""",
    "INSERT INTO interaction_fts(interaction_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0, 1.0)')",
    "INSERT INTO interaction_fts(interaction_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)
