"""/healthz (the process answers), /readyz (the database answers and is migrated), /metrics (Prometheus)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.db.migrate import current_revision, head_revision
from app.metrics import CONTENT_TYPE, render

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Readiness: the database is reachable and its schema is at the latest migration."""
    engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        current = current_revision(engine)
    except Exception as exc:  # any driver error means "not ready"; say which kind, never the URL
        body = {"status": "unavailable", "database": f"unreachable ({type(exc).__name__})"}
        return JSONResponse(body, status_code=503)
    head = head_revision()
    if current != head:
        body = {
            "status": "unavailable",
            "database": "ok",
            "migration": current,
            "expected": head,
            "hint": "run `vigie migrate`",
        }
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "migration": current})


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus metrics: ingestion per source, source errors, scoring time, open incidents, deliveries."""
    return Response(render(request.app.state.engine), media_type=CONTENT_TYPE)
