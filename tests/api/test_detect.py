"""Detection end to end on a real database: a French complaint storm pushed through the API opens exactly one
incident that explains itself; a benign launch spike opens nothing above info; calm resolves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.db import reading, writing
from app.detect import replay
from app.storage.brands import list_brands
from app.storage.incidents import IncidentFilter, list_events, list_incidents
from app.storage.workspaces import get_workspace
from tests.storms import BACKGROUND, STORM, STORM_AT, _mentions, _push


@pytest.fixture
def sncf(client: TestClient) -> TestClient:
    client.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"})
    history_start = STORM_AT - timedelta(days=14)
    _push(client, _mentions(BACKGROUND, history_start, 14 * 24 * 3, timedelta(days=14), "bg"))  # ~3 per hour
    return client


def _replay(engine, start: datetime, end: datetime) -> None:
    with writing(engine) as conn:
        workspace = get_workspace(conn, name="default")
        replay(conn, workspace=workspace, brands=list_brands(conn, workspace_id=workspace["id"]), start=start, end=end)


def _incidents(engine) -> list[dict]:
    with reading(engine) as conn:
        return list_incidents(conn, workspace_id=1, filters=IncidentFilter(), limit=100)


@pytest.mark.slow
def test_a_french_complaint_storm_opens_exactly_one_incident_that_explains_itself(sncf, engine) -> None:
    _push(sncf, _mentions(STORM, STORM_AT, 80, timedelta(minutes=40), "storm"))
    _replay(engine, STORM_AT - timedelta(hours=1), STORM_AT + timedelta(hours=1))
    storms = [i for i in _incidents(engine) if i["kind"] == "storm"]
    assert len(storms) == 1
    storm = storms[0]
    assert storm["severity"] in ("warning", "critical") and storm["status"] == "open"
    assert storm["opened_at"] - STORM_AT <= timedelta(minutes=30)
    assert "SNCF" in storm["explanation"] and "%" in storm["explanation"]
    detail = sncf.get(f"/api/v1/incidents/{storm['id']}").json()
    assert detail["mentions"] and all("storm" in m["external_id"] for m in detail["mentions"][:5])
    assert detail["timeline"][0]["type"] == "opened"
    # The storm passes: after a calm spell the incident resolves itself, and the timeline says so.
    _replay(engine, STORM_AT + timedelta(hours=1, minutes=5), STORM_AT + timedelta(hours=8))
    [after] = [i for i in _incidents(engine) if i["kind"] == "storm"]
    assert after["status"] == "resolved" and after["resolution"] == "auto"
    with reading(engine) as conn:
        assert list_events(conn, incident_id=after["id"])[-1]["type"] == "resolved"


@pytest.mark.slow
def test_a_benign_launch_spike_opens_nothing_above_info(sncf, engine) -> None:
    launch = [
        "La SNCF lance le TGV M, super nouvelle !",
        "Bravo la SNCF pour ce nouveau train",
        "Le TGV M SNCF est magnifique",
        "Vidéo de présentation du nouveau TGV SNCF",
    ]
    _push(sncf, _mentions(launch, STORM_AT, 120, timedelta(minutes=40), "launch"))
    _replay(engine, STORM_AT - timedelta(hours=1), STORM_AT + timedelta(hours=1))
    assert [i for i in _incidents(engine) if i["severity"] != "info"] == []


@pytest.mark.slow
def test_backtest_lists_the_storm_it_would_open_and_stores_nothing(sncf, engine, database_url, monkeypatch) -> None:
    from click.testing import CliRunner

    from app.cli import main

    _push(sncf, _mentions(STORM, STORM_AT, 80, timedelta(minutes=40), "storm"))
    monkeypatch.setenv("VIGIE_DATABASE_URL", database_url)
    since, until = (STORM_AT - timedelta(hours=1)).isoformat(), (STORM_AT + timedelta(hours=2)).isoformat()
    result = CliRunner().invoke(main, ["backtest", "--since", since, "--until", until], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    storm_lines = [line for line in result.output.splitlines() if " storm " in line]
    assert len(storm_lines) == 1 and "SNCF" in storm_lines[0]
    assert "incident(s) would have been opened" in result.output
    assert _incidents(engine) == []  # a backtest stores nothing


def _snapshot(engine) -> list[tuple]:
    """What a CM sees of the incidents: enough to tell two detections apart."""
    with reading(engine) as conn:
        rows = list_incidents(conn, workspace_id=1, filters=IncidentFilter(), limit=100)
        return sorted(
            (
                i["kind"],
                i["dedup_key"].split(":", 2)[2],
                i["status"],
                i["severity"],
                i["score"],
                i["peak_score"],
                i["mention_count"],
                i["opened_at"],
                i["window_start"],
                tuple(e["type"] for e in list_events(conn, incident_id=i["id"])),
            )
            for i in rows
        )


@pytest.mark.slow
def test_live_detection_and_vigie_import_open_the_same_incidents(sncf, engine, database_url, monkeypatch, tmp_path):
    """The same storm, once arriving live (pushed as it is published, detection ticking every 5 minutes), once
    imported afterwards with `vigie import`, gives the same incidents with the same timeline."""
    import json

    import sqlalchemy as sa
    from click.testing import CliRunner

    from app.cli import main
    from app.db.schema import incidents, mentions
    from app.detect import DetectWorker

    storm = sorted(_mentions(STORM, STORM_AT, 80, timedelta(minutes=40), "storm"), key=lambda m: m["published_at"])
    first, last = (datetime.fromisoformat(storm[i]["published_at"]) for i in (0, -1))
    worker, pending = DetectWorker(engine), list(storm)
    now = datetime.fromtimestamp(-(-first.timestamp() // 300) * 300, UTC)  # the next 5-minute tick
    while now <= last:
        arrived = [m for m in pending if datetime.fromisoformat(m["published_at"]) <= now]
        pending = pending[len(arrived) :]
        if arrived:
            _push(sncf, arrived)
        worker.tick(now)
        now += timedelta(minutes=5)
    live = _snapshot(engine)
    assert [i[0] for i in live].count("storm") == 1

    with writing(engine) as conn:  # forget the live run: its incidents and the storm's mentions
        conn.execute(sa.delete(incidents))
        conn.execute(sa.delete(mentions).where(mentions.c.external_id.like("storm-%")))
    path = tmp_path / "storm.jsonl"
    path.write_text("\n".join(json.dumps(m) for m in storm), encoding="utf-8")
    monkeypatch.setenv("VIGIE_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["import", str(path)], catch_exceptions=False)
    assert result.exit_code == 0 and "imported 80 new" in result.output, result.output
    assert _snapshot(engine) == live


@pytest.mark.slow
def test_the_incident_summary_shows_terms_sources_sentiment_and_top_mentions(sncf, engine) -> None:
    _push(sncf, _mentions(STORM, STORM_AT, 80, timedelta(minutes=40), "storm"))
    _replay(engine, STORM_AT - timedelta(hours=1), STORM_AT + timedelta(minutes=40))
    [storm] = [i for i in _incidents(engine) if i["kind"] == "storm"]
    summary = sncf.get(f"/api/v1/incidents/{storm['id']}").json()["summary"]
    split = summary["sentiment_split"]
    assert split["negative"] > split["neutral"] + split["positive"]
    assert summary["mentions"] == sum(split.values()) >= 40
    terms = [t["term"] for t in summary["top_terms"]]
    assert terms and any(t.startswith(("rembours", "honte", "scandal", "plainte", "bloqu")) for t in terms), terms
    assert summary["sources"][0]["name"] and summary["sources"][0]["mentions"] == summary["mentions"]
    reach = [m["author_reach"] for m in summary["top_by_reach"]]
    assert reach == sorted(reach, reverse=True) and reach[0] == 3_000
    risks = [m["risk"] for m in summary["top_by_risk"]]
    assert risks == sorted(risks, reverse=True) and risks[0] >= 50
    assert len(summary["score_history"]) >= 1 and summary["recorded"]["components"]


@pytest.mark.slow
def test_per_brand_detection_settings_change_what_pages(sncf, engine) -> None:
    """A brand whose CM only wants to hear of the worst storms raises its thresholds through the API."""
    brand_id = sncf.get("/api/v1/brands").json()[0]["id"]
    bad = sncf.patch(f"/api/v1/brands/{brand_id}", json={"detection": {"warning_scor": 80}})
    assert bad.status_code == 422 and "unknown detection settings: warning_scor" in bad.text
    bad = sncf.patch(f"/api/v1/brands/{brand_id}", json={"detection": {"warning_score": "high"}})
    assert bad.status_code == 422 and "warning_score must be a whole number" in bad.text
    strict = {"open_score": 92, "warning_score": 95, "critical_score": 99}
    ok = sncf.patch(f"/api/v1/brands/{brand_id}", json={"detection": strict})
    assert ok.status_code == 200 and ok.json()["detection"] == strict
    _push(sncf, _mentions(STORM, STORM_AT, 80, timedelta(minutes=40), "storm"))
    _replay(engine, STORM_AT - timedelta(hours=1), STORM_AT + timedelta(hours=1))
    assert [i for i in _incidents(engine) if i["severity"] != "info"] == []
    # Back to the defaults, the same storm pages.
    assert sncf.patch(f"/api/v1/brands/{brand_id}", json={"detection": {}}).status_code == 200
    _replay(engine, STORM_AT - timedelta(hours=1), STORM_AT + timedelta(hours=1))
    assert [i["kind"] for i in _incidents(engine) if i["severity"] != "info"] == ["storm"]


@pytest.mark.slow
def test_a_crisis_mention_opens_its_incident_at_the_next_quick_tick_not_the_next_grid(sncf, engine) -> None:
    """Between the 5-minute evaluations, the alert role looks only at brands with new mentions: a big account's
    crisis post pages within seconds; those quick looks never count calm (it resolves on the grid only)."""
    from app.detect import DetectWorker

    worker = DetectWorker(engine)
    worker.tick(STORM_AT)  # a grid evaluation: every brand
    post = {
        "external_id": "bigaccount-1",
        "text": "SNCF : déraillement, des blessés graves, enquête ouverte. Scandale, la sécurité a été négligée.",
        "author": "grand_media",
        "author_reach": 800_000,
        "published_at": (STORM_AT + timedelta(minutes=1)).isoformat(),
    }
    _push(sncf, [post])
    # A quick tick 4 minutes before the grid, with our clock 1 s behind the source's: the post counts now.
    assert worker.tick(STORM_AT + timedelta(seconds=59)) == 1
    [incident] = [i for i in _incidents(engine) if i["kind"] == "high_risk_mention"]
    assert incident["severity"] in ("warning", "critical") and incident["status"] == "open"
    for second in range(2, 60, 2):  # quick ticks with nothing new change nothing
        assert worker.tick(STORM_AT + timedelta(minutes=2, seconds=second)) == 0
    assert _incidents(engine)[0]["calm_streak"] == 0
