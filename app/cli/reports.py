"""`vigie report`: make a report now, write it as HTML or PDF, and/or e-mail it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa

from app.cli.common import load_settings, migrated_engine
from app.db import reading, writing
from app.db.schema import utcnow
from app.reports import PdfUnavailable, PeriodError, create_report, report_pdf
from app.reports.mail import MIN_LEASE_SECONDS, send_report_email
from app.reports.make import zone_of
from app.reports.period import day_of
from app.reports.words import TEXT, lang_of, plural
from app.settings import Settings
from app.storage.reports import claim_report_email, get_report_any
from app.storage.workspaces import get_workspace


def _day(value: str | None, name: str, tz: ZoneInfo) -> datetime | None:
    if value is None:
        return None
    try:
        return day_of(value, tz)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use a date (2026-11-16) or a date and time", param_hint=name) from None


@click.command("report")
@click.option("--workspace", help="Workspace name (default: VIGIE_DEFAULT_WORKSPACE).")
@click.option("--since", help="First day, e.g. 2026-11-16 (default: Monday of the last full week).")
@click.option("--until", help="The day after the last one, e.g. 2026-11-23 (with --since).")
@click.option("--lang", type=click.Choice(["fr", "en"]), help="Language (default: the workspace's).")
@click.option(
    "--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Write it to FILE.html or FILE.pdf."
)
@click.option("--email", is_flag=True, help="E-mail it now to the workspace's e-mail channels.")
def report_cmd(
    workspace: str | None, since: str | None, until: str | None, lang: str | None, out: Path | None, email: bool
) -> None:
    """Make a report (default: the last full week, compared with the week before), store it, and write it to a
    file and/or e-mail it."""
    if out is not None and out.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise click.BadParameter("the file name must end in .html or .pdf", param_hint="--out")
    settings = load_settings()
    engine = migrated_engine(settings)
    try:
        with writing(engine) as conn:
            ws = get_workspace(conn, name=workspace or settings.default_workspace)
            if ws is None:
                raise click.ClickException(f"no workspace named {workspace or settings.default_workspace!r}")
            tz = zone_of(ws)
            start, end = _day(since, "--since", tz), _day(until, "--until", tz)
            if (start is None) != (end is None):
                raise click.UsageError("give both --since and --until, or neither (the last full week)")
            try:
                row = create_report(conn, workspace_id=ws["id"], now=utcnow(), since=start, until=end, language=lang,
                                    email=email)  # fmt: skip
            except PeriodError as exc:
                raise click.ClickException(str(exc)) from None
        _summary(row)
        if out is not None:
            _write(row, out)
        if email:
            _email(engine, settings, row["id"])
    finally:
        engine.dispose()


def _summary(row: dict) -> None:
    data = row["data"]
    lang = lang_of(data["language"])
    t = TEXT[lang]
    days = data["period"]["days"]
    mentions = plural(data["totals"]["mentions"]["value"], t["mention_n"], lang)
    incidents = plural(data["incidents"]["count"]["value"], t["incident_n"], lang)
    click.echo(f"report {row['id']}: {days[0]} to {days[-1]} ({data['timezone']}), {mentions}, {incidents}")


def _write(row: dict, out: Path) -> None:
    if out.suffix.lower() == ".pdf":
        try:
            out.write_bytes(report_pdf(row["html"]))
        except PdfUnavailable as exc:
            raise click.ClickException(f"{exc} Write --out FILE.html instead.") from None
    else:
        out.write_text(row["html"], encoding="utf-8")
    click.echo(f"written to {out}")


def _email(engine: sa.Engine, settings: Settings, report_id: int) -> None:
    now = utcnow()
    with writing(engine) as conn:
        claimed = claim_report_email(conn, report_id=report_id, now=now, lease_seconds=MIN_LEASE_SECONDS)
    if not claimed:
        raise click.ClickException("the alert role is sending this report already")
    if send_report_email(engine, settings, report_id=report_id, now=now):
        click.echo("e-mailed to the workspace's e-mail channels")
        return
    with reading(engine) as conn:
        row = get_report_any(conn, report_id=report_id)
    retry = " (the alert role retries it later)" if row["email_due_at"] else ""
    raise click.ClickException(f"not e-mailed{retry}: {row['email_error'] or 'no e-mail channel reached'}")
