"""Advice remembers whether it was stopped, and every sentence the model wrote with the
grounding check's verdict (issue 11).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("advice", sa.Column("stopped", sa.Boolean, nullable=False,
                                      server_default=sa.false()))
    op.add_column("advice", sa.Column("parts_json", sa.String, nullable=False,
                                      server_default="[]"))
