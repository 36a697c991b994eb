"""The daily digest: once a day at the workspace's local hour, to its digest channels, signed, never twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook

from app.alerting import ChannelSpec
from app.db import reading, writing
from app.deliver import DeliveryWorker
from app.digest import enqueue_digests
from app.storage import delivery as store
from app.storage.workspaces import get_workspace, update_workspace
from tests.receivers import Receiver
from tests.storms import STORM, _mentions, _push

DAY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Paris, Monday


def test_the_digest_goes_out_once_at_the_local_hour_with_volume_and_incidents(client, engine, settings) -> None:
    receiver = Receiver()
    worker = DeliveryWorker(engine, settings, seed=1)
    try:
        client.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"})
        _push(client, _mentions(STORM, DAY - timedelta(hours=10), 30, timedelta(hours=2), "night"))
        with writing(engine) as conn:
            ws = get_workspace(conn, name="default")
            row = store.create_channel(
                conn,
                workspace_id=ws["id"],
                values=ChannelSpec(name="morning", kind="webhook", url=receiver.url()).to_row(),
            )
            alerting = {"digest_hour": 8, "digest_channels": ["morning"]}
            update_workspace(conn, workspace_id=ws["id"], values={"alerting": alerting})
        secret = row["secrets"]["signing"][0]["secret"]
        with writing(engine) as conn:
            assert enqueue_digests(conn, settings=settings, now=DAY - timedelta(minutes=1)) == 0  # 07:59 in Paris
            assert enqueue_digests(conn, settings=settings, now=DAY + timedelta(minutes=1)) == 1
            assert enqueue_digests(conn, settings=settings, now=DAY + timedelta(hours=3)) == 0  # once a day
        worker.tick(DAY + timedelta(minutes=1))
        [request] = receiver.accepted()
        payload = Webhook(secret).verify(request.body, request.headers)
        assert payload["type"] == "vigie.digest"
        text = request.body.decode()
        assert "SNCF" in text and "30" in text
        with reading(engine) as conn:
            [delivery] = store.list_deliveries(conn, workspace_id=1, filters=store.DeliveryFilter(), limit=5)
        assert delivery["status"] == "delivered" and delivery["incident_id"] is None
    finally:
        worker.close()
        receiver.close()
