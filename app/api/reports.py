"""/api/v1/reports: weekly reports (made by the alert role each week) and reports made on demand; their figures as
JSON, and the page as a self-contained HTML file or a PDF.

The HTML download is served with a CSP of its own (inline styles and SVG only, nothing fetched, no script), which
the API's deny-all default leaves alone, so that the file shows as it should when opened inline from a link.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from app.api.deps import ReadConn, WorkspaceId, WriteConn
from app.api.errors import Problem, not_found
from app.db.schema import utcnow
from app.reports import PdfUnavailable, PeriodError, create_report, report_filename, report_pdf
from app.reports.make import zone_of
from app.reports.period import day_of
from app.storage import reports as store
from app.storage.workspaces import get_workspace_by_id

router = APIRouter(prefix="/reports", tags=["reports"])
# The report page has inline <style> and inline SVG, and needs nothing else: no script, no request.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
Disposition = Annotated[
    Literal["attachment", "inline"], Query(description="`inline` to show the page in the browser")
]


class ReportIn(BaseModel):
    since: datetime | date | None = Field(
        None, description="First day (local midnight of the workspace) or instant; default: last full week's Monday"
    )
    until: datetime | date | None = Field(None, description="Day after the last one, or instant; default: this Monday")
    language: Literal["fr", "en"] | None = Field(None, description="Default: the workspace's language")
    email: bool = Field(False, description="Also e-mail it to the workspace's e-mail channels (by the alert role)")


class ReportOut(BaseModel):
    id: int
    period_start: datetime
    period_end: datetime
    trigger: str = Field(description="schedule (the weekly report) or demand")
    language: str
    created_at: datetime
    emailed_at: datetime | None = Field(description="When it reached the workspace's e-mail channels")
    email_error: str | None
    html_url: str
    pdf_url: str


class ReportDetail(ReportOut):
    data: dict[str, Any] = Field(
        description="The figures: totals, brands (daily volume, sentiment, share of voice, terms, riskiest "
        "mentions), incidents with response times; each figure with `value`, `previous`, `change`, `change_pct`"
    )


class ReportPage(BaseModel):
    items: list[ReportOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next (older) page.")


def _cursor(report_id: int) -> str:
    return base64.urlsafe_b64encode(f"r{report_id}".encode()).decode().rstrip("=")


def _before(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("r"):
            raise ValueError(raw)
        return int(raw[1:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Problem(400, "Invalid cursor", "this cursor is not one Vigie gave; start again without it") from None


def _out(row: dict[str, Any]) -> dict[str, Any]:
    base = f"/api/v1/reports/{row['id']}"
    fields = ("id", "period_start", "period_end", "trigger", "language", "created_at", "emailed_at", "email_error")
    return {**{k: row[k] for k in fields}, "html_url": f"{base}.html", "pdf_url": f"{base}.pdf"}


def _own(conn: Any, workspace_id: int, report_id: int) -> dict[str, Any]:
    row = store.get_report(conn, workspace_id=workspace_id, report_id=report_id)
    if row is None:
        raise not_found("report", report_id)
    return row


def _download(row: dict[str, Any], ext: str, disposition: str) -> dict[str, str]:
    return {"Content-Disposition": f'{disposition}; filename="{report_filename(row, ext)}"'}


@router.post("", response_model=ReportDetail, status_code=201)
def make_report(conn: WriteConn, workspace_id: WorkspaceId, body: ReportIn | None = None) -> ReportDetail:
    """Make a report now for [since, until) (default: the last full week, Monday to Monday in the workspace's
    time zone), compared with the period of the same length before it."""
    body = body or ReportIn()
    workspace = get_workspace_by_id(conn, workspace_id=workspace_id)
    tz = zone_of(workspace)  # type: ignore[arg-type]
    since = day_of(body.since, tz) if body.since is not None else None
    until = day_of(body.until, tz) if body.until is not None else None
    try:
        row = create_report(
            conn,
            workspace_id=workspace_id,
            now=utcnow(),
            since=since,
            until=until,
            language=body.language,
            email=body.email,
        )
    except PeriodError as exc:
        raise Problem(422, "Invalid request", str(exc)) from None
    return ReportDetail(**_out(row), data=row["data"])


@router.get("", response_model=ReportPage)
def list_reports(
    conn: ReadConn,
    workspace_id: WorkspaceId,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> ReportPage:
    """The workspace's reports, newest first, with keyset (cursor) pagination."""
    before = _before(cursor) if cursor else None
    rows = store.list_reports(conn, workspace_id=workspace_id, limit=limit + 1, before_id=before)
    page = rows[:limit]
    next_cursor = _cursor(page[-1]["id"]) if len(rows) > limit else None
    return ReportPage(items=[ReportOut(**_out(r)) for r in page], next_cursor=next_cursor)


@router.get(
    "/{report_id}.html",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "The report page, self-contained"}},
)
def report_html(
    conn: ReadConn, workspace_id: WorkspaceId, report_id: int, disposition: Disposition = "attachment"
) -> Response:
    """The report as one HTML file (inline CSS and SVG charts, printable on A4)."""
    row = _own(conn, workspace_id, report_id)
    headers = {**_download(row, "html", disposition), "Content-Security-Policy": REPORT_CSP}
    return Response(row["html"], media_type="text/html; charset=utf-8", headers=headers)


@router.get(
    "/{report_id}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The report page as a PDF (A4)"}},
)
def report_as_pdf(
    conn: ReadConn, workspace_id: WorkspaceId, report_id: int, disposition: Disposition = "attachment"
) -> Response:
    """The report as a PDF; 503 with what to install when this machine lacks WeasyPrint's libraries (the HTML
    download works all the same)."""
    row = _own(conn, workspace_id, report_id)
    try:
        pdf = report_pdf(row["html"])
    except PdfUnavailable as exc:
        detail = f"{exc} Meanwhile: GET /api/v1/reports/{report_id}.html"
        raise Problem(503, "PDF unavailable", detail, html_url=f"/api/v1/reports/{report_id}.html") from None
    return Response(pdf, media_type="application/pdf", headers=_download(row, "pdf", disposition))


@router.get("/{report_id}", response_model=ReportDetail)
def get_report(conn: ReadConn, workspace_id: WorkspaceId, report_id: int) -> ReportDetail:
    """A report's figures (the same the page shows)."""
    row = _own(conn, workspace_id, report_id)
    return ReportDetail(**_out(row), data=row["data"])
