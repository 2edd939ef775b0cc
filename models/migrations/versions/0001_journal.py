"""The journal's tables.

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

S = sa.String


def _id():
    return sa.Column("id", sa.Integer, primary_key=True, nullable=False)


def _fk(name, target, nullable=False, ondelete=None, **kw):
    return sa.Column(name, sa.Integer, sa.ForeignKey(target, ondelete=ondelete),
                     nullable=nullable, **kw)


def upgrade() -> None:
    op.create_table(
        "partner", _id(),
        sa.Column("name", S(200), nullable=False, unique=True),
        sa.Column("kind", S(80), nullable=False),
        sa.Column("status", S(8), nullable=False),
        sa.Column("summary", S, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "stakeholder", _id(),
        _fk("partner_id", "partner.id"),
        sa.Column("name", S(200), nullable=False),
        sa.Column("side", S(8), nullable=False),
        sa.Column("role", S, nullable=False),
        sa.Column("influence", sa.Integer, nullable=False),
        sa.Column("stance", S(9), nullable=False),
        sa.Column("notes", S, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index("ix_stakeholder_partner_id", "stakeholder", ["partner_id"])
    op.create_table(
        "interaction", _id(),
        _fk("partner_id", "partner.id"),
        sa.Column("occurred_at", sa.DateTime, nullable=False),
        sa.Column("kind", S(8), nullable=False),
        sa.Column("title", S(300), nullable=False),
        sa.Column("notes", S, nullable=False),
        sa.Column("reflection", S, nullable=False),
        sa.Column("difficulty", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_interaction_partner_id", "interaction", ["partner_id"])
    op.create_index("ix_interaction_occurred_at", "interaction", ["occurred_at"])
    op.create_table(
        "interaction_participant",
        _fk("interaction_id", "interaction.id", ondelete="CASCADE", primary_key=True),
        _fk("stakeholder_id", "stakeholder.id", ondelete="CASCADE", primary_key=True),
    )
    op.create_index("ix_interaction_participant_stakeholder_id", "interaction_participant",
                    ["stakeholder_id"])
    op.create_table(
        "interaction_tag",
        _fk("interaction_id", "interaction.id", ondelete="CASCADE", primary_key=True),
        sa.Column("tag", S(80), primary_key=True, nullable=False),
    )
    op.create_index("ix_interaction_tag_tag", "interaction_tag", ["tag"])
    op.create_table(
        "trust_reading", _id(),
        _fk("partner_id", "partner.id"),
        _fk("stakeholder_id", "stakeholder.id", nullable=True, ondelete="CASCADE"),
        _fk("interaction_id", "interaction.id", nullable=True, ondelete="SET NULL"),
        sa.Column("taken_at", sa.DateTime, nullable=False),
        sa.Column("credibility", sa.Integer, nullable=False),
        sa.Column("reliability", sa.Integer, nullable=False),
        sa.Column("intimacy", sa.Integer, nullable=False),
        sa.Column("self_orientation", sa.Integer, nullable=False),
        sa.Column("note", S, nullable=False),
    )
    op.create_index("ix_trust_reading_partner_id", "trust_reading", ["partner_id"])
    op.create_index("ix_trust_reading_taken_at", "trust_reading", ["taken_at"])
    op.create_table(
        "commitment", _id(),
        _fk("partner_id", "partner.id"),
        _fk("interaction_id", "interaction.id", nullable=True, ondelete="SET NULL"),
        sa.Column("owed_by", S(4), nullable=False),
        sa.Column("text", S, nullable=False),
        sa.Column("due", sa.Date, nullable=True),
        sa.Column("status", S(7), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("resolved_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_commitment_partner_id", "commitment", ["partner_id"])
    op.create_table(
        "advice", _id(),
        _fk("partner_id", "partner.id"),
        _fk("interaction_id", "interaction.id", nullable=True, ondelete="SET NULL"),
        sa.Column("question", S, nullable=False),
        sa.Column("angles_json", S, nullable=False),
        sa.Column("text", S, nullable=False),
        sa.Column("model", S, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_advice_partner_id", "advice", ["partner_id"])
    op.create_table(
        "advice_citation",
        _fk("advice_id", "advice.id", ondelete="CASCADE", primary_key=True),
        _fk("interaction_id", "interaction.id", ondelete="CASCADE", primary_key=True),
    )
    op.create_table(
        "draft",
        sa.Column("key", S(120), primary_key=True, nullable=False),
        sa.Column("content_json", S, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "setting",
        sa.Column("key", S(120), primary_key=True, nullable=False),
        sa.Column("value_json", S, nullable=False),
    )
