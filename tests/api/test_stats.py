"""Statistics over HTTP, on SQLite and PostgreSQL: a week of French and English mentions of SNCF and its rival
Trenitalia around the night Paris leaves summer time (Sunday 25 October 2026, a 25-hour day). Every count must be
what the mentions list returns for the same brand and range, and local days must be local days."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.db import writing
from app.db.migrate import downgrade, upgrade
from app.db.schema import mention_rollups, utcnow
from app.pipeline import ingest_drafts
from app.storage.incidents import create_incident
from app.storage.rollups import rebuild_rollups
from tests.factories import draft
from tests.storms import BACKGROUND, STORM, _push

PARIS, KOLKATA = ZoneInfo("Europe/Paris"), ZoneInfo("Asia/Kolkata")
WEEK = datetime(2026, 10, 21, 22, 0, tzinfo=UTC)  # Thursday 22 October, midnight in Paris
TEXTS = [
    *STORM,
    *BACKGROUND,
    "SNCF lost my luggage again, worst service ever, I want a refund",
    "SNCF train cancelled, stuck for three hours, absolutely terrible",
    "Lovely trip with SNCF today, the train was on time and the staff were great",
    "Trenitalia et la SNCF se disputent la ligne Paris-Milan",
    "Trenitalia: great new Frecciarossa service to Paris, loved it",
    "Trenitalia en retard ce soir, c'est inadmissible",
]
AUTHORS = ["@lea", "@karim", "@julie", "@tom", "@sarah"]
# Just either side of local midnights: Paris (summer, then winter time) and Kolkata (+05:30).
EDGES = [
    datetime(2026, 10, 24, 21, 59, 59, tzinfo=UTC),
    datetime(2026, 10, 24, 22, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 22, 59, tzinfo=UTC),
    datetime(2026, 10, 25, 23, 0, tzinfo=UTC),
    datetime(2026, 10, 24, 18, 29, 59, tzinfo=UTC),
    datetime(2026, 10, 24, 18, 30, tzinfo=UTC),
]


def _week() -> list[dict]:
    rng = random.Random("stats")
    times = [WEEK + timedelta(days=7) * rng.random() for _ in range(160)] + EDGES
    return [
        {
            "external_id": f"w{i}",
            "text": f"{rng.choice(TEXTS)} #w{i}",
            "author": rng.choice(AUTHORS),
            "author_reach": rng.choice([50, 800, 12_000]),
            "published_at": at.isoformat(),
        }
        for i, at in enumerate(times)
    ]


MENTIONS = _week()


def _sncf_times() -> list[datetime]:
    return [datetime.fromisoformat(m["published_at"]) for m in MENTIONS if "sncf" in m["text"].lower()]


@pytest.fixture
def world(client: TestClient, engine) -> dict:
    sncf = client.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"}).json()["id"]
    rival = client.post("/api/v1/brands", json={"name": "Trenitalia", "query": "trenitalia", "competitor": True})
    _push(client, MENTIONS[:100])
    _push(client, MENTIONS[50:])  # overlapping batches: half are duplicates, counted once
    return {"sncf": sncf, "rival": rival.json()["id"]}


def _iso(at: datetime | str) -> str:
    return at if isinstance(at, str) else at.isoformat()


def _listed(client: TestClient, **params) -> list[dict]:
    """Every mention the list returns for these filters, paging through the cursor."""
    items, cursor = [], None
    while True:
        page = client.get("/api/v1/mentions", params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def _volume(client: TestClient, brand: int, since: datetime, until: datetime, **params) -> dict:
    response = client.get(
        "/api/v1/stats/volume", params={"brand": brand, "since": _iso(since), "until": _iso(until), **params}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_day_buckets_count_what_the_mentions_list_returns(client: TestClient, world: dict) -> None:
    until = WEEK + timedelta(days=7, hours=1)  # Thursday 29 midnight in Paris (winter time)
    body = _volume(client, world["sncf"], WEEK, until, interval="day")
    assert body["timezone"] == "Europe/Paris" and body["read_from"] == ["daily_rollups"]
    listed = _listed(client, brand=world["sncf"], since=_iso(WEEK), until=_iso(until))
    assert sum(b["mentions"] for b in body["buckets"]) == body["total"]["mentions"] == len(listed) == len(_sncf_times())
    assert body["total"]["max_risk"] == max(m["risk"] for m in listed)
    assert body["total"]["avg_risk"] == round(sum(m["risk"] for m in listed) / len(listed), 1)
    for bucket in body["buckets"]:
        where = {"brand": world["sncf"], "since": bucket["start"], "until": bucket["end"]}
        assert bucket["mentions"] == len(_listed(client, **where))
        negative = _listed(client, **where, sentiment="negative")
        assert bucket["negative"] == len(negative) and bucket["complaints"] <= bucket["mentions"]
        assert bucket["negative_share"] == (round(len(negative) / bucket["mentions"], 4) if bucket["mentions"] else 0)


def test_ragged_ranges_read_rollups_and_mentions_and_still_agree(client: TestClient, world: dict) -> None:
    since, until = datetime(2026, 10, 23, 10, 7, 30, tzinfo=PARIS), datetime(2026, 10, 26, 18, 52, 10, tzinfo=UTC)
    hourly = _volume(client, world["sncf"], since, until, interval="hour")
    assert hourly["read_from"] == ["hourly_rollups", "rollups", "mentions"]
    assert hourly["buckets"][0]["start"] == "2026-10-23T10:00:00+02:00"
    listed = _listed(client, brand=world["sncf"], since=_iso(since), until=_iso(until))
    assert sum(b["mentions"] for b in hourly["buckets"]) == len(listed)
    day = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    minutes = _volume(client, world["sncf"], day, day + timedelta(days=1), interval="minute")
    assert minutes["read_from"] == ["mentions"] and len(minutes["buckets"]) == 24 * 60
    assert minutes["total"]["mentions"] == len(
        _listed(client, brand=world["sncf"], since=_iso(day), until=_iso(day + timedelta(days=1)))
    )


def test_the_day_paris_leaves_summer_time_has_25_hours(client: TestClient, world: dict) -> None:
    since, until = datetime(2026, 10, 24, tzinfo=PARIS), datetime(2026, 10, 27, tzinfo=PARIS)
    days = _volume(client, world["sncf"], since, until, interval="day", tz="Europe/Paris")["buckets"]
    assert [(b["start"], b["end"]) for b in days] == [
        ("2026-10-24T00:00:00+02:00", "2026-10-25T00:00:00+02:00"),
        ("2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"),
        ("2026-10-26T00:00:00+01:00", "2026-10-27T00:00:00+01:00"),
    ]
    expected = Counter(at.astimezone(PARIS).date().isoformat() for at in _sncf_times())
    assert [b["mentions"] for b in days] == [expected[b["start"][:10]] for b in days]
    hours = _volume(client, world["sncf"], days[1]["start"], days[1]["end"], interval="hour")["buckets"]
    assert len(hours) == 25
    assert {"2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"} <= {h["start"] for h in hours}


def test_kolkata_days_start_at_half_past_the_utc_hour(client: TestClient, world: dict) -> None:
    since, until = datetime(2026, 10, 23, tzinfo=KOLKATA), datetime(2026, 10, 27, tzinfo=KOLKATA)
    body = _volume(client, world["sncf"], since, until, interval="day", tz="Asia/Kolkata")
    # Kolkata days are not the workspace's (Paris) days, and +05:30 is not whole hours: hours, and quarters at the ends.
    assert body["read_from"] == ["hourly_rollups", "rollups"]
    assert body["buckets"][2]["start"] == "2026-10-25T00:00:00+05:30"
    expected = Counter(at.astimezone(KOLKATA).date().isoformat() for at in _sncf_times() if since <= at < until)
    assert {b["start"][:10]: b["mentions"] for b in body["buckets"]} == {d: expected[d] for d in sorted(expected)}


def test_share_of_voice_sums_to_one_and_flags_competitors(client: TestClient, world: dict) -> None:
    until = WEEK + timedelta(days=7, hours=1)
    response = client.get(
        "/api/v1/stats/share-of-voice", params={"since": _iso(WEEK), "until": _iso(until), "interval": "day"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    by_name = {b["name"]: b for b in body["brands"]}
    assert by_name["Trenitalia"]["competitor"] and not by_name["SNCF"]["competitor"]
    for name, brand_id in (("SNCF", world["sncf"]), ("Trenitalia", world["rival"])):
        assert by_name[name]["mentions"] == len(_listed(client, brand=brand_id, since=_iso(WEEK), until=_iso(until)))
    assert abs(sum(b["share"] for b in body["brands"]) - 1) < 1e-3
    assert len(body["buckets"]) == 7
    for bucket in body["buckets"]:
        assert sum(b["mentions"] for b in bucket["brands"]) == bucket["mentions"]
        assert abs(sum(b["share"] for b in bucket["brands"]) - 1) < 1e-3 or bucket["mentions"] == 0


def _top(client: TestClient, brand: int, by: str, **params) -> list[dict]:
    since, until = WEEK, WEEK + timedelta(days=8)
    query = {"brand": brand, "since": _iso(since), "until": _iso(until), "by": by, **params}
    response = client.get("/api/v1/stats/top", params=query)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_top_authors_sources_and_terms(client: TestClient, world: dict) -> None:
    listed = _listed(client, brand=world["sncf"], since=_iso(WEEK), until=_iso(WEEK + timedelta(days=8)))
    authors = _top(client, world["sncf"], "authors", limit=3)
    by_author = Counter(m["author"] for m in listed)
    assert [(a["author"], a["mentions"]) for a in authors] == sorted(by_author.items(), key=lambda x: (-x[1], x[0]))[:3]
    first = [m for m in listed if m["author"] == authors[0]["author"]]
    assert authors[0]["max_reach"] == max(m["author_reach"] for m in first)
    assert authors[0]["negative"] == sum(m["sentiment"]["label"] == "negative" for m in first)
    assert [(s["kind"], s["mentions"]) for s in _top(client, world["sncf"], "sources")] == [("api", len(listed))]
    terms = _top(client, world["sncf"], "terms", limit=50)
    crisis = Counter()
    for m in listed:
        signal = next((s for s in m["reasons"]["risk"]["signals"] if s["signal"] == "crisis_terms"), None)
        crisis.update({t.strip() for t in signal["detail"].split(",")} if signal else set())
    assert {t["term"]: t["mentions"] for t in terms if t["kind"] == "crisis"} == dict(crisis)
    assert "panne géante" in crisis
    assert [t for t in terms if t["kind"] == "brand"] == [{"term": "sncf", "kind": "brand", "mentions": len(listed)}]


def _incident(engine, brand_id: int, opened_at: datetime, n: int) -> int:
    values = {
        "workspace_id": 1,
        "brand_id": brand_id,
        "kind": "storm",
        "dedup_key": f"storm:{brand_id}:{n}",
        "status": "open",
        "severity": "critical",
        "score": 80,
        "peak_score": 80,
        "explanation": "Score 80",
        "summary": {},
        "window_start": opened_at,
        "window_end": opened_at,
        "opened_at": opened_at,
        "updated_at": opened_at,
    }
    with writing(engine) as conn:
        return create_incident(conn, values=values)


def test_response_times_after_acknowledging_and_resolving(client: TestClient, engine, world: dict) -> None:
    now = utcnow()
    hours = [_incident(engine, world["sncf"], now - timedelta(hours=h), h) for h in (2, 1)]
    late = _incident(engine, world["rival"], now - timedelta(minutes=30), 3)
    assert client.post(f"/api/v1/incidents/{hours[0]}/ack").status_code == 200
    for incident_id in hours:
        assert client.post(f"/api/v1/incidents/{incident_id}/resolve", json={"reason": "handled"}).status_code == 200
    params = {"since": _iso(now - timedelta(days=1)), "until": _iso(now + timedelta(minutes=1))}
    body = client.get("/api/v1/stats/response", params=params).json()
    items = {i["id"]: i for i in body["incidents"]}
    assert list(items) == [*hours, late]
    assert items[hours[0]]["time_to_acknowledge_s"] == pytest.approx(7200, abs=60)
    assert items[hours[1]]["time_to_acknowledge_s"] is None and items[late]["time_to_resolve_s"] is None
    assert items[hours[1]]["time_to_resolve_s"] == pytest.approx(3600, abs=60)
    assert body["time_to_resolve"]["count"] == 2
    assert body["time_to_resolve"]["median_s"] == pytest.approx(5400, abs=60)
    assert body["time_to_resolve"]["p90_s"] == pytest.approx(7200, abs=60)
    only_rival = client.get("/api/v1/stats/response", params={**params, "brand": world["rival"]}).json()
    assert [i["id"] for i in only_rival["incidents"]] == [late]


def _rollups(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(mention_rollups).order_by(*mention_rollups.primary_key))]


def _rebuilt(engine, brand_ids: list[int]) -> list[tuple]:
    with writing(engine) as conn:
        for brand_id in brand_ids:
            rebuild_rollups(conn, brand_id=brand_id)
    return _rollups(engine)


def test_rollups_kept_at_ingest_equal_a_recount(client: TestClient, engine, world: dict) -> None:
    feed = client.post("/api/v1/sources", json={"name": "feed", "kind": "rss", "url": "https://example.org/feed.xml"})
    with writing(engine) as conn:
        drafts = [draft(n, f"{TEXTS[n % len(TEXTS)]} (article {n})", published_at=EDGES[n % 6]) for n in range(30)]
        ingest_drafts(conn, workspace_id=1, source_id=feed.json()["id"], drafts=drafts, now=utcnow())
    incremental = _rollups(engine)
    assert incremental and incremental == _rebuilt(engine, [world["sncf"], world["rival"]])
    assert client.delete(f"/api/v1/sources/{feed.json()['id']}").status_code == 204
    after_delete = _rollups(engine)
    assert after_delete != incremental and after_delete == _rebuilt(engine, [world["sncf"], world["rival"]])
    until = WEEK + timedelta(days=8)
    listed = _listed(client, brand=world["sncf"], since=_iso(WEEK), until=_iso(until))
    assert _volume(client, world["sncf"], WEEK, until, interval="day")["total"]["mentions"] == len(listed)


def test_the_migration_fills_the_rollups_from_stored_mentions(database_url: str, engine, world: dict) -> None:
    before = _rollups(engine)
    engine.dispose()
    downgrade(database_url, "0006")
    upgrade(database_url)
    assert before and _rollups(engine) == before


def test_refused_ranges_zones_and_brands(client: TestClient, world: dict) -> None:
    def problem(path: str, **params) -> tuple[int, str]:
        response = client.get(f"/api/v1/stats/{path}", params=params)
        return response.status_code, response.json()["detail"]

    week = {"since": "2026-10-22T00:00:00+02:00", "until": "2026-10-29T00:00:00+01:00"}
    status, detail = problem("volume", brand=world["sncf"], interval="minute", **week)
    assert status == 422 and "minute buckets cover at most 2 days" in detail
    assert problem("volume", brand=world["sncf"], since="2026-10-22T00:00:00", until=week["until"])[0] == 422
    status, detail = problem("volume", brand=world["sncf"], tz="Europe/Lutece", **week)
    assert status == 422 and "Europe/Lutece" in detail
    assert problem("volume", brand=world["sncf"], since=week["until"], until=week["since"])[0] == 422
    assert problem("volume", brand=9999, **week)[0] == 404
    assert problem("top", brand=9999, **week)[0] == 404
    assert problem("share-of-voice", tz="Mars/Olympus", **week)[0] == 422
