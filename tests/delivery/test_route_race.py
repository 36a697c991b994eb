"""Route timers on several alert workers: every worker wakes the same due timers at the same time, and the
incident still pages each channel once (found by tests/test_topology.py: three workers sent one storm's
first page three times, under three webhook-ids)."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from app.alerting import ChannelSpec, RouteSpec
from app.db import make_engine, reading, writing
from app.db.schema import deliveries, utcnow
from app.route import RouteWorker, route_incident
from app.settings import Settings
from app.specs import BrandSpec
from app.storage import delivery as store
from app.storage.brands import create_brand
from app.storage.incidents import add_event, create_incident, get_incident
from app.storage.workspaces import ensure_workspace

WORKERS = 3


def _storm_waiting_for_its_first_page(engine: sa.Engine, settings: Settings, n: int) -> list[int]:
    """`n` storms opened a minute ago on a route with a 30 s group wait: each one's first page is due now."""
    opened = utcnow() - timedelta(minutes=1)
    ids = []
    with writing(engine) as conn:
        ws = ensure_workspace(conn, name="default")
        brand = create_brand(conn, workspace_id=ws["id"], values=BrandSpec(name="Acme", query="acme").to_row())
        hook = ChannelSpec(name="astreinte", kind="webhook", url="https://hooks.example.com/vigie")
        store.create_channel(conn, workspace_id=ws["id"], values=hook.to_row())
        route = RouteSpec(name="nuit", channels=["astreinte"], group_wait="30s", repeat_interval=0)
        store.create_route(conn, workspace_id=ws["id"], values=route.to_row())
        for i in range(n):
            values = {
                "workspace_id": ws["id"],
                "brand_id": brand["id"],
                "kind": "storm",
                "dedup_key": f"brand:{brand['id']}:storm:{i}",
                "status": "open",
                "severity": "critical",
                "score": 88,
                "peak_score": 88,
                "mention_count": 40,
                "explanation": "40 mentions négatives en 15 min",
                "summary": {},
                "window_start": opened,
                "window_end": opened,
                "opened_at": opened,
                "updated_at": opened,
            }
            incident_id = create_incident(conn, values=values)
            event = {"type": "opened", "at": opened, "severity": "critical", "score": 88, "actor": "vigie"}
            add_event(conn, incident_id=incident_id, **event)
            incident = get_incident(conn, workspace_id=ws["id"], incident_id=incident_id)
            assert route_incident(conn, workspace=ws, incident=incident, settings=settings, now=opened) == 0
            ids.append(incident_id)
    return ids


def test_workers_waking_the_same_route_timer_at_once_page_each_channel_once(database_url, engine, settings) -> None:
    incident_ids = _storm_waiting_for_its_first_page(engine, settings, 5)
    workers = [RouteWorker(make_engine(database_url), settings) for _ in range(WORKERS)]
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def tick(worker: RouteWorker) -> None:
        start.wait()
        try:
            worker.tick()
        except BaseException as exc:  # noqa: BLE001 (reported by the test below)
            errors.append(exc)

    threads = [threading.Thread(target=tick, args=(w,)) for w in workers]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        for worker in workers:
            worker.tick()  # whatever a skipped worker left due is planned now, and only once
    finally:
        for worker in workers:
            worker.engine.dispose()
    assert not errors, errors
    with reading(engine) as conn:
        pages = conn.execute(sa.select(deliveries.c.incident_id, deliveries.c.event, deliveries.c.reason)).all()
    assert sorted(pages) == sorted((i, "incident.opened", "first") for i in incident_ids)
