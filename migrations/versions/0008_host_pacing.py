"""Host pacing shared between collector processes (one row per host: when its next request may leave).

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
        "host_pacing",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_host_pacing")),
    )


def downgrade() -> None:
    op.drop_table("host_pacing")
