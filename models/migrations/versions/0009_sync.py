"""Sync through a folder (issue 24): the merged state by portable id, the outbox, the devices.
See models/sync_tables.py. Nothing in the journal's own tables changes.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("sync_state",
                    sa.Column("key", sa.String(40), primary_key=True, nullable=False),
                    sa.Column("value", sa.String, nullable=False))
    op.create_table("sync_row",
                    sa.Column("tbl", sa.String(40), primary_key=True, nullable=False),
                    sa.Column("uid", sa.String(40), primary_key=True, nullable=False),
                    sa.Column("local_key", sa.String(200), nullable=True),
                    sa.Column("state", sa.String, nullable=False))
    op.create_index("ix_sync_row_local", "sync_row", ["tbl", "local_key"])
    op.create_table("sync_wait",
                    sa.Column("parent", sa.String(40), primary_key=True, nullable=False),
                    sa.Column("tbl", sa.String(40), primary_key=True, nullable=False),
                    sa.Column("uid", sa.String(40), primary_key=True, nullable=False))
    op.create_table("sync_outbox",
                    sa.Column("n", sa.Integer, primary_key=True, nullable=False),
                    sa.Column("seq", sa.Integer, nullable=True),
                    sa.Column("op", sa.String, nullable=False))
    op.create_table("sync_peer",
                    sa.Column("device", sa.String(40), primary_key=True, nullable=False),
                    sa.Column("seq", sa.Integer, nullable=False),
                    sa.Column("info", sa.String, nullable=False))


def downgrade() -> None:
    for name in ("sync_peer", "sync_outbox", "sync_wait", "sync_row", "sync_state"):
        op.drop_table(name)
