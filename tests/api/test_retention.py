"""Retention over HTTP, on SQLite and PostgreSQL: four months of Orange and Free mentions pushed through the API, a
workspace that keeps 40 days, and a purge on 1 October 2026. Statistics of the purged months must not move by one
mention, an incident must keep its explanation, a purged mention pushed again must stay out, and a retention too short
for detection must be refused with the reason."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.db import reading, writing
from app.db.schema import mentions
from app.purge import purge_workspace
from app.storage.incidents import create_incident, link_mentions
from app.storage.retention import retention_workspaces
from tests.storms import _push

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
HORIZON = datetime(2026, 8, 21, 22, 0, tzinfo=UTC)  # 40 days before NOW, at the start of the local day (Paris)
START = datetime(2026, 6, 1, tzinfo=PARIS)
TEXTS = [
    "Panne Livebox depuis ce matin, service client injoignable, inadmissible",
    "Orange fibre enfin installée, super débit, merci Orange",
    "La Freebox Pop est plus rapide que la Livebox ?",
    "Free mobile augmente ses prix, je pars chez Sosh",
    "Orange annonce de nouveaux forfaits pour la rentrée",
    "My Orange fibre connection dropped again, terrible support, I want a refund",
    "Freebox en panne, coupure générale à Lyon, scandale",
]


def _mentions(count: int = 420) -> list[dict]:
    rng = random.Random("retention")
    span = (NOW - START.astimezone(UTC)).total_seconds()
    return [
        {
            "external_id": f"r{i}",
            "url": f"https://news.example.fr/{i}?utm_source=rss",
            "text": f"{rng.choice(TEXTS)} #r{i}",
            "author": f"@user{rng.randrange(40)}",
            "published_at": (START.astimezone(UTC) + timedelta(seconds=rng.random() * span)).isoformat(),
        }
        for i in range(count)
    ]


MENTIONS = _mentions()


@pytest.fixture
def world(client: TestClient) -> dict:
    orange = client.post("/api/v1/brands", json={"name": "Orange", "query": "orange OR livebox OR sosh"}).json()["id"]
    free = client.post("/api/v1/brands", json={"name": "Free", "query": 'freebox OR "free mobile"', "competitor": True})
    _push(client, MENTIONS)
    assert client.patch("/api/v1/workspace", json={"retention_days": 40}).status_code == 200
    return {"orange": orange, "free": free.json()["id"]}


def _purge(engine, settings, now: datetime = NOW) -> dict:
    with reading(engine) as conn:
        [workspace] = retention_workspaces(conn, name="default")
    report = purge_workspace(engine, workspace=workspace, settings=settings, now=now)
    return {"horizon": report.horizon, **report.counts}


def _get(client: TestClient, path: str, **params) -> dict:
    response = client.get(
        f"/api/v1/stats/{path}", params={k: v.isoformat() if isinstance(v, datetime) else v for k, v in params.items()}
    )
    assert response.status_code == 200, response.text
    return response.json()


def _figures(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in ("read_from", "purged_before")}


QUERIES = [
    ("volume", "orange", {"since": START, "until": datetime(2026, 10, 1, tzinfo=PARIS), "interval": "day"}),
    (
        "volume",
        "orange",
        {"since": datetime(2026, 8, 1, tzinfo=PARIS), "until": datetime(2026, 9, 5, tzinfo=PARIS), "interval": "hour"},
    ),
    (
        "volume",
        "free",
        {
            "since": datetime(2026, 7, 10, 6, tzinfo=UTC),
            "until": datetime(2026, 8, 2, 17, tzinfo=UTC),
            "interval": "hour",
        },
    ),
    ("share-of-voice", None, {"since": START, "until": datetime(2026, 10, 1, tzinfo=PARIS), "interval": "day"}),
    (
        "share-of-voice",
        None,
        {"since": datetime(2026, 7, 1, tzinfo=PARIS), "until": datetime(2026, 9, 1, tzinfo=PARIS), "interval": "hour"},
    ),
    ("share-of-voice", None, {"since": START, "until": datetime(2026, 9, 14, 15, tzinfo=UTC)}),
]


def test_statistics_of_purged_months_do_not_move(client: TestClient, engine, settings, world: dict) -> None:
    def answers() -> list[dict]:
        return [
            _get(client, path, **({"brand": world[brand]} if brand else {}), **params)
            for path, brand, params in QUERIES
        ]

    before = answers()
    assert before[0]["total"]["mentions"] > 300 and before[0]["total"]["negative"] > 0
    purged = _purge(engine, settings)
    assert purged["horizon"] == HORIZON and purged["mentions"] > 200
    after = answers()
    assert [_figures(b) for b in after] == [_figures(b) for b in before]
    assert after[0]["read_from"] == ["daily_rollups"] and after[0]["purged_before"] == "2026-08-21T22:00:00Z"
    assert after[1]["read_from"] == ["hourly_rollups"]
    assert after[5]["read_from"] == ["daily_rollups", "hourly_rollups"]
    listed = client.get("/api/v1/mentions", params={"until": HORIZON.isoformat(), "limit": 5}).json()["items"]
    assert listed == []  # the mentions are gone; their counts are not


def test_ragged_ends_before_the_horizon_are_rounded_and_after_it_exact(
    client: TestClient, engine, settings, world: dict
) -> None:
    inside = {
        "brand": world["orange"],
        "since": datetime(2026, 8, 30, 9, 7, tzinfo=UTC),
        "until": datetime(2026, 9, 20, 16, 52, tzinfo=UTC),
    }
    across = {
        "brand": world["orange"],
        "since": datetime(2026, 8, 10, tzinfo=PARIS),
        "until": datetime(2026, 9, 20, 16, 52, tzinfo=UTC),
    }
    ragged = {
        "brand": world["orange"],
        "since": datetime(2026, 7, 10, 9, 7, tzinfo=UTC),
        "until": datetime(2026, 7, 20, tzinfo=PARIS),
    }
    before = [_get(client, "volume", **q, interval="day") for q in (inside, across, ragged)]
    _purge(engine, settings)
    after = [_get(client, "volume", **q, interval="day") for q in (inside, across, ragged)]
    assert after[0] == {**before[0], "purged_before": after[0]["purged_before"]}  # all after the horizon: untouched
    assert _figures(after[1]) == _figures(before[1]) and "mentions" in after[1]["read_from"]
    assert "rounded_to_15_minutes" in after[2]["read_from"] and "mentions" not in after[2]["read_from"]
    # The quarter holding 09:07 is counted whole: never fewer mentions than before the purge.
    assert after[2]["total"]["mentions"] >= before[2]["total"]["mentions"]
    minutes = client.get(
        "/api/v1/stats/volume",
        params={
            "brand": world["orange"],
            "since": "2026-07-10T00:00:00Z",
            "until": "2026-07-11T00:00:00Z",
            "interval": "minute",
        },
    )
    assert minutes.status_code == 422 and "purged" in minutes.json()["detail"]


def test_an_incident_keeps_its_explanation_after_its_mentions_are_purged(
    client: TestClient, engine, settings, world: dict
) -> None:
    with reading(engine) as conn:
        rows = conn.execute(sa.select(mentions.c.id, mentions.c.published_at).order_by(mentions.c.published_at)).all()
    old = [r.id for r in rows if datetime(2026, 8, 18, tzinfo=UTC) <= r.published_at < HORIZON][:5]
    new = [r.id for r in rows if r.published_at >= HORIZON][:3]
    summary = {"components": {"volume": 20, "negative": 30}, "sentiment_split": {"negative": 6, "neutral": 2}}
    values = {
        "workspace_id": 1, "brand_id": world["orange"], "kind": "storm", "dedup_key": f"storm:{world['orange']}",
        "status": "resolved", "severity": "warning", "score": 52, "peak_score": 52, "mention_count": 8,
        "explanation": "Score 52 — 8 mentions/h contre 1 attendue ; 75 % négatives", "summary": summary,
        "window_start": HORIZON - timedelta(days=2), "window_end": HORIZON + timedelta(days=1),
        "opened_at": HORIZON - timedelta(days=2), "updated_at": HORIZON + timedelta(days=1),
    }  # fmt: skip
    with writing(engine) as conn:
        incident_id = create_incident(conn, values=values)
        link_mentions(conn, incident_id=incident_id, mention_ids=old + new)
    before = client.get(f"/api/v1/incidents/{incident_id}").json()
    assert len(before["mentions"]) == 8
    purged = _purge(engine, settings)
    assert purged["incident_links"] == 5 and purged["incidents"] == 1
    after = client.get(f"/api/v1/incidents/{incident_id}").json()
    assert after["explanation"] == before["explanation"] and after["summary"] == before["summary"]
    assert after["mention_count"] == 8 and [m["id"] for m in after["mentions"]] == new


def test_a_purged_mention_pushed_again_is_not_imported(client: TestClient, engine, settings, world: dict) -> None:
    _purge(engine, settings)
    gone = next(m for m in MENTIONS if datetime.fromisoformat(m["published_at"]) < HORIZON)
    recently = (NOW - timedelta(hours=1)).isoformat()
    again = {
        "the same external id, with a new date": {**gone, "published_at": recently},
        "the same URL": {**gone, "external_id": "crm-77", "published_at": recently},
        "the same text": {**gone, "external_id": "crm-78", "url": None, "published_at": recently},
        "a date before the horizon": {
            "external_id": "crm-79",
            "text": "Orange: une mention ancienne, jamais vue",
            "published_at": "2026-07-01T10:00:00Z",
        },
    }
    for what, mention in again.items():
        response = client.post("/api/v1/mentions", json={"mentions": [mention]})
        assert response.status_code == 202, response.text
        assert (response.json()["new"], response.json()["duplicate"]) == (0, 1), what
    fresh = {"external_id": "crm-80", "text": "Orange: une toute nouvelle mention", "published_at": recently}
    assert client.post("/api/v1/mentions", json={"mentions": [fresh]}).json()["new"] == 1


def test_a_retention_too_short_for_detection_is_refused_with_the_reason(client: TestClient) -> None:
    short = client.patch("/api/v1/workspace", json={"retention_days": 20})
    assert short.status_code == 422
    detail = short.json()["detail"]
    assert "retention_days: 20 days is too short: keep mentions at least 35 days" in detail
    assert "baseline from the raw mentions of its last 28 days" in detail
    client.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf", "detection": {"history_days": 56}})
    assert "at least 63 days" in client.patch("/api/v1/workspace", json={"retention_days": 40}).json()["detail"]
    ws = client.patch("/api/v1/workspace", json={"retention_days": 90}).json()
    assert ws["retention_days"] == 90 and ws["effective_retention_days"] == 90 and ws["purged_before"] is None
    forever = client.patch("/api/v1/workspace", json={"retention_days": 0}).json()
    assert forever["retention_days"] == 0 and forever["effective_retention_days"] is None
    default = client.patch("/api/v1/workspace", json={"retention_days": None}).json()
    assert default["retention_days"] is None and default["effective_retention_days"] == 365
    assert client.patch("/api/v1/workspace", json={"language": "en"}).json()["retention_days"] is None


def test_a_retention_beyond_a_century_is_refused(client: TestClient) -> None:
    assert client.patch("/api/v1/workspace", json={"retention_days": 10**12}).status_code == 422
    assert client.get("/api/v1/workspace").json()["retention_days"] is None
