"""The entry point of one uvicorn worker process, when `vigie serve --workers N` runs several (N > 1).

uvicorn starts its workers as fresh (spawned) processes that import the application by name, so each one
builds its own settings and engine here, from the environment (and `.env`), as the one-settings-object
principle asks of an entry point. The parent (`app.serve`) has already checked the migration and announced
the admin key; a worker only serves requests. The options of `vigie serve` that are not in the environment
(`--host`, `--port`, `--roles`, `--config`, `--workers`) concern the parent and never the application.
"""

from __future__ import annotations

import atexit
import logging

from fastapi import FastAPI

from app.api import create_app
from app.db import make_engine
from app.logs import configure_logging
from app.settings import Settings

log = logging.getLogger(__name__)


def create_from_env() -> FastAPI:
    """The API application of one worker process: settings from the environment, an engine of its own."""
    settings = Settings()
    configure_logging(settings.log_level)
    engine = make_engine(settings.database_url)
    # uvicorn returns from a worker's serve loop on SIGTERM/SIGINT and the process then exits normally: close
    # the pool's connections at that moment, so that PostgreSQL sees them end rather than drop.
    atexit.register(engine.dispose)
    log.info("API worker process ready")
    return create_app(settings, engine)
