"""/api/v1/reprocess: re-match and re-score stored mentions in the background, with progress (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.api.deps import ReadConn, WorkspaceId, WriteConn
from app.api.errors import Problem, not_found
from app.db.schema import utcnow
from app.storage import reprocess as store
from app.storage.brands import get_brand

router = APIRouter(prefix="/reprocess", tags=["curation"])


class ReprocessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    brand: int | None = Field(None, ge=1, le=2**31 - 1, description="Only this brand (default: every brand)")
    rematch: bool = Field(True, description="Match stored mentions again with the current queries and blocklists")
    rescore: bool = Field(False, description="Score them again with the current lexicon (manual sentiment is kept)")
    since: datetime | None = Field(None, description="Only mentions published at or after this time")

    @model_validator(mode="after")
    def _something(self) -> ReprocessIn:
        if not (self.rematch or self.rescore):
            raise ValueError("set rematch or rescore (or both): there is nothing else to do")
        if self.since is not None and self.since.tzinfo is None:
            raise ValueError("since: add a time zone, e.g. 2026-10-03T21:00:00+02:00 or Z")
        return self


class JobOut(BaseModel):
    id: int
    status: str = Field(description="queued, running, done, failed or cancelled")
    brand_id: int | None
    rematch: bool
    rescore: bool
    since: datetime | None
    total: int = Field(description="Mentions to look at, counted when the job was queued")
    processed: int
    percent: float = Field(description="processed / total, 0-100")
    links_added: int
    links_removed: int
    rescored: int = Field(description="Mentions whose scores changed")
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def job_out(row: dict[str, Any]) -> JobOut:
    total = row["total"]
    percent = 100.0 if row["status"] == "done" else (min(99.9, 100 * row["processed"] / total) if total else 0.0)
    return JobOut(**{**row, "percent": round(percent, 1)})


@router.post("", response_model=JobOut, status_code=202)
def start(body: ReprocessIn, conn: WriteConn, workspace_id: WorkspaceId, response: Response) -> JobOut:
    """Queue a job; the alert role runs it in batches of 500 mentions. Follow it with GET /reprocess/{id}."""
    if body.brand is not None and get_brand(conn, workspace_id=workspace_id, brand_id=body.brand) is None:
        raise Problem(422, "Invalid request", f"brand: no brand with id {body.brand} in this workspace")
    row = store.create_job(
        conn,
        workspace_id=workspace_id,
        brand_id=body.brand,
        rematch=body.rematch,
        rescore=body.rescore,
        since=body.since,
        now=utcnow(),
    )
    response.headers["Location"] = f"/api/v1/reprocess/{row['id']}"
    return job_out(row)


@router.get("", response_model=list[JobOut])
def list_jobs(conn: ReadConn, workspace_id: WorkspaceId) -> list[JobOut]:
    """The latest 50 jobs, newest first."""
    return [job_out(r) for r in store.list_jobs(conn, workspace_id=workspace_id)]


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: int, conn: ReadConn, workspace_id: WorkspaceId) -> JobOut:
    """A job and its progress."""
    row = store.get_job(conn, workspace_id=workspace_id, job_id=job_id)
    if row is None:
        raise not_found("reprocess job", job_id)
    return job_out(row)


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel(job_id: int, conn: WriteConn, workspace_id: WorkspaceId) -> JobOut:
    """Stop a queued or running job; what its finished batches changed stays."""
    row = store.get_job(conn, workspace_id=workspace_id, job_id=job_id)
    if row is None:
        raise not_found("reprocess job", job_id)
    if not store.cancel_job(conn, workspace_id=workspace_id, job_id=job_id, now=utcnow()):
        raise Problem(409, "Conflict", f"reprocess job {job_id} is already {row['status']}")
    return job_out(store.get_job(conn, workspace_id=workspace_id, job_id=job_id))
