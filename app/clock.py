"""Each process's clock: APScheduler ticks the collect worker; the database decides what is due."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Protocol

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)


class Ticking(Protocol):
    def tick(self) -> object: ...


def _safe_tick(worker: Ticking, name: str) -> None:
    try:
        worker.tick()
    except Exception:  # a database hiccup must not kill the clock; the next tick tries again
        log.exception("tick failed", extra={"job": name})


def start_clock(jobs: dict[str, tuple[Ticking, float]]) -> BackgroundScheduler:
    """Start a background scheduler that ticks each worker every its own seconds (never two ticks at once).

    It is only this process's clock: which sources are due and who fetches them, which brand is evaluated
    by whom, is decided by leases and row locks in the database, so any number of processes can tick at once.
    """
    scheduler = BackgroundScheduler(timezone="UTC")
    for name, (worker, seconds) in jobs.items():
        scheduler.add_job(
            _safe_tick,
            "interval",
            args=[worker, name],
            seconds=seconds,
            id=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),  # first tick at once, not after one interval
        )
    scheduler.start()
    return scheduler
