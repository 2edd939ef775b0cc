"""Stance history (for drift alerts) and a (partner, date) index for the portfolio summary.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stance_change",
        sa.Column("id", sa.Integer, primary_key=True, nullable=False),
        sa.Column("stakeholder_id", sa.Integer,
                  sa.ForeignKey("stakeholder.id", ondelete="CASCADE"), nullable=False),
        sa.Column("partner_id", sa.Integer, sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("old", sa.String(9), nullable=False),
        sa.Column("new", sa.String(9), nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_stance_change_partner_id", "stance_change", ["partner_id"])
    op.create_index("ix_interaction_partner_occurred", "interaction",
                    ["partner_id", "occurred_at"])
