"""`vigie serve`: compose the roles of one process (API with uvicorn, collector with its clock)."""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

import click
import sqlalchemy as sa
import uvicorn

from app.apikeys import ensure_admin_key
from app.cli.common import migrated_engine
from app.clock import start_clock
from app.collect import CollectWorker
from app.config_file import ConfigError, apply_config, load_config
from app.db import writing
from app.db.schema import utcnow
from app.deliver import DeliveryWorker
from app.detect import DetectWorker
from app.digest import DigestWorker
from app.logs import configure_logging
from app.purge import PurgeWorker
from app.reports.worker import ReportWorker
from app.reprocess import ReprocessWorker
from app.route import RouteWorker
from app.settings import Settings

log = logging.getLogger(__name__)
KEY_FILE = "vigie-admin.key"


def run(settings: Settings) -> None:
    """Run the configured roles until interrupted (SIGINT/SIGTERM)."""
    configure_logging(settings.log_level)
    engine = migrated_engine(settings)
    if settings.config:
        _apply_config(engine, settings, settings.config)
    worker = scheduler = deliverer = None
    jobs: dict = {}
    if "collect" in settings.role_set:
        worker = CollectWorker(engine, settings)
        jobs["collect"] = (worker, settings.collect_tick_seconds)
    if "alert" in settings.role_set:
        # detect → route (same transaction, the outbox) → deliver: see app.detect, app.route, app.deliver
        deliverer = DeliveryWorker(engine, settings)
        jobs["detect"] = (DetectWorker(engine, settings, on_change=deliverer.tick), settings.detect_tick_seconds)
        jobs["route"] = (RouteWorker(engine, settings), settings.route_tick_seconds)
        jobs["deliver"] = (deliverer, settings.deliver_tick_seconds)
        jobs["digest"] = (DigestWorker(engine, settings), 60.0)
        jobs["report"] = (ReportWorker(engine, settings), 60.0)  # weekly reports: made, stored once, e-mailed
        jobs["reprocess"] = (ReprocessWorker(engine, settings), 2.0)
        jobs["purge"] = (PurgeWorker(engine, settings), settings.purge_tick_seconds)  # retention: old mentions go
    if jobs:
        scheduler = start_clock(jobs)
    try:
        if "api" in settings.role_set:
            from app.api import create_app

            announce_admin_key(engine, settings, Path.cwd())  # once, here: never once per worker process
            log.info(
                "serving the API",
                extra={"host": settings.host, "port": settings.port, "workers": settings.api_workers},
            )
            if settings.api_workers > 1:
                _serve_api_workers(settings)
            else:
                uvicorn.run(create_app(settings, engine), host=settings.host, port=settings.port, log_config=None)
        else:
            _wait_for_signal()
    finally:
        if scheduler:
            scheduler.shutdown(wait=True)
        if worker:
            worker.close()
        if deliverer:
            deliverer.close()
        engine.dispose()


def _serve_api_workers(settings: Settings) -> None:
    """Serve the API from `settings.api_workers` uvicorn worker processes sharing one listening socket.

    uvicorn spawns each worker afresh and imports the app by name, so each builds its settings and engine in
    `app.api.asgi.create_from_env`. This process supervises them (a worker that dies is replaced; SIGTERM or
    SIGINT stops them all) while the collect and alert roles, if any, keep running here on their clock.
    """
    uvicorn.run(
        "app.api.asgi:create_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.api_workers,
        log_config=None,
    )


def _apply_config(engine: sa.Engine, settings: Settings, path: Path) -> None:
    try:
        config = load_config(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    with writing(engine) as conn:
        report = apply_config(conn, config, settings=settings)
    log.info("config applied", extra={"created": len(report.created), "updated": len(report.updated)})


def announce_admin_key(engine: sa.Engine, settings: Settings, directory: Path) -> str | None:
    """At the API's first start (no key at all), make an admin key and show it once: one line on stdout, and
    `vigie-admin.key` in `directory` (mode 600, never overwritten). With VIGIE_ADMIN_KEY, store that instead."""
    with writing(engine) as conn:
        key = ensure_admin_key(conn, settings=settings, now=utcnow())
    if key is None:
        return None
    click.echo(f"Vigie admin API key (shown once; {_save_key(directory, key)}): {key}")
    return key


def _save_key(directory: Path, key: str) -> str:
    """Write the key to a new file readable by its owner only; what became of it, for the user."""
    path = directory / KEY_FILE
    shown = f"./{KEY_FILE}" if directory.resolve() == Path.cwd().resolve() else str(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return f"not written to {shown}: that file already exists, from an earlier database, and is kept"
    except OSError as exc:
        return f"not written to {shown}: {exc.strerror}"
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(key + "\n")
    return f"also written to {shown}"


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("collecting; stop with Ctrl-C")
    stop.wait()
