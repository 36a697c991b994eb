"""The REST API: `create_app` composes routes, errors and the shared state (engine, settings)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from sqlalchemy.engine import Engine

from app.api import (
    ack,
    alert_routes,
    brands,
    channels,
    deliveries,
    health,
    incidents,
    mentions,
    silences,
    sources,
    workspace,
)
from app.api.errors import install_error_handlers
from app.db import writing
from app.settings import Settings
from app.storage.workspaces import ensure_workspace

log = logging.getLogger(__name__)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    try:
        with writing(app.state.engine) as conn:
            app.state.workspace_id = ensure_workspace(conn, name=app.state.settings.default_workspace)["id"]
    except sa.exc.DBAPIError:  # not migrated or unreachable: /readyz says so, other routes answer 503
        log.warning("database not ready at start-up; run `vigie migrate`")
    yield


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    """The FastAPI application over an engine whose database is already migrated."""
    app = FastAPI(
        lifespan=_lifespan,
        title="Vigie",
        version="0.1.0",
        description="Brand monitoring and e-reputation alerts. Errors are application/problem+json.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.workspace_id = None  # resolved at start-up
    install_error_handlers(app)
    api = APIRouter(prefix="/api/v1")
    for module in (workspace, brands, sources, mentions, incidents, channels, alert_routes, silences, deliveries):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(ack.router)  # signed links, outside /api/v1: they work without an API key
    return app
