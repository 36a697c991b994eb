"""`vigie serve`: compose the roles of one process (API with uvicorn, collector with its clock)."""

from __future__ import annotations

import logging
import signal
import threading

import click
import uvicorn

from app.cli.common import migrated_engine
from app.clock import start_clock
from app.collect import CollectWorker
from app.config_file import ConfigError, apply_config, load_config
from app.db import writing
from app.deliver import DeliveryWorker
from app.detect import DetectWorker
from app.digest import DigestWorker
from app.logs import configure_logging
from app.route import RouteWorker
from app.settings import Settings

log = logging.getLogger(__name__)


def run(settings: Settings) -> None:
    """Run the configured roles until interrupted (SIGINT/SIGTERM)."""
    configure_logging(settings.log_level)
    engine = migrated_engine(settings)
    if settings.config:
        try:
            config = load_config(settings.config)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        with writing(engine) as conn:
            report = apply_config(conn, config, settings=settings)
        log.info("config applied", extra={"created": len(report.created), "updated": len(report.updated)})
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
    if jobs:
        scheduler = start_clock(jobs)
    try:
        if "api" in settings.role_set:
            from app.api import create_app

            log.info("serving the API", extra={"host": settings.host, "port": settings.port})
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


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("collecting; stop with Ctrl-C")
    stop.wait()
