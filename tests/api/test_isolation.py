"""Two agencies share one Vigie: the key of workspace B never reads nor changes anything of workspace A. Every
resource of A, asked for by its id with B's admin key, is a 404 (not a 403, which would confirm that it
exists), whatever the method; B's lists and filters never show A's items; and A's data is intact afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.db import reading, writing
from app.db.schema import deliveries, utcnow
from app.storage import delivery as delivery_store
from app.storage.workspaces import get_workspace
from tests.api.conftest import bearer, make_key
from tests.factories import store_incident


@pytest.fixture
def clients(settings, engine) -> Iterator[tuple[TestClient, TestClient]]:
    """Clients of workspaces A and B, each with an admin key of its own workspace."""
    app = create_app(settings, engine)
    key_a, key_b = make_key(engine, workspace="A"), make_key(engine, workspace="B")
    with (
        TestClient(app, raise_server_exceptions=False, headers=bearer(key_a)) as a,
        TestClient(app, raise_server_exceptions=False, headers=bearer(key_b)) as b,
    ):
        yield a, b


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code in (201, 202), response.text
    return response.json()


def _storm(engine, workspace_id: int, brand_id: int) -> int:
    """A live storm incident of workspace A, as detection writes it."""
    at = utcnow() - timedelta(minutes=1)
    explanation = "Score 87 — 340 mentions/h contre 25 attendues"
    return store_incident(engine, workspace_id=workspace_id, brand_id=brand_id, at=at, explanation=explanation)


def _delivery(engine, workspace_id: int, incident_id: int, channel_id: int) -> int:
    """A delivered page of workspace A in the outbox (so that redelivery would be allowed)."""
    values = {
        "workspace_id": workspace_id,
        "incident_id": incident_id,
        "channel_id": channel_id,
        "message_id": "msg_isolation_1",
        "event": "incident.opened",
        "reason": "first",
        "due_at": utcnow(),
        "payload": {},
    }
    with writing(engine) as conn:
        delivery_id = delivery_store.add_delivery(conn, values=values)
        conn.execute(
            deliveries.update().where(deliveries.c.id == delivery_id).values(status="delivered", delivered_at=utcnow())
        )
    return delivery_id


def _world_of_a(a: TestClient, engine) -> dict[str, int]:
    """One of every resource in workspace A."""
    with reading(engine) as conn:
        workspace_id = get_workspace(conn, name="A")["id"]
    brand = _created(a.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"}))
    source = _created(
        a.post("/api/v1/sources", json={"name": "Flux SNCF", "kind": "rss", "url": "https://news.example/sncf.xml"})
    )
    pushed = _created(
        a.post("/api/v1/mentions", json={"mentions": [{"text": "Train supprimé, remboursez-nous @SNCF"}]})
    )
    channel = _created(
        a.post("/api/v1/channels", json={"name": "ops", "kind": "webhook", "url": "https://hooks.example/a"})
    )
    route = _created(a.post("/api/v1/routes", json={"name": "nuit", "channels": ["ops"]}))
    silence = _created(
        a.post("/api/v1/silences", json={"brand": "SNCF", "duration": "2h", "comment": "grève annoncée"})
    )
    incident = _storm(engine, workspace_id, brand["id"])
    [own_key] = a.get("/api/v1/apikeys").json()
    block = _created(a.post(f"/api/v1/brands/{brand['id']}/blocklist", json={"kind": "author", "value": "troll"}))
    job = _created(a.post("/api/v1/reprocess", json={"rescore": True}))
    report = _created(a.post("/api/v1/reports", json={}))
    return {
        "brand": brand["id"],
        "source": source["id"],
        "mention": pushed["mention_ids"][0],
        "incident": incident,
        "channel": channel["id"],
        "route": route["id"],
        "silence": silence["id"],
        "delivery": _delivery(engine, workspace_id, incident, channel["id"]),
        "apikey": own_key["id"],
        "block": block["entry"]["id"],
        "job": job["id"],
        "report": report["id"],
    }


def _by_id(ids: dict[str, int]) -> list[tuple[str, str, dict | None]]:
    """Every request that names one of A's resources by its id: reads, changes, deletions and actions."""
    b, s, i, c, r = ids["brand"], ids["source"], ids["incident"], ids["channel"], ids["route"]
    return [
        ("GET", f"/api/v1/brands/{b}", None),
        ("PATCH", f"/api/v1/brands/{b}", {"query": "sncf OR ouigo"}),
        ("DELETE", f"/api/v1/brands/{b}", None),
        ("GET", f"/api/v1/sources/{s}", None),
        ("PATCH", f"/api/v1/sources/{s}", {"enabled": False}),
        ("POST", f"/api/v1/sources/{s}/refresh", None),
        ("DELETE", f"/api/v1/sources/{s}", None),
        ("GET", f"/api/v1/mentions/{ids['mention']}", None),
        ("PATCH", f"/api/v1/mentions/{ids['mention']}", {"sentiment": "positive"}),
        ("POST", f"/api/v1/mentions/{ids['mention']}/mark", {"mark": "spam"}),
        ("GET", f"/api/v1/brands/{b}/blocklist", None),
        ("POST", f"/api/v1/brands/{b}/blocklist", {"kind": "term", "value": "promo"}),
        ("DELETE", f"/api/v1/brands/{b}/blocklist/{ids['block']}", None),
        ("GET", f"/api/v1/reprocess/{ids['job']}", None),
        ("POST", f"/api/v1/reprocess/{ids['job']}/cancel", None),
        ("GET", f"/api/v1/incidents/{i}", None),
        ("POST", f"/api/v1/incidents/{i}/ack", None),
        ("POST", f"/api/v1/incidents/{i}/resolve", {"reason": "handled"}),
        ("POST", f"/api/v1/incidents/{i}/snooze", {"minutes": 30}),
        ("GET", f"/api/v1/channels/{c}", None),
        ("PATCH", f"/api/v1/channels/{c}", {"enabled": False}),
        ("POST", f"/api/v1/channels/{c}/test", None),
        ("POST", f"/api/v1/channels/{c}/rotate-secret", None),
        ("DELETE", f"/api/v1/channels/{c}", None),
        ("GET", f"/api/v1/routes/{r}", None),
        ("PATCH", f"/api/v1/routes/{r}", {"enabled": False}),
        ("DELETE", f"/api/v1/routes/{r}", None),
        ("GET", f"/api/v1/silences/{ids['silence']}", None),
        ("DELETE", f"/api/v1/silences/{ids['silence']}", None),
        ("GET", f"/api/v1/deliveries/{ids['delivery']}", None),
        ("POST", f"/api/v1/deliveries/{ids['delivery']}/redeliver", None),
        ("DELETE", f"/api/v1/apikeys/{ids['apikey']}", None),
        ("GET", f"/api/v1/reports/{ids['report']}", None),
        ("GET", f"/api/v1/reports/{ids['report']}.html", None),
        ("GET", f"/api/v1/reports/{ids['report']}.pdf", None),
    ]


def _items(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()
    return body["items"] if isinstance(body, dict) else body


LISTS = {
    "brand": "/api/v1/brands",
    "source": "/api/v1/sources",
    "mention": "/api/v1/mentions",
    "incident": "/api/v1/incidents",
    "channel": "/api/v1/channels",
    "route": "/api/v1/routes",
    "silence": "/api/v1/silences",
    "delivery": "/api/v1/deliveries",
    "apikey": "/api/v1/apikeys",
    "job": "/api/v1/reprocess",
    "report": "/api/v1/reports",
}


def _assert_b_lists_nothing_of_a(b: TestClient, ids: dict[str, int]) -> None:
    for what, path in LISTS.items():
        assert ids[what] not in [item["id"] for item in _items(b.get(path))], f"B's {path} lists A's {what}"
    for path in (
        f"/api/v1/mentions?brand={ids['brand']}",
        f"/api/v1/mentions?source={ids['source']}",
        f"/api/v1/incidents?brand={ids['brand']}",
        f"/api/v1/deliveries?channel={ids['channel']}",
        f"/api/v1/deliveries?incident={ids['incident']}",
    ):
        assert _items(b.get(path)) == [], path
    assert b.get("/api/v1/workspace").json()["name"] == "B"


def _assert_a_is_intact(a: TestClient, ids: dict[str, int]) -> None:
    for what, path in LISTS.items():
        assert ids[what] in [item["id"] for item in _items(a.get(path))], f"A lost its {what}"
    incident = a.get(f"/api/v1/incidents/{ids['incident']}").json()
    assert incident["status"] == "open" and incident["snoozed_until"] is None
    assert a.get(f"/api/v1/sources/{ids['source']}").json()["enabled"] is True
    assert a.get(f"/api/v1/channels/{ids['channel']}").json()["enabled"] is True
    assert a.get(f"/api/v1/silences/{ids['silence']}").json()["active"] is True
    assert a.get(f"/api/v1/deliveries/{ids['delivery']}").json()["status"] == "delivered"
    assert a.get("/api/v1/apikeys").json()[0]["revoked_at"] is None
    mention = a.get(f"/api/v1/mentions/{ids['mention']}").json()
    assert mention["sentiment"]["manual"] is None and [b["id"] for b in mention["brands"]] == [ids["brand"]]
    assert [e["id"] for e in a.get(f"/api/v1/brands/{ids['brand']}/blocklist").json()] == [ids["block"]]
    assert a.get(f"/api/v1/reprocess/{ids['job']}").json()["status"] == "queued"


def test_a_key_of_workspace_b_never_reads_nor_changes_workspace_a(clients, engine) -> None:
    a, b = clients
    ids = _world_of_a(a, engine)

    not_hidden = {}
    for method, path, body in _by_id(ids):
        response = b.request(method, path, json=body)
        if response.status_code != 404 or response.headers["content-type"] != "application/problem+json":
            not_hidden[f"{method} {path}"] = (response.status_code, response.text[:200])
    assert not_hidden == {}
    _assert_b_lists_nothing_of_a(b, ids)

    # Names are per workspace too: B cannot point a route at A's channel nor a silence at A's brand.
    assert b.post("/api/v1/routes", json={"name": "nuit", "channels": ["ops"]}).status_code == 422
    silence = {"brand": "SNCF", "duration": "1h", "comment": "test"}
    assert b.post("/api/v1/silences", json=silence).status_code == 422

    _assert_a_is_intact(a, ids)
