"""The API's guards, as a client meets them: body size cap, rate limit per key with Retry-After, security
headers, CORS only for the configured origins."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from app.api.hardening import BodyLimit, RateLimit, SecurityHeaders


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _app(**limits) -> tuple[FastAPI, Clock]:
    app = FastAPI()

    @app.post("/api/v1/echo")
    async def echo(request: Request) -> dict:
        return {"size": len(await request.body())}

    @app.get("/api/v1/ping")
    def ping() -> dict:
        return {"ok": True}

    @app.get("/healthz")
    def health() -> dict:
        return {"status": "ok"}

    clock = Clock()
    app.add_middleware(RateLimit, per_minute=limits.get("per_minute", 60), clock=clock)
    app.add_middleware(BodyLimit, max_bytes=limits.get("max_bytes", 1000))
    app.add_middleware(SecurityHeaders)  # outermost: the guards' own refusals carry the headers too
    return app, clock


def test_a_body_over_the_cap_is_refused_announced_or_streamed() -> None:
    app, _ = _app(max_bytes=1000)
    with TestClient(app) as client:
        assert client.post("/api/v1/echo", content=b"x" * 1000).json() == {"size": 1000}
        big = client.post("/api/v1/echo", content=b"x" * 1001)
        assert big.status_code == 413 and big.headers["content-type"] == "application/problem+json"
        assert "larger than 1,000 bytes" in big.json()["detail"]

        def chunks():
            for _ in range(20):
                yield b"x" * 100  # no Content-Length: chunked

        streamed = client.post("/api/v1/echo", content=chunks())
        assert streamed.status_code == 413


def test_each_key_has_its_own_bucket_and_429_says_when_to_retry() -> None:
    app, clock = _app(per_minute=3)
    with TestClient(app) as client:
        alice, bob = {"authorization": "Bearer vg_alice"}, {"authorization": "Bearer vg_bob"}
        assert [client.get("/api/v1/ping", headers=alice).status_code for _ in range(3)] == [200, 200, 200]
        limited = client.get("/api/v1/ping", headers=alice)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "20"
        assert limited.headers["content-type"] == "application/problem+json"
        assert client.get("/api/v1/ping", headers=bob).status_code == 200  # another key is not affected
        assert client.get("/healthz", headers=alice).status_code == 200  # probes are never limited
        clock.now += 20
        assert client.get("/api/v1/ping", headers=alice).status_code == 200


def test_every_answer_carries_the_security_headers() -> None:
    app, _ = _app()
    with TestClient(app) as client:
        for response in (client.get("/api/v1/ping"), client.post("/api/v1/echo", content=b"x" * 5000)):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert "default-src 'none'" in response.headers["content-security-policy"]
        assert "content-security-policy" not in client.get("/docs").headers  # Swagger UI needs its scripts


@pytest.mark.parametrize("per_minute", [0])
def test_a_zero_rate_turns_the_limit_off(per_minute: int) -> None:
    app, _ = _app(per_minute=per_minute)
    with TestClient(app) as client:
        assert {client.get("/api/v1/ping").status_code for _ in range(50)} == {200}


def test_the_real_api_is_guarded_headers_body_cap_and_cors_for_configured_origins(settings, engine, admin_key) -> None:
    from app.api import create_app
    from tests.api.conftest import bearer

    guarded = settings.model_copy(update={"api_max_body_bytes": 4096, "cors_origins": "https://dash.example.com"})
    with TestClient(create_app(guarded, engine), headers=bearer(admin_key)) as client:
        brands = client.get("/api/v1/brands")
        assert brands.status_code == 200 and brands.headers["x-content-type-options"] == "nosniff"
        huge = client.post("/api/v1/mentions", json={"mentions": [{"text": "Orange " * 2000}]})
        assert huge.status_code == 413 and huge.headers["x-frame-options"] == "DENY"
        preflight = {"access-control-request-method": "GET", "access-control-request-headers": "authorization"}
        ok = client.options("/api/v1/brands", headers={"origin": "https://dash.example.com", **preflight})
        assert ok.headers["access-control-allow-origin"] == "https://dash.example.com"
        other = client.options("/api/v1/brands", headers={"origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in other.headers
