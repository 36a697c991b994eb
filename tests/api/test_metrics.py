"""/metrics: Prometheus text a scraper can parse, with the deployment's figures read from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.alerting import ChannelSpec
from app.db import writing
from app.storage import delivery as store
from app.storage.incidents import create_incident
from tests.storms import STORM, _mentions, _push


def _samples(text: str) -> dict[tuple, float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_count_ingestion_scoring_incidents_and_deliveries_without_a_key(client: TestClient, engine) -> None:
    client.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"})
    _push(client, _mentions(STORM, datetime(2026, 11, 17, 19, tzinfo=UTC), 12, timedelta(hours=1), "m"))
    now = datetime.now(UTC)
    with writing(engine) as conn:
        values = {
            "workspace_id": 1, "brand_id": 1, "kind": "storm", "dedup_key": "brand:1:storm", "status": "open",
            "severity": "critical", "score": 80, "peak_score": 80, "explanation": "x", "summary": {},
            "window_start": now, "window_end": now, "opened_at": now, "updated_at": now,
        }  # fmt: skip
        incident_id = create_incident(conn, values=values)
        hook = ChannelSpec(name="hook", kind="webhook", url="https://hooks.example.com/v").to_row()
        channel = store.create_channel(conn, workspace_id=1, values=hook)
        store.add_delivery(
            conn,
            values={
                "workspace_id": 1, "incident_id": incident_id, "channel_id": channel["id"], "message_id": "msg_1",
                "event": "incident.opened", "reason": "first", "due_at": now, "payload": {},
            },
        )  # fmt: skip
    response = TestClient(client.app).get("/metrics")  # no API key: a scraper has none
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    ingested = [v for (name, labels), v in samples.items() if name == "vigie_mentions_ingested_total"]
    assert sum(ingested) == 12
    assert samples[("vigie_open_incidents", (("kind", "storm"), ("severity", "critical"), ("status", "open"),
                                             ("workspace", "default")))] == 1  # fmt: skip
    assert samples[("vigie_deliveries", (("kind", "webhook"), ("status", "pending")))] == 1
    assert samples[("vigie_scoring_seconds_count", ())] >= 1
    assert "hooks.example.com" not in response.text  # no channel URL, ever
