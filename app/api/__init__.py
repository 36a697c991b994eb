"""The REST API: `create_app` composes routes, errors and the shared state (engine, settings)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from sqlalchemy.engine import Engine

from app.api import brands, health, mentions, sources
from app.api.errors import install_error_handlers
from app.enrich import Enricher
from app.settings import Settings


def create_app(settings: Settings, engine: Engine, *, enricher: Enricher | None = None) -> FastAPI:
    """The FastAPI application over an engine whose database is already migrated."""
    app = FastAPI(
        title="Vigie",
        version="0.1.0",
        description="Brand monitoring and e-reputation alerts. Errors are application/problem+json.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.enricher = enricher or Enricher()
    app.state.workspace_id = None  # resolved on first use, so that /readyz works on an unmigrated database
    install_error_handlers(app)
    api = APIRouter(prefix="/api/v1")
    for module in (brands, sources, mentions):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    return app
