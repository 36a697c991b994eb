"""A source that keeps failing backs off and shows as failing in the API, with its last error; it never crashes
the worker, and it is healthy again after one good run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.collect import CollectWorker
from app.db import writing
from app.db.schema import sources
from tests.collectors.fakes.hackernews import HackerNewsFake
from tests.fakeapi import FakeApi, Reply


def _run(engine, settings) -> None:
    with writing(engine) as conn:
        conn.execute(sa.update(sources).values(due_at=datetime.now(UTC) - timedelta(seconds=1)))
    worker = CollectWorker(engine, settings)
    try:
        worker.run_once()
    finally:
        worker.close()


def test_a_failing_source_backs_off_and_reports_its_health(client, engine, settings) -> None:
    fake = HackerNewsFake()
    fake.add_story("Acme is down")
    client.post("/api/v1/brands", json={"name": "Acme", "query": "acme"})
    with FakeApi(fake) as api:
        created = client.post(
            "/api/v1/sources",
            json={"name": "HN", "kind": "hackernews", "params": {"query": "acme", "api_url": api.base}, "interval": 60},
        ).json()
        assert created["health"] == "pending"
        api.fail_next(3, Reply.html_error(403, title="Forbidden"))
        delays = []
        for expected in ("degraded", "degraded", "failing"):
            before = datetime.now(UTC)
            _run(engine, settings)
            source = client.get(f"/api/v1/sources/{created['id']}").json()
            assert source["health"] == expected
            assert source["last_error"] == f"HTTP 403 from {api.base.removeprefix('http://')}"
            assert source["recent_runs"][0]["status"] == "error" and source["recent_runs"][0]["http_status"] == 403
            delays.append((datetime.fromisoformat(source["due_at"]) - before).total_seconds())
        assert delays[0] >= 120 and delays[1] >= 240 and delays[2] >= 480  # 60 s doubled per failure in a row
        _run(engine, settings)
        healed = client.get(f"/api/v1/sources/{created['id']}").json()
    assert healed["health"] == "ok" and healed["consecutive_errors"] == 0
    assert [m["title"] for m in client.get("/api/v1/mentions").json()["items"]] == ["Acme is down"]
