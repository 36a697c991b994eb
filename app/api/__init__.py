"""The REST API: `create_app` composes routes, errors, API-key scopes and the shared state (engine, settings)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.engine import Engine

from app.api import (
    ack,
    alert_routes,
    apikeys,
    blocklist,
    brands,
    channels,
    deliveries,
    health,
    incidents,
    mentions,
    reports,
    reprocess,
    silences,
    sources,
    stats,
    stream,
    workspace,
)
from app.api.deps import require_scope
from app.api.errors import COMMON_RESPONSES, install_error_handlers
from app.api.etag import ETags
from app.api.hardening import BodyLimit, RateLimit, SecurityHeaders
from app.settings import Settings

# Who may do what (README, "API keys"): every read needs the `read` scope; changes need the scope given here.
# Data a CM works on is `write`; what decides who is paged, and the keys themselves, is `admin`.
SCOPES = (
    (brands, "read", "write"),
    (sources, "read", "write"),
    (mentions, "read", "write"),
    (blocklist, "read", "write"),
    (reprocess, "read", "admin"),
    (stats, "read", "read"),  # read only: no route changes anything
    (reports, "read", "write"),  # making a report on demand is a CM's work
    (stream, "read", "read"),  # GET /incidents/stream: before `incidents`, whose /{incident_id} would take it
    (incidents, "read", "write"),
    (silences, "read", "write"),
    (workspace, "read", "admin"),
    (channels, "read", "admin"),
    (alert_routes, "read", "admin"),
    (deliveries, "read", "admin"),
    (apikeys, "admin", "admin"),
)


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    """The FastAPI application over an engine whose database is already migrated."""
    app = FastAPI(
        title="Vigie",
        version="0.1.0",
        description="Brand monitoring and e-reputation alerts. Every /api/v1 endpoint needs an API key "
        "(`Authorization: Bearer <key>`). Errors are application/problem+json.",
    )
    app.state.settings = settings
    app.state.engine = engine
    install_error_handlers(app)
    api = APIRouter(prefix="/api/v1")
    for module, read, write in SCOPES:
        # Router dependencies run before the route's own: the key is checked before any transaction opens.
        api.include_router(
            module.router, dependencies=[require_scope(read=read, write=write)], responses=COMMON_RESPONSES
        )
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(ack.router)  # signed links, outside /api/v1: they work without an API key
    # Imported here, not at the top: app.web's pages import app.api.deps, so a top-level import made
    # `import app.web.charts` (reports, CLI, workers) fail with a circular import when app.api was not loaded first.
    from app.web import install_web

    install_web(app)  # the web page: sign in with a key, then incidents, mentions, brands, health, reports
    _guard(app, settings)
    return app


def _guard(app: FastAPI, settings: Settings) -> None:
    """Body cap, rate limit per key, CORS for the configured origins; security headers outermost, so that
    the guards' own refusals carry them too."""
    app.add_middleware(ETags)
    app.add_middleware(RateLimit, per_minute=settings.api_rate_limit_per_minute)
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match", "Last-Event-ID"],
            expose_headers=["ETag", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)
