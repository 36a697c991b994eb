"""The reprocess worker: runs re-match / re-score jobs in batches, in the alert role, with a lease and progress.

Each batch is one transaction: the mentions' links, scores and rollups change together with the job's progress,
so a worker killed mid-job leaves a consistent state, and whoever takes the job over after the lease expires
continues after the last committed batch.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy.engine import Engine

from app.collect import worker_name
from app.curation import reprocess_batch
from app.db import writing
from app.db.schema import utcnow
from app.pipeline import load_ingest_context
from app.settings import Settings
from app.storage import reprocess as store

log = logging.getLogger(__name__)

BATCH = 500
LEASE_SECONDS = 60.0
TICK_BUDGET_SECONDS = 5.0  # one tick works this long at most, then lets the clock run the other jobs


class ReprocessWorker:
    """Each `tick` claims one job and runs batches of it for up to TICK_BUDGET_SECONDS."""

    def __init__(self, engine: Engine, settings: Settings, *, batch: int = BATCH):
        self.engine = engine
        self.settings = settings
        self.batch = batch
        self.owner = worker_name()

    def tick(self) -> int:
        """Run batches of the next job; returns the number of mentions processed."""
        with writing(self.engine) as conn:
            job = store.claim_job(conn, owner=self.owner, lease_seconds=LEASE_SECONDS, now=utcnow())
        if job is None:
            return 0
        deadline = time.monotonic() + TICK_BUDGET_SECONDS
        processed, done = 0, False
        try:
            while not done and time.monotonic() < deadline:
                done, count = self._batch(job)
                processed += count
        except Exception as exc:
            log.exception("reprocess job failed", extra={"job_id": job["id"]})
            with writing(self.engine) as conn:
                store.record_progress(
                    conn,
                    job_id=job["id"],
                    owner=self.owner,
                    values={
                        "status": "failed",
                        "error": f"{type(exc).__name__}: {exc}"[:500],
                        "finished_at": utcnow(),
                        "lease_owner": None,
                        "lease_until": None,
                    },
                )
            return processed
        if not done:
            with writing(self.engine) as conn:  # let go of the lease so that the next tick (any process) continues
                store.record_progress(conn, job_id=job["id"], owner=self.owner, values={"lease_until": utcnow()})
        return processed

    def _batch(self, job: dict) -> tuple[bool, int]:
        try:
            return self._batch_in_transaction(job)
        except _LeaseLost:  # cancelled or taken over: the batch was rolled back, its changes are not ours to keep
            return True, 0

    def _batch_in_transaction(self, job: dict) -> tuple[bool, int]:
        with writing(self.engine) as conn:
            rows = store.next_mentions(conn, job, limit=self.batch)
            if not rows:
                values = {"status": "done", "finished_at": utcnow(), "lease_owner": None, "lease_until": None}
                store.record_progress(conn, job_id=job["id"], owner=self.owner, values=values)
                return True, 0
            context = load_ingest_context(conn, workspace_id=job["workspace_id"])
            report = reprocess_batch(
                conn, context, rows, rematch=job["rematch"], rescore=job["rescore"], brand_id=job["brand_id"]
            )
            job["last_mention_id"] = rows[-1]["id"]
            for name in ("processed", "links_added", "links_removed", "rescored"):
                job[name] += getattr(report, name)
            values = {
                "last_mention_id": job["last_mention_id"],
                "processed": job["processed"],
                "links_added": job["links_added"],
                "links_removed": job["links_removed"],
                "rescored": job["rescored"],
                "lease_until": utcnow() + timedelta(seconds=LEASE_SECONDS),
            }
            if not store.record_progress(conn, job_id=job["id"], owner=self.owner, values=values):
                raise _LeaseLost
        log.info("reprocess batch", extra={"job_id": job["id"], "processed": job["processed"]})
        return False, len(rows)


class _LeaseLost(Exception):
    """Raised inside a batch's transaction to roll it back."""
