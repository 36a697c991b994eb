"""Each process's clock: APScheduler ticks the collect worker; the database decides what is due."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from app.collect import CollectWorker

log = logging.getLogger(__name__)


def _safe_tick(worker: CollectWorker) -> None:
    try:
        worker.tick()
    except Exception:  # a database hiccup must not kill the clock; the next tick tries again
        log.exception("collect tick failed")


def start_clock(worker: CollectWorker, *, tick_seconds: float) -> BackgroundScheduler:
    """Start a background scheduler that ticks `worker` every `tick_seconds` (never two ticks at once).

    It is only this process's clock: which sources are due, and who fetches them, is decided by leases in
    the database, so any number of processes can tick at once.
    """
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        _safe_tick,
        "interval",
        args=[worker],
        seconds=tick_seconds,
        id="collect",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),  # first tick at once, not after one interval
    )
    scheduler.start()
    return scheduler
