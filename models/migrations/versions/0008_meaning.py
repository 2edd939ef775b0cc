"""Memory by meaning (issue 22): sentence embeddings of each entry's chunks, inside the encrypted
file; a chunk is a span of the entry's own text (no second copy of it), deleted with the entry.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entry_chunk",
        sa.Column("id", sa.Integer, primary_key=True, nullable=False),
        sa.Column("interaction_id", sa.Integer,
                  sa.ForeignKey("interaction.id", ondelete="CASCADE"), nullable=False),
        sa.Column("field", sa.String(10), nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("model", sa.String(80), nullable=False),
        sa.Column("indexed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_entry_chunk_interaction_id", "entry_chunk", ["interaction_id"])


def downgrade() -> None:
    op.drop_index("ix_entry_chunk_interaction_id", "entry_chunk")
    op.drop_table("entry_chunk")
