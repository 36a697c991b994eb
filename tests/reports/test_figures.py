"""A week of SNCF and its competitor, read back by the report: every figure is what the stored mentions and
incidents say (counted here straight from the tables), for the week and the week before, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from app.db import reading, writing
from app.reports import build_report, create_report
from tests.reports.world import PARIS, PREVIOUS_START, WEEK_END, WEEK_START, brand_mentions

NOW = WEEK_END + timedelta(hours=8)  # Monday 23 November, 08:00 in Paris
DAYS = [f"2026-11-{d}" for d in range(16, 23)]


def _expected(rows: list[dict], rival: list[dict], days: list[str] | None = None) -> dict:
    labels = Counter(r["sentiment_label"] for r in rows)
    n = len(rows)
    out = {
        "mentions": n,
        "negative": labels["negative"],
        "neutral": labels["neutral"],
        "positive": labels["positive"],
        "negative_share": round(labels["negative"] / n, 4),
        "avg_risk": round(sum(r["risk"] or 0 for r in rows) / n, 1),
        "share_of_voice": round(n / (n + len(rival)), 4),
    }
    if days:
        per_day = Counter(r["published_at"].astimezone(PARIS).date().isoformat() for r in rows)
        out["daily"] = [per_day[d] for d in days]
    return out


def test_the_week_s_figures_are_the_stored_mentions_and_incidents_against_the_week_before(world, engine) -> None:
    with writing(engine) as conn:
        row = create_report(conn, workspace_id=world["workspace_id"], now=NOW)  # default: the last full week
    data = row["data"]
    assert data["period"] == {"start": "2026-11-16T00:00:00+01:00", "end": "2026-11-23T00:00:00+01:00", "days": DAYS}
    assert data["previous_period"]["start"] == "2026-11-09T00:00:00+01:00"
    assert row["trigger"] == "demand" and row["language"] == "fr" and row["email_due_at"] is None

    with reading(engine) as conn:
        week = brand_mentions(conn, world["sncf"], WEEK_START, WEEK_END)
        before = brand_mentions(conn, world["sncf"], PREVIOUS_START, WEEK_START)
        rival_week = brand_mentions(conn, world["rival"], WEEK_START, WEEK_END)
        rival_before = brand_mentions(conn, world["rival"], PREVIOUS_START, WEEK_START)
    # 50 ordinary mentions, a storm of 30, the one at Monday 00:00 and the <script> one; not Monday 00:00 after.
    assert (len(week), len(before), len(rival_week), len(rival_before)) == (82, 40, 15, 20)
    now, then = _expected(week, rival_week, DAYS), _expected(before, rival_before)

    sncf, rival = data["brands"]
    assert (sncf["name"], sncf["competitor"], rival["name"], rival["competitor"]) == ("SNCF", False, "Trenitalia", True)
    assert sncf["daily"] == now.pop("daily") and sum(sncf["daily"]) == 82
    assert sncf["daily"][1] >= 30  # the Tuesday storm
    for name, value in now.items():
        figure = sncf[name]
        assert (figure["value"], figure["previous"]) == (value, then[name]), name
        assert figure["change"] == round(value - then[name], 4)
    assert sncf["mentions"]["change_pct"] == 105.0  # 82 against 40
    assert sncf["share_of_voice"]["value"] + rival["share_of_voice"]["value"] == 1.0
    assert rival["mentions"]["value"] == 15 and rival["mentions"]["change_pct"] == -25.0
    assert data["totals"]["mentions"] == sncf["mentions"]  # competitors are not the workspace's own volume
    assert data["totals"]["negative_share"] == sncf["negative_share"]

    terms = sncf["top_terms"]
    assert terms and [t["mentions"] for t in terms] == sorted((t["mentions"] for t in terms), reverse=True)
    risks = [m["risk"] for m in sncf["top_mentions"]]
    assert 0 < len(risks) <= 5 and risks == sorted(risks, reverse=True)
    assert rival["top_mentions"] == []  # competitors' mentions are not listed

    incidents = data["incidents"]
    assert incidents["count"] == {"value": 3, "previous": 1, "change": 2, "change_pct": 200.0}
    assert incidents["by_severity"] == {"critical": 1, "warning": 1, "info": 1}
    # Acknowledged after 10 and 50 minutes (the third never): median 30 min, against 45 the week before.
    assert incidents["median_ack_s"] == {"value": 1800.0, "previous": 2700.0, "change": -900.0, "change_pct": -33.3}
    assert incidents["median_resolve_s"]["value"] == 7200.0 and incidents["median_resolve_s"]["previous"] == 5400.0
    assert incidents["unacknowledged"] == 1
    assert [i["ack_s"] for i in incidents["items"]] == [600.0, 3000.0, None]
    assert incidents["items"][0]["brand"] == "SNCF" and incidents["items"][0]["severity"] == "critical"


def test_a_period_of_a_few_days_is_compared_with_as_many_days_before(world, engine) -> None:
    since, until = WEEK_START + timedelta(days=1), WEEK_START + timedelta(days=3)  # Tuesday and Wednesday
    with reading(engine) as conn:
        data, html = build_report(conn, workspace_id=world["workspace_id"], now=NOW, since=since, until=until)
        tuesday_wednesday = brand_mentions(conn, world["sncf"], since, until)
        sunday_monday = brand_mentions(conn, world["sncf"], since - timedelta(days=2), since)
    assert data["period"]["days"] == ["2026-11-17", "2026-11-18"]
    assert data["previous_period"]["start"] == "2026-11-15T00:00:00+01:00"
    sncf = data["brands"][0]
    assert sncf["mentions"]["value"] == len(tuesday_wednesday) and sncf["mentions"]["previous"] == len(sunday_monday)
    assert len(sncf["daily"]) == len(sncf["daily_previous"]) == 2
    assert "Rapport" in html and "Rapport hebdomadaire" not in html  # not a week: not called weekly


def test_a_workspace_without_brands_nor_incidents_still_gets_a_report(engine, client) -> None:
    client.get("/api/v1/brands")  # the default workspace exists (the admin key's)
    with writing(engine) as conn:
        row = create_report(conn, workspace_id=1, now=NOW)
    assert row["data"]["brands"] == [] and row["data"]["incidents"]["count"]["value"] == 0
    assert row["data"]["totals"]["mentions"] == {"value": 0, "previous": 0, "change": 0, "change_pct": None}
    assert "Aucune marque suivie" in row["html"] and "Aucun incident ouvert" in row["html"]
