"""Advice written by a small model is a draft until the user keeps it; a draft stays out of the
brief (issue 21).

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("advice", sa.Column("draft", sa.Boolean, nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("advice") as batch:
        batch.drop_column("draft")
