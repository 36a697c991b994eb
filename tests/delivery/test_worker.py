"""The delivery worker against real receivers: Slack's pace and 429 Retry-After, 410 disables the channel,
other 4xx dead-letter at once, redelivery sends the same message id, and the attempt log keeps no secret."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.alerting import ChannelSpec, RouteSpec
from app.db import reading, writing
from app.deliver import DeliveryWorker
from app.route import route_incident
from app.storage import delivery as store
from app.storage.brands import create_brand, get_brand_by_name
from app.storage.incidents import create_incident, get_incident
from app.storage.workspaces import ensure_workspace
from tests.receivers import Receiver

NOW = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # a Sunday night


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _incident(engine, settings, channels: list[ChannelSpec], key: str = "storm") -> list[dict]:
    """A critical storm on brand Acme, routed at once (group_wait 0) to `channels`; returns its deliveries."""
    with writing(engine) as conn:
        ws = ensure_workspace(conn, name="default")
        brand = get_brand_by_name(conn, workspace_id=ws["id"], name="Acme") or create_brand(
            conn, workspace_id=ws["id"], values={"name": "Acme", "query": "acme", "languages": []}
        )
        for spec in channels:
            if store.get_channel_by_name(conn, workspace_id=ws["id"], name=spec.name) is None:
                store.create_channel(conn, workspace_id=ws["id"], values=spec.to_row())
        route = RouteSpec(name=f"r-{key}", channels=[c.name for c in channels], group_wait=0)
        store.create_route(conn, workspace_id=ws["id"], values=route.to_row())
        values = {
            "workspace_id": ws["id"], "brand_id": brand["id"], "kind": "storm", "dedup_key": f"brand:1:{key}",
            "status": "open", "severity": "critical", "score": 87, "peak_score": 87, "mention_count": 340,
            "peak_rate": 340.0, "explanation": "Acme — tempête (critique). Score 87.", "summary": {},
            "window_start": NOW - timedelta(minutes=30), "window_end": NOW, "opened_at": NOW, "updated_at": NOW,
        }  # fmt: skip
        incident_id = create_incident(conn, values=values)
        incident = get_incident(conn, workspace_id=ws["id"], incident_id=incident_id)
        assert route_incident(conn, workspace=ws, incident=incident, settings=settings, now=NOW) == len(channels)
        return store.list_deliveries(conn, workspace_id=ws["id"], filters=store.DeliveryFilter(), limit=50)


def _deliveries(engine) -> dict[int, dict]:
    with reading(engine) as conn:
        rows = store.list_deliveries(conn, workspace_id=1, filters=store.DeliveryFilter(), limit=50)
    return {r["id"]: r for r in rows}


def test_slack_gets_one_message_a_second_and_its_retry_after_is_honoured(engine, settings) -> None:
    answers = iter([(429, {"retry-after": "30"}), (200, {}), (200, {})])
    slack = Receiver(lambda n: next(answers))
    worker = DeliveryWorker(engine, settings, seed=1)
    try:
        spec = ChannelSpec(name="slack", kind="slack", url=slack.url("/services/T1/B1/secrettoken"))
        [first] = _incident(engine, settings, [spec], key="a")
        [second] = [d for d in _incident(engine, settings, [spec], key="b") if d["id"] != first["id"]]
        assert worker.tick(NOW) == 2  # both claimed: the first gets 429, the second waits for Slack's pace
        rows = _deliveries(engine)
        assert rows[first["id"]]["status"] == "pending" and rows[first["id"]]["last_status_code"] == 429
        assert rows[first["id"]]["due_at"] >= NOW + timedelta(seconds=30)  # Retry-After: 30
        assert rows[second["id"]]["attempts"] == 0 and rows[second["id"]]["due_at"] >= NOW + timedelta(seconds=1)
        assert len(slack.requests) == 1
        worker.tick(NOW + timedelta(seconds=31))
        worker.tick(NOW + timedelta(seconds=33))
        assert {r["status"] for r in _deliveries(engine).values()} == {"delivered"}
        assert len(slack.accepted()) == 2
        assert all("secrettoken" not in (r["last_error"] or "") for r in _deliveries(engine).values())
    finally:
        worker.close()
        slack.close()


def test_410_gone_disables_the_channel_and_dead_letters_what_was_waiting(engine, settings) -> None:
    gone = Receiver(lambda n: (410, {}))
    worker = DeliveryWorker(engine, settings, seed=1)
    try:
        spec = ChannelSpec(name="hook", kind="webhook", url=gone.url())
        _incident(engine, settings, [spec], key="a")
        _incident(engine, settings, [spec], key="b")
        worker.tick(NOW)
        with reading(engine) as conn:
            channel = store.get_channel_by_name(conn, workspace_id=1, name="hook")
        assert channel["enabled"] is False and "410" in channel["disabled_reason"]
        assert {r["status"] for r in _deliveries(engine).values()} == {"dead"}
        assert len(gone.requests) == 1  # the second was not even tried
    finally:
        worker.close()
        gone.close()


def test_a_4xx_fails_at_once_and_redelivery_sends_the_same_message_id(engine, settings) -> None:
    state = {"fixed": False}
    receiver = Receiver(lambda n: (200, {}) if state["fixed"] else (400, {}))
    worker = DeliveryWorker(engine, settings, seed=1)
    try:
        [delivery] = _incident(engine, settings, [ChannelSpec(name="hook", kind="webhook", url=receiver.url())])
        worker.tick(NOW)
        row = _deliveries(engine)[delivery["id"]]
        assert row["status"] == "dead" and row["attempts"] == 1 and row["last_status_code"] == 400
        with reading(engine) as conn:
            [attempt] = store.list_attempts(conn, delivery_id=delivery["id"])
        assert attempt["outcome"] == "failed" and attempt["status_code"] == 400 and attempt["latency_ms"] >= 0
        state["fixed"] = True  # the admin fixed the receiver
        with writing(engine) as conn:
            store.redeliver(conn, workspace_id=1, delivery_id=delivery["id"], now=NOW + timedelta(minutes=5))
        worker.tick(NOW + timedelta(minutes=5))
        assert _deliveries(engine)[delivery["id"]]["status"] == "delivered"
        ids = [r.headers["webhook-id"] for r in receiver.requests]
        assert ids == [delivery["message_id"]] * 2
    finally:
        worker.close()
        receiver.close()


def test_a_receiver_down_for_good_ends_in_the_dead_letters_after_the_last_attempt(engine, settings) -> None:
    down = Receiver(lambda n: (503, {}))
    few = settings.model_copy(update={"delivery_max_attempts": 3})
    worker = DeliveryWorker(engine, few, seed=1)
    try:
        [delivery] = _incident(engine, few, [ChannelSpec(name="hook", kind="webhook", url=down.url())])
        now = NOW
        for _ in range(10):
            worker.tick(now)
            now += timedelta(hours=1)
        row = _deliveries(engine)[delivery["id"]]
        assert row["status"] == "dead" and row["attempts"] == 3 and len(down.requests) == 3
    finally:
        worker.close()
        down.close()
