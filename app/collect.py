"""The collect role: claim due sources, fetch them with bounded concurrency, ingest, release the lease."""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from app.db import writing
from app.db.schema import utcnow
from app.pacing import DbPacer
from app.pipeline import IngestReport, ingest_drafts
from app.scheduling import next_check_at
from app.settings import Settings
from app.storage.sources import RunReport, claim_due_sources, finish_source_run
from collectors.base import FetchDeferred, FetchError, FetchLimits, FetchOutcome, SourceState
from collectors.http import Fetcher, make_client
from collectors.registry import get_collector

log = logging.getLogger(__name__)
# A tick refills slots for this share of the tick period at most, so that it ends before the clock's next
# tick is due (APScheduler warns when a tick is still running at its next time).
TICK_BUDGET = 0.8


def fetch_limits(settings: Settings) -> FetchLimits:
    """The network limits of every fetch, from settings."""
    return FetchLimits(
        connect_timeout=settings.fetch_connect_timeout,
        read_timeout=settings.fetch_read_timeout,
        total_timeout=settings.fetch_total_timeout,
        max_bytes=settings.fetch_max_bytes,
        max_redirects=settings.fetch_max_redirects,
        user_agent=settings.user_agent,
        allow_private=settings.allow_private_urls,
    )


def source_credentials(settings: Settings) -> dict[str, str]:
    """The secrets some source kinds need, by name (only the ones that are set)."""
    values = {
        "bluesky_handle": settings.bluesky_handle,
        "bluesky_app_password": secret.get_secret_value() if (secret := settings.bluesky_app_password) else None,
        "stackexchange_key": settings.stackexchange_key,
    }
    return {name: value for name, value in values.items() if value}


def worker_name() -> str:
    """A name unique to this process, stored as the lease owner."""
    return f"{socket.gethostname()}:{os.getpid()}:{random.randrange(16**6):06x}"


class CollectWorker:
    """One process's collector: each `tick` claims due sources and collects them in a thread pool."""

    def __init__(self, engine: Engine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.owner = worker_name()
        self.limits = fetch_limits(settings)
        self.client: httpx.Client = make_client(self.limits)
        self.fetcher = Fetcher(
            self.client, self.limits, pacer=DbPacer(engine), credentials=source_credentials(settings)
        )
        self.pool = ThreadPoolExecutor(settings.collect_concurrency, thread_name_prefix="vigie-collect")
        self._lock = threading.Lock()
        self._slot_freed = threading.Condition(self._lock)
        self._inflight = 0

    def close(self) -> None:
        """Stop the pool (waiting for fetches under way) and close the HTTP client."""
        self.pool.shutdown(wait=True)
        self.client.close()

    def tick(self) -> list[Future[RunReport]]:
        """Claim due sources into the free fetch slots and start collecting them; while more are due, keep
        refilling the slots as they free up, for most of one tick period (the clock's next tick takes over).

        It never waits for a particular fetch: a slow source holds one slot until its timeout while the other
        slots keep turning, so one broken source does not delay the others. Refilling within the tick is what
        lets one worker work through a backlog at the speed of its fetches: claiming only once per tick capped
        it at `collect_concurrency` sources per tick (8 every 5 s: 1,000 due sources took over 10 minutes).
        """
        deadline = time.monotonic() + self.settings.collect_tick_seconds * TICK_BUDGET
        futures: list[Future[RunReport]] = []
        while True:
            claimed, more = self._claim()
            futures += [self.pool.submit(self._collect_and_free, source) for source in claimed]
            if not more or not self._wait_for_free_slot(deadline):
                return futures

    def _claim(self) -> tuple[list[dict[str, Any]], bool]:
        """Lease due sources for the free slots; also whether more may be due (the claim got all it asked)."""
        with self._lock:
            free = self.settings.collect_concurrency - self._inflight
            if free <= 0:
                return [], True
            limit = min(free, self.settings.collect_batch_size)
            with writing(self.engine) as conn:
                claimed = claim_due_sources(
                    conn, owner=self.owner, limit=limit, lease_seconds=self.settings.lease_seconds
                )
            self._inflight += len(claimed)
        return claimed, len(claimed) == limit

    def _wait_for_free_slot(self, deadline: float) -> bool:
        """Wait until a fetch slot is free; False when `deadline` (time.monotonic) comes first."""
        with self._slot_freed:
            while self._inflight >= self.settings.collect_concurrency:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._slot_freed.wait(left)
        return time.monotonic() < deadline

    def run_once(self) -> list[RunReport]:
        """Collect every source due now and wait for them (CLI and tests)."""
        reports: list[RunReport] = []
        while futures := self.tick():
            reports.extend(f.result() for f in futures)
        return reports

    def _collect_and_free(self, source: dict[str, Any]) -> RunReport:
        try:
            return self.collect_source(source)
        finally:
            with self._slot_freed:
                self._inflight -= 1
                self._slot_freed.notify_all()

    def collect_source(self, source: dict[str, Any]) -> RunReport:
        """Fetch one leased source, ingest what it gave, record the run and release the lease."""
        started, t0 = utcnow(), time.perf_counter()
        outcome = self._fetch(source)
        try:
            with writing(self.engine) as conn:
                ingest = self._ingest(conn, source, outcome, started)
                report = _run_report(outcome, ingest, started, t0)
                next_due = self._next_due(source, outcome, report)
                state = _state_changes(source, outcome)
                finish_source_run(
                    conn,
                    source_id=source["id"],
                    owner=self.owner,
                    report=report,
                    next_due_at=next_due,
                    state=state,
                )
        except Exception:
            # The lease expires on its own; the source is retried then. Nothing is half-stored (one transaction).
            log.exception("storing a source run failed", extra={"source_id": source["id"]})
            raise
        log.info(
            "source collected",
            extra={"source_id": source["id"], "status": report.status, "new": report.new, "error": report.error},
        )
        return report

    def _fetch(self, source: dict[str, Any]) -> FetchOutcome:
        state = SourceState(
            url=source["url"] or "",
            params=source["params"] or {},
            etag=source["etag"],
            last_modified=source["last_modified"],
            cursor=source["cursor"] or {},
        )
        try:
            return get_collector(source["kind"]).collect(state, self.fetcher)
        except FetchDeferred as exc:
            return FetchOutcome(deferred=True, error=str(exc), retry_after_seconds=exc.retry_after)
        except FetchError as exc:
            return FetchOutcome(error=str(exc), http_status=exc.http_status, retry_after_seconds=exc.retry_after)
        except Exception as exc:  # a bug in one collector must not stop the others
            log.exception("collector crashed", extra={"source_id": source["id"], "kind": source["kind"]})
            return FetchOutcome(error=f"internal error in the {source['kind']} collector: {type(exc).__name__}")

    def _ingest(self, conn: Any, source: dict[str, Any], outcome: FetchOutcome, now: datetime) -> IngestReport:
        if not outcome.drafts:
            return IngestReport()
        return ingest_drafts(
            conn, workspace_id=source["workspace_id"], source_id=source["id"], drafts=outcome.drafts, now=now
        )

    def _next_due(self, source: dict[str, Any], outcome: FetchOutcome, report: RunReport) -> datetime:
        errors = source["consecutive_errors"] + 1 if report.status == "error" else 0
        return next_check_at(
            utcnow(),
            interval_seconds=source["interval_seconds"] or self.settings.default_interval_seconds,
            min_seconds=self.settings.min_interval_seconds,
            max_seconds=self.settings.max_interval_seconds,
            consecutive_errors=errors,
            ttl_seconds=outcome.ttl_seconds,
            retry_after_seconds=outcome.retry_after_seconds,
            max_age_seconds=outcome.max_age_seconds,
            jitter=random.random(),
        )


def _run_report(outcome: FetchOutcome, ingest: IngestReport, started: datetime, t0: float) -> RunReport:
    if outcome.deferred:
        status = "deferred"
    elif outcome.not_modified:
        status = "not_modified"
    elif outcome.error:
        status = "partial" if outcome.drafts else "error"
    else:
        status = "ok"
    return RunReport(
        started_at=started,
        duration_ms=int((time.perf_counter() - t0) * 1000),
        status=status,
        http_status=outcome.http_status,
        fetched=ingest.fetched,
        new=ingest.new,
        duplicate=ingest.duplicate,
        unmatched=ingest.unmatched,
        error=outcome.error,
    )


def _state_changes(source: dict[str, Any], outcome: FetchOutcome) -> dict[str, Any]:
    if (outcome.error and not outcome.drafts) or outcome.deferred:
        return {}  # keep the validators of the last good answer
    state: dict[str, Any] = {}
    if not outcome.not_modified:
        state.update(etag=outcome.etag, last_modified=outcome.last_modified)
    if outcome.cursor is not None:
        state["cursor"] = outcome.cursor
    return state
