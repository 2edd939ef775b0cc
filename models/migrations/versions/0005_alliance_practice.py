"""Alliance practice (issue 14): a partner's lifecycle stage, a stakeholder's e-mail and
keep-in-touch cadence, health checks, governance cadences, and the calendar events imported.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

S = sa.String


def _fk(name, target, nullable=False, ondelete=None):
    return sa.Column(name, sa.Integer, sa.ForeignKey(target, ondelete=ondelete),
                     nullable=nullable)


def upgrade() -> None:
    op.add_column("partner", sa.Column("stage", S(9), nullable=True))
    op.add_column("stakeholder", sa.Column("email", S(254), nullable=False, server_default=""))
    op.add_column("stakeholder", sa.Column("touch_ideal_days", sa.Integer, nullable=True))
    op.add_column("stakeholder", sa.Column("touch_max_days", sa.Integer, nullable=True))
    op.create_table(
        "health_check",
        sa.Column("id", sa.Integer, primary_key=True, nullable=False),
        _fk("partner_id", "partner.id", ondelete="CASCADE"),
        sa.Column("taken_on", sa.Date, nullable=False),
        *(sa.Column(axis, sa.Integer, nullable=False)
          for axis in ("strategic", "operational", "relational")),
        *(sa.Column(f"their_{axis}", sa.Integer, nullable=True)
          for axis in ("strategic", "operational", "relational")),
        *(sa.Column(f"{axis}_evidence", S, nullable=False)
          for axis in ("strategic", "operational", "relational")),
        sa.Column("note", S, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_health_check_partner_id", "health_check", ["partner_id"])
    op.create_table(
        "governance_cadence",
        sa.Column("id", sa.Integer, primary_key=True, nullable=False),
        _fk("partner_id", "partner.id", ondelete="CASCADE"),
        sa.Column("kind", S(8), nullable=False),
        sa.Column("every_days", sa.Integer, nullable=False),
        sa.Column("next_due", sa.Date, nullable=False),
        sa.Column("label", S(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_governance_cadence_partner_id", "governance_cadence", ["partner_id"])
    op.create_table(
        "calendar_link",
        sa.Column("uid", S(500), primary_key=True, nullable=False),
        _fk("partner_id", "partner.id", ondelete="CASCADE"),
        sa.Column("sequence", sa.Integer, nullable=False),
        _fk("interaction_id", "interaction.id", nullable=True, ondelete="SET NULL"),
        _fk("cadence_id", "governance_cadence.id", nullable=True, ondelete="SET NULL"),
        sa.Column("imported_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_calendar_link_partner_id", "calendar_link", ["partner_id"])
