"""The delivery log over HTTP: newest first with filters and a cursor, each delivery's attempts, and manual
redelivery of a dead message with the same message id; the channel's secrets never appear."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from app.db import writing
from app.db.schema import utcnow
from app.storage import delivery as store
from tests.api.test_routes_silences import open_incident

TOKEN = "T0KEN9zq7XsecretPath"


@pytest.fixture
def world(client: TestClient, engine) -> dict:
    brand = client.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"}).json()
    hook = client.post(
        "/api/v1/channels", json={"name": "ops", "kind": "webhook", "url": f"https://hooks.example/{TOKEN}"}
    ).json()
    slack = client.post("/api/v1/channels", json={"name": "slack", "kind": "slack", "url": "https://hooks.example/s"})
    return {
        "incident": open_incident(engine, brand_id=brand["id"]),
        "hook": hook,
        "slack": slack.json()["id"],
    }


def _add(engine, *, incident_id: int, channel_id: int, n: int) -> int:
    values = {
        "workspace_id": 1,
        "incident_id": incident_id,
        "channel_id": channel_id,
        "message_id": f"msg_test_{n}",
        "event": "incident.opened",
        "reason": "first",
        "due_at": utcnow(),
        "payload": {"ack_url": "https://vigie.example/ack/SECRET-CAPABILITY"},
    }
    with writing(engine) as conn:
        return store.add_delivery(conn, values=values)


def _fail(engine, delivery_id: int, *, status: str, code: int, error: str) -> None:
    """One attempt by a worker, as the delivery worker records it."""
    now = utcnow()
    with writing(engine) as conn:
        claimed = store.claim_due_deliveries(
            conn, owner="w1", limit=50, lease_seconds=60, now=now + timedelta(seconds=1)
        )
        assert delivery_id in [d["id"] for d in claimed]
        attempt = store.AttemptRecord(now, "failed" if status == "dead" else "delivered", code, 12.5, error)
        values = {"status": status, "attempts": 1, "last_status_code": code, "last_error": error}
        if status == "delivered":
            values["delivered_at"] = now
        assert store.finish_attempt(conn, delivery_id=delivery_id, owner="w1", attempt=attempt, values=values)


def test_the_log_lists_newest_first_with_filters_and_a_cursor(client: TestClient, engine, world: dict) -> None:
    ids = [
        _add(engine, incident_id=world["incident"], channel_id=world["hook"]["id"] if n % 2 else world["slack"], n=n)
        for n in range(5)
    ]
    first = client.get("/api/v1/deliveries?limit=2").json()
    assert [d["id"] for d in first["items"]] == ids[::-1][:2] and first["next_cursor"]
    second = client.get(f"/api/v1/deliveries?limit=2&cursor={first['next_cursor']}").json()
    third = client.get(f"/api/v1/deliveries?limit=2&cursor={second['next_cursor']}").json()
    assert [d["id"] for d in second["items"] + third["items"]] == ids[::-1][2:] and third["next_cursor"] is None
    hook = client.get(f"/api/v1/deliveries?channel={world['hook']['id']}").json()["items"]
    assert [d["id"] for d in hook] == [ids[3], ids[1]] and {d["channel"] for d in hook} == {"ops"}
    assert client.get("/api/v1/deliveries?status=dead").json()["items"] == []
    assert len(client.get(f"/api/v1/deliveries?incident={world['incident']}").json()["items"]) == 5
    assert client.get("/api/v1/deliveries?cursor=nope").status_code == 400
    assert client.get("/api/v1/deliveries?status=lost").status_code == 422
    assert client.get("/api/v1/deliveries?limit=100000").status_code == 422


def test_a_dead_delivery_shows_its_attempts_and_can_be_sent_again(client: TestClient, engine, world: dict) -> None:
    delivery_id = _add(engine, incident_id=world["incident"], channel_id=world["hook"]["id"], n=1)
    early = client.post(f"/api/v1/deliveries/{delivery_id}/redeliver")
    assert early.status_code == 409 and "still pending" in early.json()["detail"]
    _fail(engine, delivery_id, status="dead", code=400, error="HTTP 400 from https://hooks.example/…: bad event")
    dead = client.get(f"/api/v1/deliveries/{delivery_id}")
    body = dead.json()
    assert body["status"] == "dead" and body["attempts"] == 1 and body["last_status_code"] == 400
    assert body["message_id"] == "msg_test_1" and body["event"] == "incident.opened" and body["reason"] == "first"
    assert [(a["outcome"], a["status_code"], a["latency_ms"]) for a in body["attempt_log"]] == [("failed", 400, 12.5)]
    again = client.post(f"/api/v1/deliveries/{delivery_id}/redeliver")
    assert again.status_code == 202, again.text
    assert again.json()["status"] == "pending" and again.json()["message_id"] == "msg_test_1"
    assert client.post(f"/api/v1/deliveries/{delivery_id}/redeliver").status_code == 409
    with writing(engine) as conn:
        claimed = store.claim_due_deliveries(conn, owner="w2", limit=5, lease_seconds=60, now=utcnow())
    assert [d["id"] for d in claimed] == [delivery_id]  # back in the outbox, due now
    for text in (dead.text, again.text, client.get("/api/v1/deliveries").text):
        assert TOKEN not in text and world["hook"]["signing_secret"] not in text and "SECRET-CAPABILITY" not in text


def test_a_delivery_to_a_disabled_channel_is_not_sent_again(client: TestClient, engine, world: dict) -> None:
    delivery_id = _add(engine, incident_id=world["incident"], channel_id=world["slack"], n=1)
    _fail(engine, delivery_id, status="delivered", code=200, error=None)
    assert client.get(f"/api/v1/deliveries/{delivery_id}").json()["delivered_at"] is not None
    client.patch(f"/api/v1/channels/{world['slack']}", json={"enabled": False})
    refused = client.post(f"/api/v1/deliveries/{delivery_id}/redeliver")
    assert refused.status_code == 409 and "disabled" in refused.json()["detail"]
    assert client.get("/api/v1/deliveries/999").status_code == 404
    assert client.post("/api/v1/deliveries/999/redeliver").status_code == 404
