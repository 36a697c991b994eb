"""Scores: complaint flag and crisis risk per mention; crisis and ignored terms per workspace.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("crisis_terms", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("ignored_terms", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    with op.batch_alter_table("mentions") as batch:
        batch.add_column(sa.Column("complaint", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("risk", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mentions") as batch:
        batch.drop_column("risk")
        batch.drop_column("complaint")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("ignored_terms")
        batch.drop_column("crisis_terms")
