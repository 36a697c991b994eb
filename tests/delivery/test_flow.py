"""Detect → route → deliver on a real database with real receivers on 127.0.0.1: a French complaint storm
pages the on-call CM once per route with a valid signature; acknowledging and resolving are told; a
receiver down for ten minutes gets every message afterwards, in order; nothing is lost."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from app.alerting import ChannelSpec, RouteSpec
from app.db import reading, writing
from app.db.schema import utcnow
from app.deliver import DeliveryWorker
from app.detect import DetectWorker
from app.route import RouteWorker
from app.storage import delivery as store
from app.storage.incidents import IncidentFilter, list_incidents
from app.storage.workspaces import get_workspace
from tests.receivers import Receiver
from tests.storms import BACKGROUND, STORM, STORM_AT, _mentions, _push

pytestmark = pytest.mark.slow


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _setup(engine, channels: list[ChannelSpec], routes: list[RouteSpec]) -> dict[str, str]:
    """Channels and routes as a config file would make them; returns webhook name -> signing secret."""
    secrets = {}
    with writing(engine) as conn:
        ws = get_workspace(conn, name="default")
        for spec in channels:
            row = store.create_channel(conn, workspace_id=ws["id"], values=spec.to_row())
            if spec.kind == "webhook":
                secrets[spec.name] = row["secrets"]["signing"][0]["secret"]
        for route in routes:
            store.create_route(conn, workspace_id=ws["id"], values=route.to_row())
    return secrets


class Clock:
    """The alert role's three jobs driven at simulated times: detect every 5 minutes, route and deliver every
    minute (signatures still carry the real time, which receivers check)."""

    def __init__(self, engine, settings):
        self.detect = DetectWorker(engine, settings)
        self.route = RouteWorker(engine, settings)
        self.deliver = DeliveryWorker(engine, settings, seed=1)

    def run(self, start: datetime, end: datetime, on_minute=None) -> None:
        now = start
        while now <= end:
            if on_minute:
                on_minute(now)
            if now.minute % 5 == 0:
                self.detect.tick(now)
            self.route.tick(now)
            while self.deliver.tick(now):
                pass
            now += timedelta(minutes=1)

    def close(self) -> None:
        self.deliver.close()


@pytest.fixture
def sncf(client: TestClient) -> TestClient:
    client.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"})
    _push(client, _mentions(BACKGROUND, STORM_AT - timedelta(days=14), 14 * 24 * 3, timedelta(days=14), "bg"))
    return client


def test_a_french_storm_pages_each_route_once_with_a_valid_signature(sncf, engine, settings, receiver) -> None:
    slack = Receiver()
    secrets = _setup(
        engine,
        [
            ChannelSpec(name="oncall-hook", kind="webhook", url=receiver.url("/vigie")),
            ChannelSpec(name="cm-slack", kind="slack", url=slack.url("/services/T000/B000/XXXX")),
        ],
        [RouteSpec(name="on-call", channels=["oncall-hook", "cm-slack"], group_wait="2m", repeat_interval=0)],
    )
    _push(sncf, _mentions(STORM, STORM_AT, 500, timedelta(minutes=40), "storm"))  # 500 mentions, one storm
    clock = Clock(engine, settings)
    try:
        clock.run(STORM_AT - timedelta(minutes=10), STORM_AT + timedelta(minutes=50))
        events = [r.json()["type"] for r in receiver.accepted()]
        assert events.count("incident.opened") == 1, events
        assert set(events) <= {"incident.opened", "incident.updated", "incident.escalated"}
        assert len(slack.accepted()) == len(events)  # the same notifications, Slack side
        for request in receiver.accepted():
            Webhook(secrets["oncall-hook"]).verify(request.body, request.headers)
        first = receiver.accepted()[0].json()["data"]
        assert first["incident"]["brand"] == "SNCF" and first["notification"]["language"] == "fr"
        assert "%" in first["incident"]["explanation"] and first["incident"]["ack_url"]
        blocks = slack.accepted()[0].json()["blocks"]
        assert blocks[0]["type"] == "header" and "SNCF" in blocks[0]["text"]["text"]

        # The CM acknowledges from the phone link: the acknowledgement is told, then nothing pages any more.
        with reading(engine) as conn:
            [storm] = list_incidents(conn, workspace_id=1, filters=IncidentFilter(kind="storm"), limit=5)
        assert sncf.post(f"/api/v1/incidents/{storm['id']}/ack").status_code == 200
        clock.deliver.tick(utcnow())  # the API acts at the real time: the acknowledgement is due now
        assert receiver.accepted()[-1].json()["type"] == "incident.acknowledged"
        assert slack.accepted()[-1].json()["blocks"]
        # Calm comes back: the storm resolves itself, and the resolution is told once.
        clock.run(STORM_AT + timedelta(minutes=56), STORM_AT + timedelta(hours=8))
        after = [r.json()["type"] for r in receiver.accepted()]
        assert after.count("incident.resolved") == 1 and after[-1] == "incident.resolved"
        assert after.count("incident.opened") == 1
    finally:
        clock.close()
        slack.close()


def test_a_receiver_down_for_ten_minutes_gets_every_message_afterwards_in_order(sncf, engine, settings) -> None:
    down = {"until": STORM_AT + timedelta(minutes=200)}  # set once we know when the first page goes out
    state = {"now": STORM_AT}
    flaky = Receiver(lambda n: (503, {}) if state["now"] < down["until"] else (200, {}))
    try:
        _setup(
            engine,
            [ChannelSpec(name="hook", kind="webhook", url=flaky.url())],
            [RouteSpec(name="all", channels=["hook"], group_wait=0, group_interval="5m", repeat_interval="15m")],
        )
        _push(sncf, _mentions(STORM, STORM_AT, 120, timedelta(minutes=40), "storm"))
        clock = Clock(engine, settings)

        def tick(now: datetime) -> None:
            state["now"] = now
            if down["until"] == STORM_AT + timedelta(minutes=200) and flaky.requests:
                down["until"] = now + timedelta(minutes=10)  # down for ten minutes from the first attempt

        try:
            clock.run(STORM_AT - timedelta(minutes=10), STORM_AT + timedelta(hours=3), on_minute=tick)
        finally:
            clock.close()
        with reading(engine) as conn:
            rows = store.list_deliveries(conn, workspace_id=1, filters=store.DeliveryFilter(), limit=100)
        assert rows and all(r["status"] == "delivered" for r in rows), [(r["id"], r["status"]) for r in rows]
        assert any(r["attempts"] > 1 for r in rows)  # some were retried while the receiver was down
        got = [r.headers["webhook-id"] for r in flaky.accepted()]
        assert got == [r["message_id"] for r in sorted(rows, key=lambda r: r["id"])]  # all, once, in order
        assert len(flaky.requests) > len(got)  # the failed attempts happened
    finally:
        flaky.close()


def test_the_acknowledge_link_works_once_from_a_phone_and_a_preview_does_not_acknowledge(
    sncf, engine, settings, receiver
) -> None:
    _setup(
        engine,
        [ChannelSpec(name="hook", kind="webhook", url=receiver.url())],
        [RouteSpec(name="all", channels=["hook"], group_wait=0)],
    )
    _push(sncf, _mentions(STORM, STORM_AT, 120, timedelta(minutes=40), "storm"))
    # The storm is replayed days ago: links made then must still be valid now (they last 24 h by default).
    clock = Clock(engine, settings.model_copy(update={"ack_link_hours": 24 * 60}))
    try:
        clock.run(STORM_AT, STORM_AT + timedelta(minutes=40))
    finally:
        clock.close()
    link = receiver.accepted()[0].json()["data"]["incident"]["ack_url"]
    path = link.removeprefix(settings.public_url)
    preview = sncf.get(path)  # what Slack's unfurler or a mail scanner does
    assert preview.status_code == 200 and "<form" in preview.text and "SNCF" in preview.text
    with reading(engine) as conn:
        [storm] = list_incidents(conn, workspace_id=1, filters=IncidentFilter(kind="storm"), limit=5)
    assert storm["status"] == "open"  # a GET acknowledges nothing
    done = sncf.post(path)
    assert done.status_code == 200 and "pris en charge" in done.text
    assert f'href="/incidents/{storm["id"]}"' in done.text  # lands on the incident's web page
    assert receiver.accepted()[0].json()["data"]["incident"]["url"].endswith(f"/incidents/{storm['id']}")
    assert sncf.get(f"/api/v1/incidents/{storm['id']}").json()["status"] == "acknowledged"
    assert sncf.get(f"/api/v1/incidents/{storm['id']}").json()["timeline"][-1]["actor"] == "ack-link"
    again = sncf.post(path)
    assert "déjà" in again.text  # already acknowledged
    forged = sncf.post(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert forged.status_code == 400 and "signature" in forged.text
    assert sncf.get("/ack/not-a-token").status_code == 400


def test_vigie_import_of_a_live_storm_queues_one_page_per_route_and_dry_run_none(
    sncf, engine, settings, receiver, database_url, monkeypatch, tmp_path
) -> None:
    import json

    from click.testing import CliRunner

    from app.cli import main

    _setup(
        engine,
        [ChannelSpec(name="hook", kind="webhook", url=receiver.url())],
        [RouteSpec(name="all", channels=["hook"])],
    )
    path = tmp_path / "storm.jsonl"
    storm = _mentions(STORM, STORM_AT, 120, timedelta(minutes=40), "storm")
    path.write_text("\n".join(json.dumps(m) for m in storm), encoding="utf-8")
    monkeypatch.setenv("VIGIE_DATABASE_URL", database_url)
    dry = CliRunner().invoke(main, ["import", "--dry-run", str(path)], catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    with reading(engine) as conn:
        assert store.list_deliveries(conn, workspace_id=1, filters=store.DeliveryFilter(), limit=10) == []
    real = CliRunner().invoke(main, ["import", str(path)], catch_exceptions=False)
    assert real.exit_code == 0, real.output
    with reading(engine) as conn:
        rows = store.list_deliveries(conn, workspace_id=1, filters=store.DeliveryFilter(), limit=10)
    assert [(r["event"], r["status"]) for r in rows] == [("incident.opened", "pending")]
