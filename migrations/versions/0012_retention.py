"""Retention: a per-workspace retention period and purge horizon, hourly and daily rollups (filled here from the
15-minute ones), tombstones of purged mentions, and an index to find a mention's incident links.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from app.db.schema import UTCDateTime
from app.storage.rollup_levels import COUNTS, group_quarters

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _counts() -> list[sa.Column]:
    return [
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("negative", sa.Integer(), nullable=False),
        sa.Column("neutral", sa.Integer(), nullable=False),
        sa.Column("positive", sa.Integer(), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.Column("risk_sum", sa.BigInteger(), nullable=False),
        sa.Column("risk_max", sa.SmallInteger(), nullable=False),
    ]


def _rollup_table(name: str, *extra: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("bucket_start", sa.DateTime(timezone=True), nullable=False),
        *extra,
        *_counts(),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f(f"fk_{name}_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f(f"fk_{name}_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("brand_id", "bucket_start", name=op.f(f"pk_{name}")),
    )
    op.create_index(f"ix_{name}_workspace", name, ["workspace_id", "bucket_start"])


def upgrade() -> None:
    op.add_column("workspaces", sa.Column("retention_days", sa.Integer(), nullable=True))
    op.add_column("workspaces", sa.Column("purged_before", sa.DateTime(timezone=True), nullable=True))
    _rollup_table("mention_rollups_hourly")
    _rollup_table(
        "mention_rollups_daily",
        sa.Column("bucket_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
    )
    op.create_table(
        "mention_tombstones",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_mention_tombstones_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_mention_tombstones_source_id_sources"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("workspace_id", "key", name=op.f("pk_mention_tombstones")),
    )
    op.create_index("ix_mention_tombstones_purged", "mention_tombstones", ["purged_at"])
    op.create_index("ix_mention_tombstones_source", "mention_tombstones", ["source_id"])
    op.create_index("ix_incident_mentions_mention", "incident_mentions", ["mention_id"])
    _fill_levels(op.get_bind())


def _fill_levels(conn: sa.Connection) -> None:
    """Hourly and daily rollups of every brand, summed from its 15-minute rows (days in its workspace's zone)."""
    from zoneinfo import ZoneInfo

    def columns() -> list[sa.ColumnClause]:
        keys = [sa.column("workspace_id"), sa.column("brand_id"), sa.column("bucket_start", UTCDateTime())]
        return keys + [sa.column(name) for name in COUNTS]

    quarters = sa.table("mention_rollups", *columns())
    hourly = sa.table("mention_rollups_hourly", *columns())
    extra = [sa.column("bucket_end", UTCDateTime()), sa.column("day", sa.Date())]
    daily = sa.table("mention_rollups_daily", *columns(), *extra)
    zones = dict(conn.execute(sa.text("SELECT id, timezone FROM workspaces")).all())
    for brand_id, workspace_id in conn.execute(sa.text("SELECT id, workspace_id FROM brands ORDER BY id")).all():
        stmt = sa.select(quarters.c.bucket_start.label("at"), *(quarters.c[n] for n in COUNTS))
        cells = [dict(r) for r in conn.execute(stmt.where(quarters.c.brand_id == brand_id)).mappings()]
        hours, days = group_quarters(cells, ZoneInfo(zones[workspace_id]))
        key = {"workspace_id": workspace_id, "brand_id": brand_id}
        if hours:
            conn.execute(sa.insert(hourly), [{**key, "bucket_start": at, **c} for at, c in sorted(hours.items())])
        if days:
            conn.execute(sa.insert(daily), [{**key, "bucket_start": at, **c} for at, c in sorted(days.items())])


def downgrade() -> None:
    op.drop_index("ix_incident_mentions_mention", table_name="incident_mentions")
    op.drop_index("ix_mention_tombstones_source", table_name="mention_tombstones")
    op.drop_index("ix_mention_tombstones_purged", table_name="mention_tombstones")
    op.drop_table("mention_tombstones")
    for name in ("mention_rollups_daily", "mention_rollups_hourly"):
        op.drop_index(f"ix_{name}_workspace", table_name=name)
        op.drop_table(name)
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL), as in 0009 and 0011.
    for name in ("purged_before", "retention_days"):
        op.execute(f"ALTER TABLE workspaces DROP COLUMN {name}")
