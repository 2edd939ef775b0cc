"""Voice memos kept with their entry (issue 15): FLAC bytes inside the encrypted journal,
deleted with the entry.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_recording",
        sa.Column("id", sa.Integer, primary_key=True, nullable=False),
        sa.Column("interaction_id", sa.Integer,
                  sa.ForeignKey("interaction.id", ondelete="CASCADE"), nullable=False),
        sa.Column("audio", sa.LargeBinary, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("language", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_voice_recording_interaction_id", "voice_recording", ["interaction_id"])


def downgrade() -> None:
    op.drop_index("ix_voice_recording_interaction_id", "voice_recording")
    op.drop_table("voice_recording")
