"""The score reasons and matched terms of a brand's latest mentions: what the brand view counts its top terms from,
read from a bounded number of mentions so that a busy brand's 30 days stay a fast page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db.schema import mention_brands, mentions


def latest_mention_terms(
    conn: sa.Connection, *, workspace_id: int, brand_id: int, since: datetime, until: datetime, limit: int
) -> list[dict[str, Any]]:
    """`scores` and `matched_terms` of the brand's newest `limit` mentions published in [since, until)."""
    stmt = (
        sa.select(mentions.c.scores, mention_brands.c.matched_terms)
        .join(mention_brands, mention_brands.c.mention_id == mentions.c.id)
        .where(
            mentions.c.workspace_id == workspace_id,
            mention_brands.c.brand_id == brand_id,
            mentions.c.published_at >= since,
            mentions.c.published_at < until,
        )
        .order_by(mentions.c.published_at.desc(), mentions.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]
