"""Mention rollups: each brand's mention counts per 15-minute bucket, maintained at ingest, read by the statistics;
filled here from the mentions already stored.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from app.storage.rollups import rebuild_all_rollups

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mention_rollups",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("bucket_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("negative", sa.Integer(), nullable=False),
        sa.Column("neutral", sa.Integer(), nullable=False),
        sa.Column("positive", sa.Integer(), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.Column("risk_sum", sa.BigInteger(), nullable=False),
        sa.Column("risk_max", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_mention_rollups_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_mention_rollups_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("brand_id", "bucket_start", name=op.f("pk_mention_rollups")),
    )
    with op.batch_alter_table("mention_rollups", schema=None) as batch_op:
        batch_op.create_index("ix_mention_rollups_workspace", ["workspace_id", "bucket_start"], unique=False)
    # Backfill: one INSERT ... SELECT per brand, grouped by 15-minute bucket, in the database. It uses the storage
    # layer's own recount (the one the tests compare with incremental counting), which reads only columns that
    # exist at this revision.
    rebuild_all_rollups(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("mention_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_rollups_workspace")
    op.drop_table("mention_rollups")
