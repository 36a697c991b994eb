"""API keys over HTTP: every /api/v1 endpoint wants one (401 problem+json with WWW-Authenticate otherwise),
a key's scope limits what it may do (403 naming the scope needed), its use is recorded at most once a minute,
and admins make, list and revoke keys (shown once, never their hashes)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.api import create_app
from app.db import reading, writing
from app.db.schema import api_keys, utcnow
from tests.api.conftest import bearer, make_key
from tests.api.test_routes_silences import open_incident


@pytest.fixture
def anonymous(settings, engine) -> Iterator[TestClient]:
    """A client that sends no key unless told to."""
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as c:
        yield c


def _key_row(engine, key_id: int | None = None, name: str | None = None) -> dict:
    with reading(engine) as conn:
        where = api_keys.c.id == key_id if key_id is not None else api_keys.c.name == name
        return dict(conn.execute(sa.select(api_keys).where(where)).mappings().one())


def _assert_401(response, *, says: str, error: str | None = None) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == ("Bearer" if error is None else f'Bearer error="{error}"')
    body = response.json()
    assert body["title"] == "Unauthorized" and says in body["detail"], body


def test_every_api_endpoint_wants_a_key_and_says_how_to_send_one(anonymous: TestClient) -> None:
    paths = anonymous.get("/openapi.json").json()["paths"]
    endpoints = [(m.upper(), p) for p, methods in paths.items() if p.startswith("/api/v1") for m in methods]
    assert len(endpoints) > 40
    for method, path in endpoints:
        response = anonymous.request(method, re.sub(r"\{[^}]+\}", "1", path))
        _assert_401(response, says="send `Authorization: Bearer <key>`")
        assert paths[path][method.lower()]["security"] == [{"API key": []}], f"{method} {path}: not in the docs"


def test_health_acknowledge_links_and_the_docs_need_no_key(anonymous: TestClient) -> None:
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/readyz").status_code == 200
    assert anonymous.get("/openapi.json").json()["components"]["securitySchemes"]["API key"]["scheme"] == "bearer"
    assert anonymous.get("/ack/not-a-token").status_code == 400  # the link's own check, not a 401


def test_unknown_malformed_and_revoked_keys_are_refused(anonymous: TestClient, engine) -> None:
    _assert_401(
        anonymous.get("/api/v1/brands", headers=bearer("vg_" + "x" * 43)),
        says="not known to Vigie",
        error="invalid_token",
    )
    key = make_key(engine, scope="read", name="grafana")
    _assert_401(
        anonymous.get("/api/v1/brands", headers={"Authorization": f"Basic {key}"}), says="must be `Bearer <key>`"
    )
    assert anonymous.get("/api/v1/brands", headers=bearer(key)).status_code == 200
    with writing(engine) as conn:
        conn.execute(sa.update(api_keys).where(api_keys.c.name == "grafana").values(revoked_at=utcnow()))
    _assert_401(
        anonymous.get("/api/v1/brands", headers=bearer(key)),
        says=f"this API key ({key[:10]}…, 'grafana') was revoked on",
        error="invalid_token",
    )


@pytest.mark.parametrize(
    ("scope", "method", "path", "body", "needed"),
    [
        ("read", "POST", "/api/v1/brands", {"name": "SNCF", "query": "sncf"}, "write"),
        ("read", "POST", "/api/v1/mentions", {"mentions": [{"text": "sncf"}]}, "write"),
        ("read", "POST", "/api/v1/incidents/1/ack", None, "write"),
        ("read", "GET", "/api/v1/apikeys", None, "admin"),
        (
            "write",
            "POST",
            "/api/v1/channels",
            {"name": "ops", "kind": "slack", "url": "https://hooks.example/s"},
            "admin",
        ),
        ("write", "PATCH", "/api/v1/workspace", {"language": "en"}, "admin"),
        ("write", "POST", "/api/v1/routes", {"name": "nuit", "channels": ["ops"]}, "admin"),
        ("write", "POST", "/api/v1/deliveries/1/redeliver", None, "admin"),
        ("write", "POST", "/api/v1/apikeys", {"name": "x", "scope": "read"}, "admin"),
    ],
)
def test_a_key_may_only_do_what_its_scope_allows(
    anonymous: TestClient, engine, scope: str, method: str, path: str, body: dict | None, needed: str
) -> None:
    key = make_key(engine, scope=scope)  # type: ignore[arg-type]
    response = anonymous.request(method, path, json=body, headers=bearer(key))
    assert response.status_code == 403, response.text
    problem = response.json()
    assert problem["required_scope"] == needed
    assert problem["detail"].startswith(f"this API key has the {scope!r} scope; {method} {path} needs the {needed!r}")


def test_read_keys_read_write_keys_change_data(anonymous: TestClient, engine) -> None:
    read, write = bearer(make_key(engine, scope="read")), bearer(make_key(engine, scope="write"))
    created = anonymous.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"}, headers=write)
    assert created.status_code == 201
    for path in ("/api/v1/brands", "/api/v1/channels", "/api/v1/routes", "/api/v1/deliveries", "/api/v1/workspace"):
        assert anonymous.get(path, headers=read).status_code == 200, path
    silence = {"brand": "SNCF", "duration": "1h", "comment": "grève annoncée"}
    assert anonymous.post("/api/v1/silences", json=silence, headers=write).status_code == 201
    incident = open_incident(engine, brand_id=created.json()["id"])
    acked = anonymous.post(f"/api/v1/incidents/{incident}/ack", headers=write).json()
    assert acked["timeline"][-1]["actor"] == "api:tests"  # the timeline names the key


def test_a_key_use_is_recorded_at_most_once_a_minute(anonymous: TestClient, engine) -> None:
    key = make_key(engine, scope="write", name="grafana")
    assert _key_row(engine, name="grafana")["last_used_at"] is None
    # A write first: the key is checked (and its use recorded) before the route's own write transaction opens.
    assert (
        anonymous.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"}, headers=bearer(key)).status_code == 201
    )
    first = _key_row(engine, name="grafana")["last_used_at"]
    assert first is not None and utcnow() - first < timedelta(seconds=10)
    anonymous.get("/api/v1/brands", headers=bearer(key))
    assert _key_row(engine, name="grafana")["last_used_at"] == first  # no write for each request
    earlier = utcnow() - timedelta(seconds=61)
    with writing(engine) as conn:
        conn.execute(sa.update(api_keys).where(api_keys.c.name == "grafana").values(last_used_at=earlier))
    anonymous.get("/api/v1/brands", headers=bearer(key))
    assert _key_row(engine, name="grafana")["last_used_at"] > first


def test_a_busy_database_skips_the_use_record_instead_of_making_the_request_wait(anonymous: TestClient, engine) -> None:
    key = make_key(engine, scope="read", name="grafana")
    held, release = threading.Event(), threading.Event()

    def writer() -> None:  # a long write transaction (an import, say) that holds the key's row
        with writing(engine) as conn:
            conn.execute(sa.update(api_keys).where(api_keys.c.name == "grafana").values(name="grafana"))
            held.set()
            release.wait(20)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        assert anonymous.get("/api/v1/brands", headers=bearer(key)).status_code == 200
        assert time.monotonic() - started < 5
    finally:
        release.set()
        thread.join()
    assert _key_row(engine, name="grafana")["last_used_at"] is None  # skipped; the next request records it
    anonymous.get("/api/v1/brands", headers=bearer(key))
    assert _key_row(engine, name="grafana")["last_used_at"] is not None


def test_an_admin_makes_lists_and_revokes_keys(client: TestClient) -> None:
    created = client.post("/api/v1/apikeys", json={"name": " grafana ", "scope": "read"})
    assert created.status_code == 201, created.text
    new = created.json()
    assert new["key"].startswith("vg_") and len(new["key"]) == 46 and new["prefix"] == new["key"][:10]
    assert new["name"] == "grafana" and new["scope"] == "read" and new["last_used_at"] is None
    assert client.get("/api/v1/brands", headers=bearer(new["key"])).status_code == 200

    listed = client.get("/api/v1/apikeys")
    assert [k["name"] for k in listed.json()] == ["tests", "grafana"]
    assert new["key"] not in listed.text and "hash" not in listed.text
    assert set(listed.json()[1]) == {"id", "name", "prefix", "scope", "created_at", "last_used_at", "revoked_at"}

    assert client.delete(f"/api/v1/apikeys/{new['id']}").status_code == 204
    assert client.get("/api/v1/brands", headers=bearer(new["key"])).status_code == 401
    revoked_at = client.get("/api/v1/apikeys").json()[1]["revoked_at"]
    assert revoked_at is not None
    assert client.delete(f"/api/v1/apikeys/{new['id']}").status_code == 204  # idempotent...
    assert client.get("/api/v1/apikeys").json()[1]["revoked_at"] == revoked_at  # ...keeping the first time
    assert client.delete("/api/v1/apikeys/999").status_code == 404


def test_a_key_cannot_revoke_itself(client: TestClient) -> None:
    [own] = client.get("/api/v1/apikeys").json()
    refused = client.delete(f"/api/v1/apikeys/{own['id']}")
    assert refused.status_code == 409 and "cannot revoke itself" in refused.json()["detail"]
    assert client.get("/api/v1/apikeys").status_code == 200


def test_bad_key_requests_are_refused(client: TestClient) -> None:
    for body in ({"name": "x", "scope": "root"}, {"name": "  ", "scope": "read"}, {"scope": "read"}):
        assert client.post("/api/v1/apikeys", json=body).status_code == 422, body
