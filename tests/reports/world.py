"""A fortnight of a French rail brand and its competitor, pushed through the API as a user would (scored by the
real pipeline, counted into the rollups at ingest), with incidents acknowledged after known delays. The report of
the week of Monday 16 November 2026 (Paris) compares it with the week before."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.db import writing
from app.db.schema import incidents, mention_brands, mentions
from app.storage.incidents import create_incident
from tests.storms import BACKGROUND, STORM, _push

PARIS = ZoneInfo("Europe/Paris")
WEEK_START = datetime(2026, 11, 16, tzinfo=PARIS).astimezone(UTC)  # Monday 00:00 in Paris = Sunday 23:00 UTC
WEEK_END = WEEK_START + timedelta(days=7)
PREVIOUS_START = WEEK_START - timedelta(days=7)
EVIL_TITLE = '<script>alert("report")</script> Remboursez-nous'
COMPETITOR_TEXTS = [
    "Trenitalia: great new Frecciarossa service to Paris, loved it",
    "Trenitalia en retard ce soir, c'est inadmissible",
    "Voyage Milan-Paris avec Trenitalia, correct.",
]
# Delays to acknowledge and resolve (minutes) of the incidents opened each week; None: never.
THIS_WEEK = [(10, 120, "critical"), (50, None, "warning"), (None, None, "info")]
LAST_WEEK = [(45, 90, "warning")]


def _batch(texts: list[str], start: datetime, count: int, prefix: str, **extra: Any) -> list[dict[str, Any]]:
    rng = random.Random(prefix)
    return [
        {
            "external_id": f"{prefix}-{i}",
            "text": f"{rng.choice(texts)} #{prefix}{i}",
            "author": f"@user{rng.randrange(50)}",
            "author_reach": rng.choice([50, 800, 12_000]),
            "published_at": (start + timedelta(days=7) * rng.random()).isoformat(),
            **extra,
        }
        for i in range(count)
    ]


def seed_fortnight(client: TestClient, engine: sa.Engine) -> dict[str, Any]:
    """Brands, mentions and incidents of the two weeks; ids of the brands."""
    sncf = client.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"}).json()
    rival = client.post("/api/v1/brands", json={"name": "Trenitalia", "query": "trenitalia", "competitor": True}).json()
    _push(client, _batch(BACKGROUND, PREVIOUS_START, 40, "prev"))
    _push(client, _batch(COMPETITOR_TEXTS, PREVIOUS_START, 20, "prev-rival"))
    _push(client, _batch(BACKGROUND, WEEK_START, 50, "week"))
    _push(client, _storm())
    _push(client, _batch(COMPETITOR_TEXTS, WEEK_START, 15, "rival"))
    # Just inside and just outside the week, in local time.
    _push(
        client,
        [
            {"external_id": "edge-in", "text": "SNCF, premier train du lundi", "published_at": WEEK_START.isoformat()},
            {
                "external_id": "edge-out",
                "text": "SNCF, dernier train du dimanche",
                "published_at": (WEEK_END).isoformat(),
            },
            {
                "external_id": "evil",
                "title": EVIL_TITLE,
                "text": "SNCF scandaleux, train supprimé, remboursez-nous, inadmissible",
                "published_at": (WEEK_START + timedelta(days=3, hours=9)).isoformat(),
            },
        ],
    )
    with writing(engine) as conn:
        workspace_id = conn.execute(sa.select(mentions.c.workspace_id).limit(1)).scalar_one()
        for n, (ack, resolve, severity) in enumerate(THIS_WEEK):
            _incident(conn, workspace_id, sncf["id"], WEEK_START + timedelta(days=2, hours=n), ack, resolve, severity)
        for ack, resolve, severity in LAST_WEEK:
            _incident(conn, workspace_id, sncf["id"], PREVIOUS_START + timedelta(days=4), ack, resolve, severity)
    return {"workspace_id": workspace_id, "sncf": sncf["id"], "rival": rival["id"]}


def _storm() -> list[dict[str, Any]]:
    """Tuesday evening: 30 angry mentions within three hours."""
    rng = random.Random("storm")
    at = WEEK_START + timedelta(days=1, hours=19)
    return [
        {
            "external_id": f"storm-{i}",
            "text": f"{rng.choice(STORM)} #storm{i}",
            "author": f"@angry{i}",
            "published_at": (at + timedelta(hours=3) * rng.random()).isoformat(),
        }
        for i in range(30)
    ]


def _incident(
    conn: sa.Connection, workspace_id: int, brand_id: int, opened: datetime, ack: int | None, resolve: int | None,
    severity: str,
) -> None:  # fmt: skip
    status = "resolved" if resolve is not None else "acknowledged" if ack is not None else "open"
    values = {
        "workspace_id": workspace_id,
        "brand_id": brand_id,
        "kind": "storm",
        "dedup_key": f"storm:{brand_id}:{opened.isoformat()}",
        "status": status,
        "severity": severity,
        "score": 70,
        "peak_score": 80,
        "mention_count": 12,
        "explanation": "Score 80 — 30 mentions/h contre 2 attendues",
        "summary": {},
        "window_start": opened,
        "window_end": opened,
        "opened_at": opened,
        "updated_at": opened,
        "acknowledged_at": opened + timedelta(minutes=ack) if ack is not None else None,
        "resolved_at": opened + timedelta(minutes=resolve) if resolve is not None else None,
        "resolution": "handled" if resolve is not None else None,
    }
    assert create_incident(conn, values=values) is not None


def brand_mentions(conn: sa.Connection, brand_id: int, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """The brand's stored mentions in [since, until), straight from the table: the tests' oracle."""
    stmt = (
        sa.select(mentions.c.published_at, mentions.c.sentiment_label, mentions.c.risk)
        .join(mention_brands, mention_brands.c.mention_id == mentions.c.id)
        .where(mention_brands.c.brand_id == brand_id, mentions.c.published_at >= since, mentions.c.published_at < until)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def incident_count(conn: sa.Connection) -> int:
    """How many incidents the world holds."""
    return conn.execute(sa.select(sa.func.count()).select_from(incidents)).scalar_one()
