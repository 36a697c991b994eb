"""Curation and reprocessing: manual sentiment on mentions, curation marks, per-brand blocklists, reprocess jobs.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("mentions", sa.Column("sentiment_manual", sa.String(length=10), nullable=True))
    op.add_column("mentions", sa.Column("sentiment_corrected_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "mention_curations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("mention_id", BigId, nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("mark", sa.String(length=12), nullable=False),
        sa.Column("key_name", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_mention_curations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mention_id"], ["mentions.id"], name=op.f("fk_mention_curations_mention_id_mentions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_mention_curations_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mention_curations")),
        sa.UniqueConstraint("mention_id", "brand_id", name="uq_mention_curations_mention_brand"),
    )
    op.create_index("ix_mention_curations_workspace", "mention_curations", ["workspace_id", "id"])
    op.create_table(
        "brand_blocklist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("mention_id", BigId, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_brand_blocklist_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_brand_blocklist_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["mention_id"], ["mentions.id"], name=op.f("fk_brand_blocklist_mention_id_mentions"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_blocklist")),
        sa.UniqueConstraint("brand_id", "kind", "value", name="uq_brand_blocklist_entry"),
    )
    op.create_table(
        "reprocess_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=True),
        sa.Column("rematch", sa.Boolean(), nullable=False),
        sa.Column("rescore", sa.Boolean(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("processed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("links_added", sa.Integer(), server_default="0", nullable=False),
        sa.Column("links_removed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rescored", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_mention_id", BigId, server_default="0", nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_reprocess_jobs_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_reprocess_jobs_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reprocess_jobs")),
    )
    op.create_index("ix_reprocess_jobs_status", "reprocess_jobs", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_reprocess_jobs_status", table_name="reprocess_jobs")
    op.drop_table("reprocess_jobs")
    op.drop_table("brand_blocklist")
    op.drop_index("ix_mention_curations_workspace", table_name="mention_curations")
    op.drop_table("mention_curations")
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): batch mode would copy and drop the mentions table, and on
    # SQLite, with foreign keys on, dropping it cascades into mention_brands and loses every brand link.
    op.execute("ALTER TABLE mentions DROP COLUMN sentiment_corrected_at")
    op.execute("ALTER TABLE mentions DROP COLUMN sentiment_manual")
