"""The reports page: the workspace's weekly and on-demand reports, to open, download as HTML or PDF, and a form
that makes one now (for a write key)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.apikeys import allows
from app.db import reading, writing
from app.db.schema import utcnow
from app.reports import PeriodError, create_report, pdf_available
from app.reports.make import zone_of
from app.reports.period import day_of
from app.storage import reports as store
from app.storage.workspaces import get_workspace_by_id
from app.web.access import WebUserDep, check_form_csrf
from app.web.render import render
from app.websessions import WebUser

router = APIRouter()
PAGE = 30
PRESETS = ("last_week", "this_week", "last_30_days", "custom")


def _page(request: Request, user: WebUser, *, before: int | None = None, error: str | None = None, status=200):
    with reading(request.app.state.engine) as conn:
        rows = store.list_reports(conn, workspace_id=user.workspace_id, limit=PAGE + 1, before_id=before)
    older = rows[PAGE - 1]["id"] if len(rows) > PAGE else None
    for row in rows:
        row["last_moment"] = row["period_end"] - timedelta(seconds=1)  # the period's last day, shown inclusive
    return render(
        request,
        "reports.html",
        user=user,
        nav="reports",
        reports=rows[:PAGE],
        older=older,
        error=error,
        can_make=allows(user.scope, "write"),
        pdf=pdf_available(),
        status=status,
    )


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, user: WebUserDep, before: int | None = None) -> HTMLResponse:
    """The reports, newest first, and the form to make one."""
    return _page(request, user, before=before)


def _period(preset: str, since: str, until: str, now: datetime, tz) -> tuple[datetime | None, datetime | None]:
    """The [since, until) a form asks for (None, None: the last full week, the weekly report's default)."""
    today = now.astimezone(tz).date()
    if preset == "this_week":
        return day_of(today - timedelta(days=today.weekday()), tz), day_of(today + timedelta(days=1), tz)
    if preset == "last_30_days":
        return day_of(today - timedelta(days=29), tz), day_of(today + timedelta(days=1), tz)
    if preset == "custom":
        try:
            first, last = date.fromisoformat(since), date.fromisoformat(until)
        except ValueError:
            raise PeriodError("custom period: give the first and the last day (YYYY-MM-DD)") from None
        return day_of(first, tz), day_of(last + timedelta(days=1), tz)  # the last day is included
    return None, None


@router.post("/reports", response_model=None)
def make_report(
    request: Request,
    user: WebUserDep,
    csrf: Annotated[str, Form()] = "",
    preset: Annotated[str, Form()] = "last_week",
    since: Annotated[str, Form(max_length=20)] = "",
    until: Annotated[str, Form(max_length=20)] = "",
    email: Annotated[bool, Form()] = False,
) -> Response:
    """Make a report now, then show it in the list."""
    check_form_csrf(user, csrf)
    if not allows(user.scope, "write"):
        return _page(request, user, error="report_needs_write", status=403)
    now = utcnow()
    try:
        with writing(request.app.state.engine) as conn:
            tz = zone_of(get_workspace_by_id(conn, workspace_id=user.workspace_id))  # type: ignore[arg-type]
            first, last = _period(preset if preset in PRESETS else "last_week", since, until, now, tz)
            row = create_report(
                conn,
                workspace_id=user.workspace_id,
                now=now,
                since=first,
                until=last,
                language=user.language,
                email=email,
            )
    except PeriodError as exc:
        return _page(request, user, error=str(exc), status=422)
    return RedirectResponse(f"/reports#report-{row['id']}", status_code=303)
