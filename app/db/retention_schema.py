"""The tables of retention (migration 0012): hourly and daily rollups, kept after the mentions are purged, and the
tombstones of purged mentions. Part of the same metadata as app.db.schema (app.db imports this module, so that
every user of the schema sees them); kept apart because app.db.schema is at its size budget."""

from __future__ import annotations

import sqlalchemy as sa

from app.db.schema import UTCDateTime, incident_mentions, metadata


def _counts() -> list[sa.Column]:
    return [
        sa.Column("mentions", sa.Integer, nullable=False),
        sa.Column("negative", sa.Integer, nullable=False),
        sa.Column("neutral", sa.Integer, nullable=False),
        sa.Column("positive", sa.Integer, nullable=False),
        sa.Column("complaints", sa.Integer, nullable=False),
        sa.Column("risk_sum", sa.BigInteger, nullable=False),
        sa.Column("risk_max", sa.SmallInteger, nullable=False),
    ]


def _keys() -> list[sa.Column]:
    return [
        sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("brand_id", sa.Integer, sa.ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("bucket_start", UTCDateTime(), primary_key=True),
    ]


# The counts of `mention_rollups` per UTC hour, and per local day of the workspace's time zone (bucket_start and
# bucket_end are the UTC instants of its local midnights: a DST day is 23 or 25 hours). Both are kept at ingest with the
# 15-minute rows and derived again from them (never purged) after a recount or a change of time zone
# (app.storage.rollup_levels). Statistics over months read them; they outlive the mentions.
mention_rollups_hourly = sa.Table("mention_rollups_hourly", metadata, *_keys(), *_counts())
sa.Index(
    "ix_mention_rollups_hourly_workspace", mention_rollups_hourly.c.workspace_id, mention_rollups_hourly.c.bucket_start
)

mention_rollups_daily = sa.Table(
    "mention_rollups_daily",
    metadata,
    *_keys(),
    sa.Column("bucket_end", UTCDateTime(), nullable=False),
    sa.Column("day", sa.Date, nullable=False),  # the local date, for people and BI tools reading the table
    *_counts(),
)
sa.Index(
    "ix_mention_rollups_daily_workspace", mention_rollups_daily.c.workspace_id, mention_rollups_daily.c.bucket_start
)

# What is left of a purged mention: a 128-bit digest of each of its dedup keys (its source's external id, its canonical
# URL, its content hash), so that a feed still listing it does not bring it back. Kept VIGIE_TOMBSTONE_DAYS.
mention_tombstones = sa.Table(
    "mention_tombstones",
    metadata,
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String(32), primary_key=True),  # hex digest of kind, scope and value (app.storage.tombstones)
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=True),
    sa.Column("purged_at", UTCDateTime(), nullable=False),
)
sa.Index("ix_mention_tombstones_purged", mention_tombstones.c.purged_at)
sa.Index("ix_mention_tombstones_source", mention_tombstones.c.source_id)

# The purge deletes mentions by the thousand: their incident links are found by mention (the key starts with the
# incident), not by a scan of every incident's list per mention.
sa.Index("ix_incident_mentions_mention", incident_mentions.c.mention_id)
